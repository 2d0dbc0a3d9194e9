"""`reviewguard nlp ...`: predict with the full analysis, evaluate, train (also from the operator's own data)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import uuid
from pathlib import Path

from libs.settings import Settings
from services.nlp.stars.data import InputError, iter_jsonl


def _predict(args: argparse.Namespace, settings: Settings) -> int:
    from services.nlp.app import build_analyzer
    from services.nlp.duplicates.index import DuplicateIndex
    from services.nlp.duplicates.signature import from_bytes
    from services.nlp.suspicion.models import Signals
    from services.nlp.suspicion.score import score

    # NOTE: the whole input is validated before anything is written, so a bad line leaves no output.
    rows = [obj for _, obj in iter_jsonl(args.input)]
    if args.model:
        settings = settings.model_copy(update={"nlp": settings.nlp.model_copy(update={"nlp_star_model": str(args.model)})})
    analyzer = build_analyzer(settings.nlp)
    index = DuplicateIndex()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    with open(args.output, "w", encoding="utf-8") as out:
        for start in range(0, len(rows), 256):
            chunk = rows[start : start + 256]
            for n, (obj, result) in enumerate(zip(chunk, analyzer.analyze([o["text"] for o in chunk]))):
                cluster = index.add_signature(str(start + n), from_bytes(result.signature))
                suspicion = score(Signals(
                    generic=result.generic, competitor=result.competitor,
                    near_duplicates=index.cluster_size(str(start + n)) - 1 if cluster else 0,
                ))
                record = dict(obj)
                record.update(
                    language=result.language,
                    stars=result.stars,
                    star_probs=[round(p, 6) for p in result.star_probs],
                    negative=round(result.negative, 6) if result.negative is not None else None,
                    aspects=result.aspects,
                    risk_terms=[{"term": h.term, "category": h.category} for h in result.risk_hits],
                    suspicion={"score": round(suspicion.score, 4), "reasons": [{"code": r.code, "text": r.text} for r in suspicion.reasons]},
                )
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return 0


def _train_from_db(args: argparse.Namespace, settings: Settings) -> int:
    from services.nlp.retrain import retrain_tenant

    result = asyncio.run(retrain_tenant(settings.database_dsn(), uuid.UUID(args.tenant), epochs=args.epochs))
    print(json.dumps({"version": result.version, "promoted": result.promoted, "records": result.records,
                      "candidate": result.candidate, "current": result.current,
                      "comparison": result.comparison.as_dict()}, indent=2))
    return 0


def main(argv: list[str]) -> int:
    """Runs `reviewguard nlp`; star-model commands not handled here go to services.nlp.stars.cli."""
    settings = Settings()
    if argv[:1] == ["predict"]:
        parser = argparse.ArgumentParser(prog="reviewguard nlp predict", description="analyse a jsonl file of {\"text\"[, \"lang\"]}")
        parser.add_argument("--input", type=Path, required=True)
        parser.add_argument("--output", type=Path, required=True)
        parser.add_argument("--model", type=Path, default=None, help="a star model.onnx or a Hugging Face export directory instead of the shipped one")
        try:
            return _predict(parser.parse_args(argv[1:]), settings)
        except (InputError, FileNotFoundError, ValueError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
    if argv[:1] == ["train"] and "--from-db" in argv:
        parser = argparse.ArgumentParser(prog="reviewguard nlp train --from-db", description="retrain on a tenant's own reviews")
        parser.add_argument("--from-db", action="store_true", required=True)
        parser.add_argument("--tenant", required=True, help="tenant id (UUID)")
        parser.add_argument("--epochs", type=int, default=None)
        args = parser.parse_args(argv[1:])
        try:
            uuid.UUID(args.tenant)
            return _train_from_db(args, settings)
        except ValueError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
    from services.nlp.stars.cli import main as stars_main

    return stars_main(argv)
