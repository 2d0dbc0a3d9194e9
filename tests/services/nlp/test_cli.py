"""`reviewguard nlp predict`: every documented field, and a clear error for bad input."""

from __future__ import annotations

import json
from pathlib import Path

from services.nlp.cli import main


def test_predict_writes_language_stars_aspects_risk_and_suspicion(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    lines = [
        {"text": "Totaler Betrug, kam kaputt an und riecht verbrannt.", "id": 1},
        {"text": "Très bonne bouilloire, rapide et silencieuse.", "id": 2},
        {"text": "届いた時には壊れていました。返品したいです。", "id": 3},
    ]
    src.write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["predict", "--input", str(src), "--output", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in rows] == [1, 2, 3], "input fields are kept"
    assert [r["language"] for r in rows] == ["de", "fr", "ja"]
    assert rows[0]["stars"] <= 2 and rows[1]["stars"] >= 4 and rows[0]["negative"] > 0.7 > rows[1]["negative"]
    assert all(len(r["star_probs"]) == 5 and abs(sum(r["star_probs"]) - 1) < 1e-3 for r in rows)
    assert {t["term"] for t in rows[0]["risk_terms"]} >= {"betrug", "kaputt"}
    assert rows[2]["aspects"], "a damage complaint gets aspect tags"
    assert set(rows[0]["suspicion"]) == {"score", "reasons"}


def test_bad_input_names_the_line_and_writes_nothing(tmp_path: Path, capsys) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text('{"text": "fine"}\n{"txt": "no text key"}\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["predict", "--input", str(src), "--output", str(out)]) == 2
    assert ":2:" in capsys.readouterr().err
    assert not out.exists()
