"""Every reply template in every shipped language, rendered as the buyer reads it, against its golden
text: no refund is claimed unless the case has one, honorifics are never doubled, no form-letter slashes.

Regenerate after a deliberate wording change with `REVIEWGUARD_UPDATE_GOLDEN=1` and read the diff."""

from __future__ import annotations

import json
import os
import re
from decimal import Decimal
from pathlib import Path

import pytest

from services.resolution.templates.models import LANGUAGES, Remedy, Scenario
from services.resolution.templates.service import format_money, load_library, render

GOLDEN = Path(__file__).with_name("golden_replies.json")
NAMES = {"en": "Ms Taylor", "de": "Frau Weber", "fr": "Madame Martin", "es": "Sra. García", "it": "Sig.ra Rossi", "ja": "山田様", "zh": "王女士"}
PRODUCTS = {"en": "kettle", "de": "Wasserkocher", "fr": "bouilloire", "es": "hervidor", "it": "bollitore", "ja": "電気ケトル", "zh": "电热水壶"}
# Words that claim money or goods are coming, per language.
REFUND_WORDS = {
    "en": r"refund|replacement", "de": r"erstatt|Ersatz", "fr": r"rembours|remplacement", "es": r"reembols|sustituci",
    "it": r"rimbors|sostitutiv", "ja": r"返金|代替品", "zh": r"退款|补发",
}
REMEDIES = {"none": None, "refund_offered": "refund", "replacement_accepted": "replacement"}
library = load_library()


def rendered(scenario: Scenario, language: str, variant: str, remedy_key: str) -> str:
    kind = REMEDIES[remedy_key]
    remedy = None if kind is None else Remedy(kind=kind, stage=remedy_key.split("_")[1],
                                              amount=format_money(Decimal("49.90"), "EUR", language) if kind == "refund" else "")
    context = {"buyer_name": NAMES[language], "product_name": PRODUCTS[language], "order_id": "302-1234567-1234567", "seller_name": "KettleWorks"}
    return render(library=library, scenario=scenario, language=language, case_id="golden", context=context, variant=variant, remedy=remedy).text


CASES = [(s, lang, v, r) for s in Scenario for lang in LANGUAGES for v in library.variants(scenario=s, language=lang) for r in REMEDIES]


def test_golden_texts() -> None:
    texts = {f"{s}/{lang}/{v}/{r}": rendered(s, lang, v, r) for s, lang, v, r in CASES}
    if os.environ.get("REVIEWGUARD_UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(texts, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert sorted(golden) == sorted(texts)
    changed = [k for k in texts if texts[k] != golden[k]]
    assert changed == [], f"{len(changed)} texts differ from the golden file, e.g. {changed[:3]}"


@pytest.mark.parametrize(("scenario", "language", "variant", "remedy"), CASES, ids=lambda x: str(x))
def test_a_reply_states_only_what_the_case_makes_true(scenario, language, variant, remedy) -> None:
    text = rendered(scenario, language, variant, remedy)
    assert "様様" not in text and "{{" not in text and "{%" not in text
    assert not re.search(r"\w/(a|o|e|in)\b", text), "form-letter slashes such as informado/a"
    if remedy == "none" and scenario is not Scenario.SERVICE:
        assert not re.search(REFUND_WORDS[language], text, re.IGNORECASE), text
    if remedy == "refund_offered" and scenario is not Scenario.SERVICE:
        assert format_money(Decimal("49.90"), "EUR", language) in text


def test_money_reads_as_the_buyer_writes_it() -> None:
    assert [format_money(Decimal("1234.5"), "EUR", lang) for lang in ("en", "de", "fr", "ja", "zh")] == [
        "€1,234.50", "1.234,50 €", "1\u202f234,50 €", "1,234.50 EUR", "1,234.50欧元"]
    assert format_money(Decimal("4990"), "JPY", "ja") == "4,990円"
