"""Near-duplicate clusters: copies and light edits cluster, distinct reviews do not, rebuilds agree."""

from __future__ import annotations

import pytest

import numpy as np

from services.nlp.duplicates import DuplicateIndex, Signer, from_bytes, shingles, to_bytes
from services.nlp.duplicates.index import BUCKET_CAP, _low_bits
from services.nlp.duplicates.signature import values_from_bytes

# NOTE: texts written for these tests; each pair is a copy with the edits a campaign typically makes.
COPIES = {
    "en": ("This kettle is great, boils water in two minutes and looks nice on the counter. Would buy again!",
           "this kettle is GREAT!! boils water in two minutes and looks nice on the counter... would buy again"),
    "de": ("Der Wasserkocher ist super, kocht in zwei Minuten und sieht in der Küche toll aus. Gerne wieder!",
           "Der Wasserkocher ist super! Kocht in zwei Minuten und sieht in der Küche toll aus - gerne wieder"),
    "fr": ("Cette bouilloire est géniale, l'eau bout en deux minutes et elle est jolie. Je recommande !",
           "Cette bouilloire est géniale : l'eau bout en deux minutes et elle est jolie, je recommande"),
    "ja": ("このケトルは最高です。二分でお湯が沸いて、キッチンに置いても見た目がいいです。また買います。",
           "このケトルは最高です！二分でお湯が沸いて、キッチンに置いても見た目がいいです！また買います！"),
    "zh": ("这个电水壶很好用，两分钟就烧开了，放在厨房里也很好看，还会再买。",
           "这个电水壶很好用!两分钟就烧开了，放在厨房里也很好看。还会再买!!"),
}
DISTINCT = [
    "The handle broke after a week and the lid never closed properly.",
    "Schnelle Lieferung, aber das Kabel ist viel zu kurz für meine Küche.",
    "La bouilloire fuit par le bas, je l'ai renvoyée le lendemain.",
    "取っ手が一週間で壊れました。残念です。",
    "水壶底部漏水，客服一直不回复。",
]


def test_shingles_ignore_case_punctuation_and_cjk_spacing() -> None:
    assert shingles("Hello, World!") == shingles("hello world")
    assert shingles("好 用") == shingles("好用")
    assert shingles("") == set()
    assert shingles("ok") == {"ok"}


@pytest.mark.parametrize("language", sorted(COPIES))
def test_copies_with_light_edits_form_one_cluster(language: str) -> None:
    original, copy = COPIES[language]
    index = DuplicateIndex()
    assert index.add("r1", original) is None
    for i, text in enumerate(DISTINCT):
        assert index.add(f"other{i}", text) is None
    assert index.add("r2", copy) == "r1"
    assert index.clusters() == {"r1": ["r1", "r2"]}


def test_a_light_paraphrase_is_near_but_a_rewrite_is_not() -> None:
    index = DuplicateIndex()
    index.add("a", "This kettle is great, boils water in two minutes and looks nice on the counter. Would buy again!")
    paraphrase = "This kettle is great, boils water in two minutes and looks really nice on the counter. Would buy again!"
    rewrite = "Great kettle: two minutes to boil, pretty on my counter, and I would purchase it again."
    near = index.near(paraphrase)
    assert [n.review_id for n in near] == ["a"] and 0.8 <= near[0].similarity < 1.0
    assert index.near(rewrite) == []


def test_cluster_id_stays_the_oldest_review_as_clusters_merge() -> None:
    base = "Absolutely love this blender, it crushes ice in seconds and is easy to clean afterwards. "
    index = DuplicateIndex()
    assert index.add("first", base + "Five stars.") is None
    assert index.add("second", "Totally different text about a lamp that flickers all the time.") is None
    assert index.add("third", base + "Five stars!") == "first"
    assert index.add("fourth", base + "5 stars.") == "first"
    assert index.cluster_of("second") is None and index.cluster_of("fourth") == "first"


def test_signatures_round_trip_through_bytes_and_rebuild_the_same_clusters() -> None:
    signer = Signer()
    texts = {f"r{i}": t for i, t in enumerate([*COPIES["en"], *COPIES["zh"], *DISTINCT])}
    rows = [(rid, to_bytes(signer.sign(t))) for rid, t in texts.items()]
    assert all(len(data) == 521 for _, data in rows)
    assert from_bytes(rows[0][1]).jaccard(signer.sign(texts["r0"])) == 1.0
    assert np.array_equal(values_from_bytes(rows[0][1]), from_bytes(rows[0][1]).hashvalues)
    live = DuplicateIndex(signer=signer)
    for rid, text in texts.items():
        live.add(rid, text)
    rebuilt = DuplicateIndex.from_signatures(rows, signer=signer)
    assert rebuilt.clusters() == live.clusters() == {"r0": ["r0", "r1"], "r2": ["r2", "r3"]}


def test_bad_bytes_are_refused() -> None:
    with pytest.raises(ValueError):
        from_bytes(b"nonsense")
    good = to_bytes(Signer().sign("some text here"))
    with pytest.raises(ValueError):
        from_bytes(good[:-4])


def test_an_edited_review_replaces_its_old_text_and_leaves_the_cluster() -> None:
    index = DuplicateIndex()
    text = "Solid tripod, folds small, holds my camera steady even in the wind at the beach."
    index.add("a", text)
    assert index.add("b", text) == "a"
    assert index.add("b", "I changed my mind: the leg lock slipped twice and the camera fell.") is None
    assert index.clusters() == {} and len(index) == 2
    index.remove("a")
    assert len(index) == 1


def _campaign(n: int, seed: int = 7) -> list[str]:
    """Generated reviews: distinct texts plus copies and light edits of a few templates."""
    import random

    rng = random.Random(seed)
    words = [f"w{i}x{rng.randrange(10**6)}" for i in range(3000)]
    templates = [" ".join(rng.choice(words) for _ in range(30)) for _ in range(8)]
    texts = []
    for _ in range(n):
        if rng.random() < 0.3:
            template = rng.choice(templates).split()
            template[rng.randrange(len(template))] = rng.choice(words)
            texts.append(" ".join(template))
        else:
            texts.append(" ".join(rng.choice(words) for _ in range(rng.randint(8, 30))))
    return texts


def _reference_clusters(texts: list[str], signer: Signer) -> dict[str, list[str]]:
    """Clusters as the round-2 index made them: datasketch's MinHashLSH and a union-find over every candidate."""
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=0.8, num_perm=signer.num_perm)
    signatures, parent = {}, {}

    def find(x: str) -> str:
        while parent[x] != x:
            x = parent[x]
        return x

    for i, text in enumerate(texts):
        rid, sig = f"r{i}", signer.sign(text)
        parent[rid] = rid
        for candidate in lsh.query(sig):
            if sig.jaccard(signatures[candidate]) >= 0.8:
                a, b = sorted((find(rid), find(candidate)), key=lambda r: int(r[1:]))
                parent[b] = a
        lsh.insert(rid, sig)
        signatures[rid] = sig
    groups: dict[str, list[str]] = {}
    for rid in parent:
        groups.setdefault(find(rid), []).append(rid)
    return {root: members for root, members in groups.items() if len(members) > 1}


def test_clusters_are_the_ones_a_full_lsh_search_finds() -> None:
    signer = Signer()
    texts = _campaign(600)
    index = DuplicateIndex(signer=signer, bucket_cap=10_000)
    for i, text in enumerate(texts):
        index.add(f"r{i}", text)
    reference = _reference_clusters(texts, signer)
    assert len(reference) >= 8 and index.clusters() == reference
    # With the default cap buckets fill up, yet every copy still joins its template's cluster.
    capped = DuplicateIndex(signer=signer)
    for i, text in enumerate(texts):
        capped.add(f"r{i}", text)
    assert capped.clusters() == reference


def test_a_huge_campaign_is_checked_against_a_bounded_number_of_copies() -> None:
    text = "Do not buy this, it broke on day one and the seller ignores every message I send them."
    index = DuplicateIndex()
    for i in range(500):
        assert index.add(f"c{i}", text) == (None if i == 0 else "c0")
    assert index.cluster_size("c499") == 500
    keys = index._band_keys(_low_bits(np.asarray([index.sign(text).hashvalues])))[0]  # noqa: SLF001 - the bound is the point
    assert len(index._candidates(keys)) == BUCKET_CAP  # noqa: SLF001


def test_adding_a_review_again_unchanged_keeps_every_cluster_id() -> None:
    base = "Absolutely love this blender, it crushes ice in seconds and is easy to clean afterwards. "
    index = DuplicateIndex()
    index.add("a", base + "Five stars.")
    index.add("b", base + "Five stars!")
    assert index.add("a", base + "Five stars.") == "a"
    assert index.add("b", base + "Five stars!") == "a"
    assert index.clusters() == {"a": ["a", "b"]}


def test_removing_the_link_of_a_chain_splits_its_cluster_at_the_oldest_members() -> None:
    words = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen".split()
    index = DuplicateIndex(threshold=0.5)
    first = " ".join(words)
    middle = " ".join(words[:12] + ["alpha", "beta", "gamma"])
    last = " ".join(words[:9] + ["alpha", "beta", "gamma", "delta", "epsilon", "zeta"])
    index.add("x", "something else entirely, a lamp that flickers")
    for rid, text in (("a", first), ("b", middle), ("c", last)):
        index.add(rid, text)
    if index.clusters() != {"a": ["a", "b", "c"]} or index.near(last)[-1].review_id == "a":
        pytest.skip("generated chain is not a chain under this signer")
    index.remove("b")
    assert index.clusters() == {} and index.cluster_of("c") is None and len(index) == 3
