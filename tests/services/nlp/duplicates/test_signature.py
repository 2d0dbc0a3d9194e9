"""Batched MinHash: bit for bit datasketch's per-text MinHash, accurate Jaccard estimates, storable bytes."""

from __future__ import annotations

import itertools
import zlib

import numpy as np
import pytest
from datasketch import LeanMinHash, MinHash, MinHashLSH

from services.nlp.duplicates import Signer, from_bytes, shingles, to_bytes
from services.nlp.duplicates.shingles import CJK_K, LATIN_K, _CJK, normalise, normalised_codes
from services.nlp.duplicates.signature import SCHEME, _crc32_windows

# NOTE: texts written for these tests. Each pair is an original and a copy edited the way review
# campaigns edit (a word swapped or added, punctuation and case changed); the unrelated texts share
# topic and vocabulary with them but not wording.
NEAR = {
    "en": ("The kettle arrived quickly and boils water in under two minutes. The lid closes firmly and "
           "the handle stays cool. Very happy with it, would buy again.",
           "The kettle arrived quickly and boils water in under two minutes! The lid closes firmly and the "
           "handle stays cool. Really happy with it, would buy it again."),
    "de": ("Der Wasserkocher kam schnell an und kocht das Wasser in knapp zwei Minuten. Der Deckel schließt "
           "gut und der Griff bleibt kühl. Sehr zufrieden, gerne wieder.",
           "Der Wasserkocher kam sehr schnell an und kocht Wasser in knapp zwei Minuten. Der Deckel schließt "
           "gut, der Griff bleibt kühl. Sehr zufrieden - gerne wieder!"),
    "fr": ("La bouilloire est arrivée vite et chauffe l'eau en moins de deux minutes. Le couvercle ferme "
           "bien et la poignée reste froide. Très contente, je recommande.",
           "La bouilloire est arrivée très vite et chauffe l'eau en moins de deux minutes. Le couvercle ferme "
           "bien, la poignée reste froide. Très contente : je recommande !"),
    "es": ("El hervidor llegó rápido y calienta el agua en menos de dos minutos. La tapa cierra bien y el "
           "asa no se calienta. Muy contenta, lo volvería a comprar.",
           "El hervidor llegó muy rápido y calienta el agua en menos de dos minutos. La tapa cierra bien, el "
           "asa no se calienta. ¡Muy contenta, lo volvería a comprar!"),
    "ja": ("ケトルはすぐに届きました。二分以内にお湯が沸きます。蓋がしっかり閉まり、取っ手も熱くなりません。とても満足しています。",
           "ケトルはすぐに届きました！二分以内にお湯が沸きます。蓋がしっかり閉まって、取っ手も熱くなりません。大変満足しています。"),
    "zh": ("水壶很快就到了，两分钟之内就能把水烧开。盖子关得很紧，把手也不烫。非常满意，还会再买。",
           "水壶很快就到了!两分钟之内就能把水烧开，盖子关得很紧，把手一点也不烫。非常满意，还会再买的。"),
}
UNRELATED = [
    "The charger stopped working after a week and the seller never answered my emails about a refund.",
    "Das Ladegerät ist nach einer Woche kaputt gegangen und der Verkäufer antwortet nicht auf meine Mails.",
    "Le chargeur ne fonctionne plus au bout d'une semaine et le vendeur ne répond pas à mes messages.",
    "El cargador dejó de funcionar a la semana y el vendedor no contesta a mis mensajes.",
    "充電器が一週間で壊れました。販売者に連絡しても返事がありません。",
    "充电器用了一个星期就坏了，卖家一直不回复我的消息。",
]
# NOTE: the corners of normalisation: empty and punctuation-only texts, texts no longer than one
# shingle, NUL, emoji (4-byte UTF-8), combining marks, full-width and half-width forms, casefold
# expansions (ß, İ), CJK with layout spaces, mixed scripts, Hangul, Arabic-Indic digits.
EDGES = [
    "", " ", "!!! ...", "a", "ab", "abcde", "abcdef", "  ,hello  ", "ß straße STRASSE", "İstanbul ıi",
    "x\x00y\x00", "_a_b_", "ＦＡＫＥ ｆａｋｅ", "ｶﾀｶﾅ ﾃﾞｽ", "好 用", "好", "好用的", "e\u0301te cafe\u0301", "\u0301abc",
    "😀 smile 😀😀 👍🏽", "Ǆ ǅ ǆ", "ﬁne ﬂat", "٣٤٥ ١٢", "한국어 리뷰입니다 좋아요", "mixed 漢字 text here", "abc\n\ndef\tghi",
    "\u3000全角\u3000スペース\u3000", "😀😀😀😀😀😀 ok", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝒷𝑜𝓁𝒹", "a 好 b 用 c", "Ⅻ ⅻ ①②", "ἀι\u0345 ᾳ",
    "x" * 3000, "word " * 400,
]
ALL = [t for pair in NEAR.values() for t in pair] + UNRELATED + EDGES


def datasketch_signature(signer: Signer, text: str) -> np.ndarray:
    """The definition: datasketch's MinHash of the text's shingle set, each shingle CRC-32 hashed."""
    minhash = MinHash(num_perm=signer.num_perm, seed=signer.seed, hashfunc=zlib.crc32,
                      permutations=signer._permutations, scheme=SCHEME)
    minhash.update_batch([s.encode("utf-8") for s in shingles(text)])
    return minhash.hashvalues


def exact_jaccard(a: str, b: str) -> float:
    sa, sb = shingles(a), shingles(b)
    return len(sa & sb) / len(sa | sb)


def test_batch_signatures_equal_datasketch_bit_for_bit() -> None:
    signer = Signer()
    batch = signer.hashvalues(ALL)
    assert batch.shape == (len(ALL), 128) and batch.dtype == np.uint32
    for text, row in zip(ALL, batch):
        assert np.array_equal(row, datasketch_signature(signer, text)), text[:40]


def test_a_signature_does_not_depend_on_its_batch_and_sign_agrees() -> None:
    signer = Signer()
    batch = signer.hashvalues(ALL)
    for i, text in enumerate(ALL):
        assert np.array_equal(signer.hashvalues([text])[0], batch[i])
        assert np.array_equal(signer.sign(text).hashvalues, batch[i])
    assert signer.hashvalues([]).shape == (0, 128)


def test_batch_normalisation_equals_the_per_text_definition() -> None:
    norm = normalised_codes(ALL)
    for text, got, k in zip(ALL, norm.texts(), norm.k.tolist()):
        expected = normalise(text)
        if not expected:
            assert got == ""
            continue
        want_k = CJK_K if len(_CJK.findall(expected)) * 3 >= len(expected) else LATIN_K
        assert (got, k) == ((expected.replace(" ", "") if want_k == CJK_K else expected), want_k), text[:40]


def test_empty_texts_get_the_empty_set_signature() -> None:
    signer = Signer()
    for text in ("", " ", "!!! ..."):
        assert np.all(signer.hashvalues([text]) == 0xFFFFFFFF)
        assert np.array_equal(signer.sign(text).hashvalues, MinHash(scheme=SCHEME).hashvalues)


def test_crc32_by_table_equals_zlib() -> None:
    data = np.random.default_rng(7).integers(0, 256, 400, dtype=np.uint8)
    starts = np.arange(0, 380, 7)
    for length in range(1, 21):
        got = _crc32_windows(data, starts, length)
        assert got.tolist() == [zlib.crc32(data[s : s + length].tobytes()) for s in starts.tolist()]


def test_bytes_keep_the_stored_format() -> None:
    signer = Signer()
    texts = [NEAR["en"][0], NEAR["zh"][0], ""]
    for data, signature in zip(signer.sign_bytes_many(texts), signer.sign_many(texts)):
        assert data == to_bytes(signature) and len(data) == 521
        assert np.array_equal(from_bytes(data).hashvalues, signature.hashvalues)
        assert isinstance(signature, LeanMinHash) and signature.scheme == SCHEME and signature.seed == 1


@pytest.mark.parametrize("language", sorted(NEAR))
def test_estimated_jaccard_of_near_duplicates_is_close_to_the_exact_one(language: str) -> None:
    signer = Signer()
    original, copy = NEAR[language]
    a, b = signer.sign_many([original, copy])
    exact = exact_jaccard(original, copy)
    assert 0.5 < exact < 1.0  # NOTE: the copies really are edited, and really are close
    # NOTE: 128 permutations: the estimate's standard deviation is at most 0.045 here.
    assert abs(a.jaccard(b) - exact) <= 0.12


def test_estimated_jaccard_over_all_pairs_is_unbiased_and_tight() -> None:
    signer = Signer()
    texts = [t for pair in NEAR.values() for t in pair] + UNRELATED
    signatures = signer.sign_many(texts)
    errors = []
    for (i, a), (j, b) in itertools.combinations(enumerate(texts), 2):
        exact = exact_jaccard(a, b)
        estimate = signatures[i].jaccard(signatures[j])
        errors.append(estimate - exact)
        assert abs(estimate - exact) <= 0.12, (a[:30], b[:30])
        if exact < 0.1:
            assert estimate < 0.25
    assert abs(float(np.mean(errors))) < 0.02 and float(np.mean(np.abs(errors))) < 0.03


def test_signatures_work_in_datasketch_lsh() -> None:
    signer = Signer()
    texts = [t for pair in NEAR.values() for t in pair] + UNRELATED
    signatures = signer.sign_many(texts)
    lsh = MinHashLSH(threshold=0.5, num_perm=128)
    for i, signature in enumerate(signatures):
        lsh.insert(str(i), signature)
    for i in range(0, 2 * len(NEAR), 2):
        assert str(i + 1) in lsh.query(signatures[i])
