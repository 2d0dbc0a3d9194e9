"""Helpers computing the text-borne signals: generic wording and competitor mentions."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from itertools import filterfalse

from services.nlp.suspicion.models import CompetitorMentions, GenericText

# NOTE: words that praise or damn without saying anything about the product; a review made only
# of these is the "generic text without product detail" signal.
_GENERIC: dict[str, frozenset[str]] = {
    "en": frozenset("""good great bad terrible awful excellent amazing perfect nice love loved hate product item
        quality recommend recommended buy bought purchase waste money worst best ever very really so totally highly
        happy disappointed satisfied fine okay ok works working junk garbage crap stars star five one would again
        never dont don't do not this it is was the a an and but i my it's its thing stuff seller fast super""".split()),
    "de": frozenset("""gut super toll schlecht schrecklich perfekt schön empfehlenswert empfehlen empfehle kaufen
        gekauft kauf produkt artikel ware qualität geld verschwendet schrott mist bester beste schlechteste sehr
        wirklich total absolut zufrieden unzufrieden enttäuscht top klasse nie wieder nicht das ist war ein eine
        und aber ich es finger weg sterne stern alles bestens""".split()),
    "fr": frozenset("""bon bien super génial nul mauvais horrible parfait excellent top produit article qualité
        recommande recommander acheter acheté achat argent arnaque très vraiment totalement content déçu satisfait
        jamais pas ne le la les un une et mais je c'est est était à fuir étoiles""".split()),
    "es": frozenset("""bueno buena bien genial malo mala horrible perfecto excelente producto artículo calidad
        recomiendo recomendable comprar compra comprado dinero muy realmente totalmente contento decepcionado
        satisfecho nunca no el la los las un una y pero yo es era lo estrellas basura""".split()),
    "it": frozenset("""buono buona bene ottimo ottima pessimo pessima orribile perfetto eccellente prodotto articolo
        qualità consiglio consigliato comprare acquisto soldi molto davvero totalmente contento deluso soddisfatto
        mai non il lo la gli le un una e ma io è era stelle buttati sprecati""".split()),
}
_CJK_GENERIC: dict[str, tuple[str, ...]] = {
    "ja": ("良い", "いい", "最高", "最悪", "満足", "不満", "おすすめ", "オススメ", "買って", "買い", "商品", "残念", "です", "ました",
           "とても", "すごく", "普通", "ダメ", "よかった", "良かった", "ありがとう"),
    "zh": ("好", "很好", "不错", "满意", "垃圾", "差评", "好评", "推荐", "东西", "质量", "喜欢", "失望", "非常", "还行", "一般",
           "值得", "购买", "买", "的", "了", "很", "太", "真", "是"),
}
_WORD = re.compile(r"[\w']+")
_DIGIT = re.compile(r"\d")
_KATAKANA_RUN = re.compile(r"[\u30a0-\u30ff]{3,}")
_LATIN_RUN = re.compile(r"[A-Za-z]{3,}")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")

SHORT_WORDS = 12
SHORT_CJK_CHARS = 25


# NOTE: longest first, so a phrase is removed before the shorter phrases inside it.
_CJK_PHRASES: dict[str, tuple[str, ...]] = {
    lang: tuple(sorted(phrases, key=len, reverse=True)) for lang, phrases in _CJK_GENERIC.items()
}


# NOTE: the one character whose casefold (one character) is a word character while it is not:
# U+0345 combining ypogegrammeni folds to iota (tests check every code point).
_CASEFOLD_JOINS = "\u0345"
_AT_LEAST_6 = (6).__le__
_NOT_CJK = re.compile(r"[^\u3040-\u30ff\u3400-\u9fff]+")


def _cjk_count(text: str) -> int:
    """len(_CJK.findall(text)) without a list of every character: what is left without the rest."""
    return 0 if text.isascii() else len(_NOT_CJK.sub("", text))


def generic_text(text: str, *, language: str) -> GenericText:
    """Measures product detail in `text`: numbers, specific words (nouns, names), and generic share."""
    norm = unicodedata.normalize("NFKC", text)
    has_digit = _DIGIT.search(norm) is not None
    chars = _cjk_count(norm)
    if language in _CJK_GENERIC or chars * 2 > len(norm):
        stripped = norm
        for phrase in _CJK_PHRASES.get(language, _CJK_PHRASES["zh"]):
            stripped = stripped.replace(phrase, "")
        left = _cjk_count(stripped)
        # NOTE: katakana runs (product words in Japanese) and Latin runs (brands, models) are detail.
        specifics = has_digit + len(_KATAKANA_RUN.findall(norm)) + len(_LATIN_RUN.findall(norm))
        share = 1.0 - left / chars if chars else 1.0
        return GenericText(words=chars, specifics=specifics + left // 8, generic_share=share, short=chars <= SHORT_CJK_CHARS)
    generic = _GENERIC.get(language, _GENERIC["en"])
    nouns = 0
    casefolded = "" if language == "de" else norm.casefold()
    if language != "de" and len(casefolded) == len(norm) and _CASEFOLD_JOINS not in norm:
        # NOTE: casefold mapped every character to one character of the same kind, so the words of
        # the folded text are the folded words: one findall instead of a casefold per word.
        folded = _WORD.findall(casefolded)
    else:
        words = _WORD.findall(norm)
        folded = [w.casefold() for w in words]
        if language == "de":
            # NOTE: German capitalises every noun, so a capitalised word after the first is a noun: detail.
            nouns = sum(1 for i in range(1, len(words)) if words[i][:1].isupper() and folded[i] not in generic)
    # NOTE: filterfalse/map keep these loops over every word in C; same lists and counts.
    content = list(filterfalse(str.isdigit, filterfalse(generic.__contains__, folded)))
    long_content = sum(map(_AT_LEAST_6, map(len, content)))
    specifics = has_digit + nouns + long_content
    share = 1.0 - len(content) / len(folded) if folded else 1.0
    return GenericText(words=len(folded), specifics=specifics, generic_share=share, short=len(folded) <= SHORT_WORDS)


_CUES: dict[str, tuple[str, ...]] = {
    "en": (r"\b(?:buy|get|try|go with|choose|order)\b[^.!?]{1,40}\binstead\b", r"\bbetter off (?:buying|with|getting)\b",
           r"\b(?:other|another|different) (?:brand|seller|company|store)s? (?:is|are|was|were) (?:much |way |far )?better\b",
           r"\bswitch(?:ed)? to\b", r"\bcheaper (?:at|on|from)\b"),
    "de": (r"\bbesser bei\b", r"\blieber (?:bei|von|die|das|den)\b", r"\bkauft (?:lieber|besser)\b",
           r"\b(?:andere|anderen) (?:marke|hersteller|händler)\b", r"\bgünstiger bei\b"),
    "fr": (r"\bachetez plutôt\b", r"\bprenez plutôt\b", r"\bmieux vaut (?:acheter|prendre)\b",
           r"\bune autre marque\b", r"\bmoins cher (?:chez|sur)\b"),
    "es": (r"\bcompr(?:ad|en|a) mejor\b", r"\bmejor compr(?:ar|en|ad)\b", r"\botra marca\b",
           r"\bmás barato en\b", r"\ben lugar de (?:este|esta)\b"),
    "it": (r"\bmeglio (?:comprare|prendere)\b", r"\bcomprate invece\b", r"\bun'altra marca\b", r"\bcosta meno su\b"),
    "ja": (r"他の会社", r"他社", r"他のメーカー", r"別のメーカー", r"の方がいい", r"の方が良い", r"を買った方が"),
    "zh": (r"别家", r"其他品牌", r"买别的", r"建议买", r"还不如买", r"不如买", r"别的牌子"),
}


class CompetitorMatcher:
    """Finds a tenant's competitor brands and generic "buy elsewhere" cues; immutable once built."""

    def __init__(self, *, brands: Iterable[str] = ()) -> None:
        names = sorted({b.strip() for b in brands if b.strip()}, key=len, reverse=True)
        parts = []
        for name in names:
            escaped = re.escape(unicodedata.normalize("NFKC", name))
            # NOTE: Latin names match whole words ("Anker" not in "Ankerplatz"); CJK names anywhere.
            parts.append(rf"(?<!\w){escaped}(?!\w)" if name[:1].isascii() else escaped)
        self._brands = re.compile("|".join(parts), re.IGNORECASE) if parts else None
        self._cues = {lang: re.compile("|".join(f"(?:{c})" for c in cues), re.IGNORECASE) for lang, cues in _CUES.items()}

    def find(self, text: str, *, language: str) -> CompetitorMentions:
        """The brands (as written in the tenant's list casing-insensitively) and cues found."""
        norm = unicodedata.normalize("NFKC", text)
        brands = tuple(dict.fromkeys(m.group(0) for m in self._brands.finditer(norm))) if self._brands else ()
        cue_re = self._cues.get(language)
        cues = tuple(dict.fromkeys(m.group(0) for m in cue_re.finditer(norm))) if cue_re else ()
        return CompetitorMentions(brands=brands, cues=cues)
