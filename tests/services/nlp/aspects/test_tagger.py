"""Aspect tagging: the taxonomy in seven languages, negation, tenant tags, and the labelled set."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.nlp.aspects import ASPECTS, AspectTagger, TenantTag
from services.nlp.aspects.evaluate import DEFAULT_DATA, LABEL_SETS, evaluate, read_labels


@pytest.fixture(scope="module")
def tagger() -> AspectTagger:
    return AspectTagger.load()


# NOTE: sentences written for these tests: (language, text, expected tags).
CASES = [
    ("en", "Arrived damaged, the box was crushed and delivery took two weeks.", {"damaged", "logistics"}),
    ("en", "Runs small and the colour is different from the picture.", {"description_mismatch"}),
    ("en", "Seller never answered, no refund. Overpriced fake.", {"customer_service", "price_value", "counterfeit"}),
    ("en", "It overheated and started to smoke.", {"safety"}),
    ("de", "Kam beschädigt an, Lieferung dauerte ewig.", {"damaged", "logistics"}),
    ("de", "Fällt klein aus, falsche Farbe geliefert.", {"description_mismatch"}),
    ("fr", "Colis abîmé et produit cassé, le vendeur ne répond pas.", {"damaged", "product_quality", "customer_service"}),
    ("es", "Llegó roto y es una imitación barata.", {"damaged", "counterfeit"}),
    ("it", "Arrivato danneggiato, il venditore non risponde.", {"damaged", "customer_service"}),
    ("ja", "箱が潰れていて、商品も破損していました。", {"damaged"}),
    ("ja", "写真と色が違います。返品もできませんでした。", {"description_mismatch", "customer_service"}),
    ("zh", "包装破损，而且是假货，客服也不回复。", {"damaged", "counterfeit", "customer_service"}),
    ("zh", "尺码偏小，物流很慢。", {"description_mismatch", "logistics"}),
    ("es", "No trae instrucciones en castellano.", {"cultural_fit"}),
]


@pytest.mark.parametrize(("language", "text", "expected"), CASES)
def test_taxonomy_in_each_language(tagger: AspectTagger, language: str, text: str, expected: set[str]) -> None:
    assert expected <= set(tagger.tag([text], [language])[0])


NEGATED = [
    ("en", "Not damaged at all.", "damaged"),
    ("en", "It did not arrive broken, and it's not fake.", "counterfeit"),
    ("de", "Das Paket war nicht kaputt und nicht beschädigt.", "damaged"),
    ("fr", "Le colis n'était pas cassé, rien d'abîmé.", "damaged"),
    ("es", "No llegó roto ni dañado.", "damaged"),
    ("it", "Non rotto, non danneggiato.", "damaged"),
    ("ja", "壊れていない。破損もありませんでした。", "damaged"),
    ("zh", "没有坏，也没有破损，不是假货。", "damaged"),
]


@pytest.mark.parametrize(("language", "text", "aspect"), NEGATED)
def test_negated_problems_are_not_tagged(tagger: AspectTagger, language: str, text: str, aspect: str) -> None:
    tags = tagger.tag([text], [language])[0]
    assert aspect not in tags and "counterfeit" not in tags, tags
    assert any(h.negated for h in tagger.explain(text, language))


def test_a_cue_in_another_clause_does_not_negate(tagger: AspectTagger) -> None:
    assert "damaged" in tagger.tag(["Not cheap, but it arrived damaged."], ["en"])[0]
    assert "damaged" in tagger.tag(["Nicht billig, aber beschädigt angekommen."], ["de"])[0]


def test_topic_aspects_count_even_when_negated(tagger: AspectTagger) -> None:
    assert tagger.tag(["Not good quality."], ["en"])[0] == ["product_quality"]


def test_words_inside_other_words_do_not_match(tagger: AspectTagger) -> None:
    assert tagger.tag(["The upside is the sequel."], ["en"])[0] == []


def test_unknown_language_uses_every_lexicon(tagger: AspectTagger) -> None:
    assert "damaged" in tagger.tag(["arrived damaged"], ["und"])[0]


def test_output_order_and_lengths(tagger: AspectTagger) -> None:
    out = tagger.tag(["Fake and overpriced, arrived damaged.", ""], ["en", "en"])
    assert out[0] == [a for a in ASPECTS if a in out[0]] and out[1] == []
    with pytest.raises(ValueError):
        tagger.tag(["a"], [])


def test_tenant_tags_with_keywords_and_patterns() -> None:
    tags = [
        TenantTag(name="seasonal", language="en", keywords=["christmas", "black friday"]),
        TenantTag(name="competitor", language="*", keywords=["Acme"], patterns=[r"\bmodel\s*x\d+\b"]),
        TenantTag(name="counterfeit", language="de", keywords=["kopie"]),
        TenantTag(name="recall", language="en", keywords=["recalled"], negatable=True),
    ]
    tagger = AspectTagger.load(tenant_tags=tags)
    assert tagger.tags[-3:] == ("seasonal", "competitor", "recall")
    out = tagger.tag(
        ["Bought for Christmas; the Acme Model X200 is better.", "Nur eine billige Kopie von ACME.", "It was not recalled."],
        ["en", "de", "en"],
    )
    assert out[0] == ["seasonal", "competitor"]
    assert {"counterfeit", "competitor"} <= set(out[1])
    assert out[2] == []
    # NOTE: the German keyword stays German; the base tagger knows none of these tags.
    assert "counterfeit" not in tagger.tag(["a kopie"], ["en"])[0]
    assert AspectTagger.load().tag(["Acme for Christmas"], ["en"])[0] == []


def test_fingerprint_changes_with_the_tag_set() -> None:
    a = [TenantTag(name="x", keywords=["one"])]
    b = [TenantTag(name="x", keywords=["two"])]
    assert AspectTagger.fingerprint_of(a) == AspectTagger.fingerprint_of(list(a))
    assert AspectTagger.fingerprint_of(a) != AspectTagger.fingerprint_of(b)


@pytest.mark.parametrize(
    "bad",
    [{"name": "Bad Name"}, {"name": "x", "patterns": ["(unclosed"]}, {"name": "x", "language": "english"},
     {"name": "x", "patterns": ["a" * 201]}],
)
def test_invalid_tenant_tags_are_refused(bad: dict) -> None:
    with pytest.raises(ValidationError):
        TenantTag(**bad)


@pytest.mark.parametrize("name", sorted(LABEL_SETS))
def test_labels_hold_pointers_only(name: str) -> None:
    labels = read_labels(LABEL_SETS[name])
    assert len(labels) >= 120
    assert all(len(label.sha1) == 40 and set(label.aspects) <= set(ASPECTS) for label in labels)


def test_the_labelled_sets_share_no_review() -> None:
    sets = {name: {(label.language, label.line) for label in read_labels(path)} for name, path in LABEL_SETS.items()}
    assert [len(sets[n]) for n in ("development", "revision", "held-out")] == [240, 240, 120]
    assert not sets["development"] & sets["revision"] and not sets["held-out"] & (sets["development"] | sets["revision"])


@pytest.mark.skipif(not DEFAULT_DATA.is_dir(), reason="MARC dev data not present")
# NOTE: floors a little under today's figures (README): a lexicon edit that costs more fails here.
@pytest.mark.parametrize(
    ("name", "min_precision", "min_recall"), [("development", 0.88, 0.78), ("revision", 0.84, 0.77), ("held-out", 0.75, 0.54)]
)
def test_hand_labelled_set_scores(tagger: AspectTagger, name: str, min_precision: float, min_recall: float) -> None:
    report = evaluate(tagger=tagger, labels_path=LABEL_SETS[name])
    assert report is not None and report.missing == 0 and report.reviews >= 120
    micro_tp = sum(s.tp for s in report.overall.values())
    micro_fp = sum(s.fp for s in report.overall.values())
    micro_fn = sum(s.fn for s in report.overall.values())
    assert micro_tp / (micro_tp + micro_fp) >= min_precision
    assert micro_tp / (micro_tp + micro_fn) >= min_recall


def test_the_fast_fold_is_the_taxonomy_normalisation() -> None:
    from services.nlp.aspects.tagger import _fold
    from services.nlp.aspects.taxonomy import normalise

    # NOTE: written for this test: every apostrophe the taxonomy straightens, NFKC and casefold cases.
    texts = ["doesn’t work", "don‘t", "isnʼt", "wasn`t", "ＦＡＫＥ", "Straße", "İstanbul", "ｶﾀｶﾅ", "plain ascii's", "", "’‘ʼ`"]
    assert [_fold(t) for t in texts] == [normalise(t) for t in texts]
