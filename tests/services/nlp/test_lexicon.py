"""The risk lexicon finds high-risk words in every language, without false hits inside words."""

from __future__ import annotations

import pytest

from services.nlp.lexicon import RiskLexicon


@pytest.fixture(scope="module")
def lexicon() -> RiskLexicon:
    return RiskLexicon.load()


def terms(lexicon: RiskLexicon, text: str) -> set[tuple[str, str]]:
    return {(h.term, h.category) for h in lexicon.match(text)}


def test_finds_terms_and_categories_in_each_language(lexicon: RiskLexicon) -> None:
    assert ("counterfeit", "fraud") in terms(lexicon, "This is a COUNTERFEIT charger")
    assert ("betrug", "fraud") in terms(lexicon, "Reiner Betrug, nie wieder.")
    assert ("arnaque", "fraud") in terms(lexicon, "Une arnaque totale !")
    assert ("estafa", "fraud") in terms(lexicon, "Es una estafa.")
    assert ("truffa", "fraud") in terms(lexicon, "Una truffa bella e buona")
    assert ("偽物", "fraud") in terms(lexicon, "これは偽物です")
    assert ("假货", "fraud") in terms(lexicon, "收到的是假货")


def test_stems_match_inflections_and_german_compounds(lexicon: RiskLexicon) -> None:
    assert ("betrug", "fraud") in terms(lexicon, "Eine Betrugsmasche!")
    assert ("overheat", "safety") in terms(lexicon, "it overheated twice")


def test_whole_words_do_not_match_inside_other_words(lexicon: RiskLexicon) -> None:
    # "fire" inside "firewall", "sue" inside "issue", "sick" inside "sickle"
    assert terms(lexicon, "The firewall app had an issue with the sickle icon") == set()


def test_full_width_and_case_variants_match(lexicon: RiskLexicon) -> None:
    assert ("fake", "fraud") in terms(lexicon, "ＦＡＫＥ product")


def test_each_distinct_term_counts_once_and_overlaps_count_once(lexicon: RiskLexicon) -> None:
    hits = lexicon.match("fake fake FAKE, it caught fire")
    assert [h.term for h in hits] == ["fake", "caught fire"]


def test_every_language_has_every_category() -> None:
    import json

    from services.nlp.lexicon import DEFAULT_LEXICON

    data = {k: v for k, v in json.loads(DEFAULT_LEXICON.read_text()).items() if not k.startswith("_")}
    for language, categories in data.items():
        assert set(categories) == {"fraud", "safety", "health", "damage", "legal"}, language
