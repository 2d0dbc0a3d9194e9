"""`make bench` (NLP): reviews/s of the full analysis in one process on this machine.

Full analysis = language (lingua), star model and negative score (onnxruntime), aspects, risk
lexicon, generic-text and competitor signals, and the MinHash signature, in batches of 256, as
the NLP service runs it. Named baseline in the same run: the scikit-learn hashed n-gram logistic
regression (services/nlp/stars/baseline.py) predicting stars alone on the same texts.
Texts are generated from templates written here (six languages), never taken from the MARC data.
Figures go to bench/results/nlp_analysis.json.
"""

from __future__ import annotations

import json
import random
import time
from datetime import datetime, timezone
from pathlib import Path

from libs.settings import Settings
from services.nlp.app import build_analyzer
from services.nlp.stars.baseline import fit_baseline

RESULTS = Path(__file__).parent / "results" / "nlp_analysis.json"
BATCH = 256
TOTAL = 20_480

TEMPLATES = {
    "en": ["The {p} arrived {d} and {q}.", "Really {g} {p}, {q}, would buy again.", "Terrible {p}: {q} after {n} days."],
    "de": ["Der {p} kam {d} an und {q}.", "Sehr {g}er {p}, {q}.", "Nach {n} Tagen {q}, schade um den {p}."],
    "fr": ["La {p} est arrivée {d} et {q}.", "Très {g} {p}, {q}.", "Après {n} jours la {p} {q}."],
    "es": ["El {p} llegó {d} y {q}.", "Muy {g} {p}, {q}.", "Después de {n} días el {p} {q}."],
    "ja": ["{p}は{d}届きましたが、{q}。", "とても{g}{p}です。{q}。", "{n}日後に{p}が{q}。"],
    "zh": ["{p}{d}到了，{q}。", "非常{g}的{p}，{q}。", "用了{n}天{p}就{q}。"],
}
WORDS = {
    "en": {"p": ["kettle", "charger", "jacket"], "d": ["late", "quickly", "damaged"], "q": ["it leaks", "works fine", "stopped working"], "g": ["good", "cheap", "solid"]},
    "de": {"p": ["Wasserkocher", "Ladegerät", "Rucksack"], "d": ["spät", "schnell", "beschädigt"], "q": ["tropft", "funktioniert gut", "ist kaputt"], "g": ["gut", "billig", "stabil"]},
    "fr": {"p": ["bouilloire", "batterie", "veste"], "d": ["en retard", "vite", "abîmée"], "q": ["fuit", "marche bien", "est cassée"], "g": ["bonne", "chère", "solide"]},
    "es": {"p": ["hervidor", "cargador", "abrigo"], "d": ["tarde", "rápido", "roto"], "q": ["gotea", "funciona bien", "no funciona"], "g": ["bueno", "barato", "sólido"]},
    "ja": {"p": ["ケトル", "充電器", "ジャケット"], "d": ["遅れて", "すぐに", "壊れて"], "q": ["水漏れします", "問題なく使えます", "動かなくなりました"], "g": ["良い", "安い", "丈夫な"]},
    "zh": {"p": ["水壶", "充电器", "外套"], "d": ["很晚", "很快", "坏了"], "q": ["漏水", "很好用", "不能用了"], "g": ["好", "便宜", "结实"]},
}


def texts(n: int, seed: int = 3) -> list[str]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        lang = list(TEMPLATES)[i % len(TEMPLATES)]
        words = {k: rng.choice(v) for k, v in WORDS[lang].items()}
        out.append(rng.choice(TEMPLATES[lang]).format(n=rng.randrange(2, 30), **words) + f" #{i}")
    return out


def main() -> None:
    analyzer = build_analyzer(Settings(nlp_languages="en,de,fr,es,it,ja,zh"))
    corpus = texts(TOTAL)
    analyzer.analyze(corpus[:BATCH])  # warm-up
    start = time.perf_counter()
    for i in range(0, TOTAL, BATCH):
        analyzer.analyze(corpus[i : i + BATCH])
    full = TOTAL / (time.perf_counter() - start)
    start = time.perf_counter()
    for i in range(0, TOTAL, BATCH):
        analyzer.analyze(corpus[i : i + BATCH], signatures=False)
    no_signature = TOTAL / (time.perf_counter() - start)
    rng = random.Random(5)
    baseline = fit_baseline(corpus[:4000], [rng.randint(1, 5) for _ in range(4000)])
    start = time.perf_counter()
    for i in range(0, TOTAL, BATCH):
        baseline.predict_proba(corpus[i : i + BATCH])
    base = TOTAL / (time.perf_counter() - start)
    result = {
        "benchmark": "full NLP analysis per process, batches of 256, six languages",
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "reviews": TOTAL,
        "full_analysis_per_s": round(full, 1),
        "without_minhash_per_s": round(no_signature, 1),
        "baseline_sklearn_lr_stars_only_per_s": round(base, 1),
        "goal_per_s": 5000,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
