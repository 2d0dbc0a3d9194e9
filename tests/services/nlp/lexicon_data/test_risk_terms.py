"""The risk lexicon data: 50+ terms per language, no term in two categories, realistic hits."""

from __future__ import annotations

import json

import pytest

from services.nlp.lexicon import DEFAULT_LEXICON, RiskLexicon

LANGUAGES = ("en", "de", "fr", "es", "it", "ja", "zh")
CATEGORIES = {"safety", "fraud", "legal", "health", "damage"}

# NOTE: sentences written for this test; (text, expected (term, category) pairs).
HITS: dict[str, list[tuple[str, set[tuple[str, str]]]]] = {
    "en": [
        ("The charger overheated and caught fire on my desk.", {("overheat", "safety"), ("caught fire", "safety")}),
        ("My son got a rash, we ended up in the emergency room.", {("rash", "health"), ("emergency room", "health")}),
        ("Bogus product, I filed a chargeback and will take it to small claims.",
         {("bogus", "fraud"), ("chargeback", "legal"), ("small claims", "legal")}),
    ],
    "de": [
        ("Das Ladegerät hatte einen Kurzschluss und Schmorgeruch.", {("kurzschluss", "safety"), ("schmorgeruch", "safety")}),
        ("Nach dem Auftragen Juckreiz und Übelkeit.", {("juckreiz", "health"), ("übelkeit", "health")}),
        ("Der Rahmen war verbogen, ich erstatte Strafanzeige.", {("verbogen", "damage"), ("strafanzeige", "legal")}),
    ],
    "fr": [
        ("Le chargeur a fait un court-circuit, risque d'incendie !", {("court-circuit", "safety"), ("risque d'incendie", "safety")}),
        ("Démangeaisons et nausées après usage.", {("démangeaison", "health"), ("nausée", "health")}),
        ("Écran rayé, j'ai envoyé une mise en demeure.", {("rayé", "damage"), ("mise en demeure", "legal")}),
    ],
    "es": [
        ("Hizo un cortocircuito y salió humo.", {("cortocircuito", "safety"), ("humo", "safety")}),
        ("Me produjo picor e irritación en la piel.", {("picor", "health"), ("irritación", "health")}),
        ("Es un engaño, pedí la hoja de reclamaciones.", {("engañ", "fraud"), ("hoja de reclamaciones", "legal")}),
    ],
    "it": [
        ("Il caricabatterie ha preso fuoco: cortocircuito.", {("preso fuoco", "safety"), ("cortocircuito", "safety")}),
        ("Prurito e irritazione dopo un giorno.", {("prurito", "health"), ("irritazione", "health")}),
        ("Una fregatura, il vetro era scheggiato. Chiederò il risarcimento.",
         {("fregatura", "fraud"), ("scheggiat", "damage"), ("risarcimento", "legal")}),
    ],
    "ja": [
        ("充電中に火花が出て、焦げた匂いがしました。", {("火花", "safety"), ("焦げ", "safety")}),
        ("使ったら肌荒れとかゆみが出ました。", {("肌荒れ", "health"), ("かゆみ", "health")}),
        ("ぼったくりです。消費者庁に通報します。", {("ぼったくり", "fraud"), ("消費者庁", "legal"), ("通報", "legal")}),
    ],
    "zh": [
        ("充电时短路了，还冒烟。", {("短路", "safety"), ("冒烟", "safety")}),
        ("用了以后皮肤红肿瘙痒。", {("红肿", "health"), ("瘙痒", "health")}),
        ("以次充好，我要打12315维权。", {("以次充好", "fraud"), ("12315", "legal"), ("维权", "legal")}),
    ],
}

NO_HITS: dict[str, list[str]] = {
    "en": ["Comfortable shoes, true to size, great value.", "The firewall issue was fixed by the update."],
    "de": ["Schöne Farbe, passt gut und kam pünktlich.", "Die Lampe gibt ein warmes Licht."],
    "fr": ["Très bon produit, livraison rapide, je recommande.", "La couleur est jolie et la taille correcte."],
    "es": ["Muy buen producto, llegó a tiempo.", "Me encanta el color, queda perfecto."],
    "it": ["Ottimo prodotto, consegna veloce.", "Il colore è bellissimo e la taglia giusta."],
    "ja": ["とても使いやすくて満足しています。", "色も可愛くてサイズもぴったりでした。"],
    "zh": ["东西很好，物流也很快。", "颜色很漂亮，尺寸合适。"],
}


@pytest.fixture(scope="module")
def data() -> dict[str, dict[str, list[str]]]:
    return {k: v for k, v in json.loads(DEFAULT_LEXICON.read_text(encoding="utf-8")).items() if not k.startswith("_")}


@pytest.fixture(scope="module")
def lexicon() -> RiskLexicon:
    return RiskLexicon.load()


@pytest.mark.parametrize("language", LANGUAGES)
def test_at_least_fifty_terms_in_every_category_set(data: dict, language: str) -> None:
    categories = data[language]
    assert set(categories) == CATEGORIES
    assert sum(len(terms) for terms in categories.values()) >= 50


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_term_in_two_categories_of_one_language(data: dict, language: str) -> None:
    seen: dict[str, str] = {}
    for category, terms in data[language].items():
        for term in terms:
            key = term.casefold()
            assert key not in seen, f"{term!r} is in {seen[key]} and {category}"
            seen[key] = category


@pytest.mark.parametrize("language", LANGUAGES)
def test_realistic_sentences_hit_their_terms(lexicon: RiskLexicon, language: str) -> None:
    for text, expected in HITS[language]:
        got = {(h.term, h.category) for h in lexicon.match(text)}
        assert expected <= got, (text, got)


@pytest.mark.parametrize("language", LANGUAGES)
def test_ordinary_praise_hits_nothing(lexicon: RiskLexicon, language: str) -> None:
    for text in NO_HITS[language]:
        assert lexicon.match(text) == [], text
