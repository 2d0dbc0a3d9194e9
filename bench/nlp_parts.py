"""Benchmark: reviews/s of risk lexicon, aspect tagging and MinHash signatures on a synthetic batch."""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import random
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from services.nlp.aspects import AspectTagger  # noqa: E402
from services.nlp.duplicates import Signer  # noqa: E402
from services.nlp.lexicon import RiskLexicon  # noqa: E402

log = logging.getLogger(__name__)

RESULTS = REPO / "bench" / "results" / "nlp_parts.json"

# NOTE: phrases written for this benchmark (no MARC text); reviews join 3–8 of them with a product
# word, giving lengths like real reviews (median ~100 characters, long tail).
PHRASES: dict[str, list[str]] = {
    "en": ["The {p} arrived damaged and the box was crushed.", "Works great, very happy with the {p}.",
           "Runs small, order a size up.", "Customer service never answered my emails.",
           "Great value for the price.", "It stopped working after two weeks.", "Delivery took forever.",
           "Not as described, the colour is different.", "I think this {p} is a fake.", "Five stars, would buy again."],
    "de": ["Das {p} kam beschädigt an.", "Funktioniert super, bin sehr zufrieden.", "Fällt klein aus.",
           "Der Kundenservice antwortet nicht.", "Preis-Leistung ist top.", "Nach zwei Wochen kaputt.",
           "Die Lieferung hat ewig gedauert.", "Nicht wie beschrieben, falsche Farbe.", "Totaler Betrug!", "Gerne wieder."],
    "fr": ["Le {p} est arrivé cassé.", "Fonctionne parfaitement, très content.", "Taille petit.",
           "Le service client ne répond pas.", "Bon rapport qualité prix.", "Tombé en panne après deux semaines.",
           "Livraison très lente.", "Pas conforme à la description.", "C'est une contrefaçon.", "Je recommande."],
    "es": ["El {p} llegó roto.", "Funciona genial, muy contento.", "Talla pequeña.", "El vendedor no responde.",
           "Buena relación calidad precio.", "Dejó de funcionar a las dos semanas.", "El envío tardó mucho.",
           "No corresponde con la foto.", "Es una imitación.", "Lo recomiendo."],
    "it": ["Il {p} è arrivato rotto.", "Funziona benissimo, molto soddisfatto.", "Veste piccolo.",
           "Il venditore non risponde.", "Ottimo rapporto qualità prezzo.", "Non funziona dopo due settimane.",
           "Spedizione lentissima.", "Non corrisponde alla descrizione.", "È un prodotto contraffatto.", "Consigliato."],
    "ja": ["{p}が破損して届きました。", "とても使いやすくて満足です。", "サイズが小さすぎました。",
           "問い合わせても返事がありません。", "値段の割に品質が良いです。", "二週間で動かなくなりました。",
           "配送が遅かったです。", "写真と色が違います。", "偽物だと思います。", "また買います。"],
    "zh": ["{p}收到时包装破损。", "很好用，非常满意。", "尺码偏小。", "客服一直不回复。", "性价比很高。",
           "用了两周就坏了。", "物流太慢了。", "与描述不符，颜色不对。", "感觉是假货。", "会回购的。"],
}
PRODUCTS = ["kettle", "Wasserkocher", "bouilloire", "hervidor", "bollitore", "ケトル", "电水壶", "lamp", "charger"]


def synthetic(n: int, seed: int = 4) -> tuple[list[str], list[str]]:
    """`n` synthetic reviews over seven languages, with their language codes."""
    rng = random.Random(seed)
    languages = list(PHRASES)
    texts, codes = [], []
    for i in range(n):
        lang = languages[i % len(languages)]
        k = min(8, 3 + int(rng.expovariate(0.6)))
        parts = [rng.choice(PHRASES[lang]).format(p=rng.choice(PRODUCTS)) for _ in range(k)]
        texts.append(" ".join(parts))
        codes.append(lang)
    return texts, codes


def rate(fn, n: int) -> float:
    start = time.perf_counter()
    fn()
    return n / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> int:
    """Times each part and all three together on one core of this process; writes the JSON."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--reviews", type=int, default=14_000)
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    texts, languages = synthetic(args.reviews)
    lexicon, tagger, signer = RiskLexicon.load(), AspectTagger.load(), Signer()
    n = len(texts)
    # NOTE: one warm-up pass so lazy imports and first-call costs do not count.
    tagger.tag(texts[:200], languages[:200]), signer.sign_many(texts[:200]), [lexicon.match(t) for t in texts[:200]]

    def everything() -> None:
        tagger.tag(texts, languages)
        for text in texts:
            lexicon.match(text)
            signer.sign(text)

    results = {
        "reviews": n,
        "mean_chars": round(sum(map(len, texts)) / n, 1),
        "languages": sorted(set(languages)),
        "reviews_per_s": {
            "risk_lexicon": round(rate(lambda: [lexicon.match(t) for t in texts], n)),
            "aspects": round(rate(lambda: tagger.tag(texts, languages), n)),
            "minhash_signature": round(rate(lambda: signer.sign_many(texts), n)),
            "all_three": round(rate(everything, n)),
        },
        "process": "one Python process, one thread",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
