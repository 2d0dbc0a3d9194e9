"""Synthetic multilingual review fixtures written for these tests, and where the MARC development copy is (read in place)."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

# NOTE: per language, phrases by star rating; reviews are assembled from them with product words.
PHRASES: dict[str, dict[int, list[str]]] = {
    "en": {
        1: [
            "Terrible {p}, broke after one day.",
            "Awful quality, complete waste of money.",
            "Do not buy this {p}, it is junk.",
            "Worst purchase ever, returned it immediately.",
        ],
        2: [
            "Disappointing {p}, poor quality.",
            "Not good, the {p} stopped working after a week.",
            "Cheap material and bad fit.",
            "Rather bad, I expected more.",
        ],
        3: [
            "The {p} is okay, nothing special.",
            "Average quality for the price.",
            "It works but the {p} feels a bit cheap.",
            "Decent, some pros and cons.",
        ],
        4: [
            "Good {p}, works well.",
            "Nice quality, happy with it.",
            "Solid {p} for the price, would buy again.",
            "Pretty good, fast delivery.",
        ],
        5: [
            "Excellent {p}, absolutely love it!",
            "Perfect, great quality and works perfectly.",
            "Amazing {p}, highly recommend!",
            "Best purchase, fantastic value.",
        ],
    },
    "de": {
        1: [
            "Schrecklich, das {p} ist nach einem Tag kaputt.",
            "Totaler Schrott, Geld verschwendet.",
            "Finger weg von diesem {p}!",
            "Miserable Qualität, sofort zurückgeschickt.",
        ],
        2: [
            "Enttäuschend, schlechte Qualität.",
            "Nicht gut, das {p} funktioniert kaum.",
            "Billiges Material, passt schlecht.",
            "Eher schlecht, hatte mehr erwartet.",
        ],
        3: [
            "Das {p} ist okay, nichts Besonderes.",
            "Durchschnittliche Qualität für den Preis.",
            "Geht so, hat Vor- und Nachteile.",
            "Mittelmäßig, aber brauchbar.",
        ],
        4: [
            "Gutes {p}, funktioniert gut.",
            "Schöne Qualität, bin zufrieden.",
            "Solide für den Preis, würde wieder kaufen.",
            "Ziemlich gut, schnelle Lieferung.",
        ],
        5: [
            "Hervorragendes {p}, absolut begeistert!",
            "Perfekt, tolle Qualität!",
            "Super {p}, klare Kaufempfehlung!",
            "Bester Kauf, ausgezeichnet.",
        ],
    },
    "fr": {
        1: [
            "Horrible, le {p} est cassé après un jour.",
            "Qualité nulle, argent gaspillé.",
            "N'achetez pas ce {p}, c'est de la camelote.",
            "Pire achat, renvoyé immédiatement.",
        ],
        2: [
            "Décevant, mauvaise qualité.",
            "Pas terrible, le {p} fonctionne mal.",
            "Matériau bon marché, mal ajusté.",
            "Plutôt mauvais, je m'attendais à mieux.",
        ],
        3: [
            "Le {p} est correct, sans plus.",
            "Qualité moyenne pour le prix.",
            "Ça va, des avantages et des inconvénients.",
            "Moyen mais utilisable.",
        ],
        4: [
            "Bon {p}, fonctionne bien.",
            "Belle qualité, je suis content.",
            "Bon rapport qualité prix, je rachèterais.",
            "Plutôt bien, livraison rapide.",
        ],
        5: [
            "Excellent {p}, je l'adore !",
            "Parfait, superbe qualité !",
            "Génial, je recommande vivement ce {p} !",
            "Meilleur achat, fantastique.",
        ],
    },
    "es": {
        1: [
            "Horrible, el {p} se rompió en un día.",
            "Calidad pésima, dinero tirado.",
            "No compréis este {p}, es basura.",
            "La peor compra, lo devolví enseguida.",
        ],
        2: [
            "Decepcionante, mala calidad.",
            "No es bueno, el {p} funciona mal.",
            "Material barato y mal ajuste.",
            "Bastante malo, esperaba más.",
        ],
        3: [
            "El {p} está bien, nada especial.",
            "Calidad normal para el precio.",
            "Regular, tiene pros y contras.",
            "Aceptable pero mejorable.",
        ],
        4: [
            "Buen {p}, funciona bien.",
            "Buena calidad, estoy contento.",
            "Buena relación calidad precio, volvería a comprar.",
            "Bastante bien, envío rápido.",
        ],
        5: [
            "Excelente {p}, me encanta!",
            "Perfecto, calidad estupenda!",
            "Genial, recomiendo este {p} totalmente!",
            "La mejor compra, fantástico.",
        ],
    },
    "ja": {
        1: [
            "最悪です。{p}は一日で壊れました。",
            "品質がひどい、お金の無駄でした。",
            "この{p}は買わない方がいいです。",
            "すぐに返品しました。最低です。",
        ],
        2: [
            "残念です。品質が悪いです。",
            "{p}があまり使えません。",
            "安っぽい素材でサイズも合わない。",
            "期待外れでした。",
        ],
        3: [
            "{p}は普通です。",
            "値段なりの品質です。",
            "まあまあです。良い点も悪い点もあります。",
            "可もなく不可もなく。",
        ],
        4: [
            "良い{p}です。使いやすいです。",
            "品質も良く満足しています。",
            "値段の割に良いです。",
            "配送も早くて良かったです。",
        ],
        5: [
            "最高の{p}です！とても気に入りました。",
            "完璧です。素晴らしい品質！",
            "大満足です。おすすめです！",
            "買って本当に良かったです。",
        ],
    },
    "zh": {
        1: [
            "太差了，{p}用了一天就坏了。",
            "质量很差，浪费钱。",
            "千万别买这个{p}，垃圾。",
            "最差的一次购物，马上退货了。",
        ],
        2: ["很失望，质量不好。", "不太好，{p}不好用。", "材料很廉价，尺寸也不合适。", "比较差，没有达到预期。"],
        3: ["{p}一般般，没什么特别。", "质量一般，对得起价格。", "还行吧，有优点也有缺点。", "马马虎虎。"],
        4: ["{p}不错，挺好用的。", "质量挺好，比较满意。", "性价比高，会回购。", "还不错，发货很快。"],
        5: ["非常好的{p}，超级喜欢！", "完美，质量非常好！", "太棒了，强烈推荐这个{p}！", "非常满意，物超所值。"],
    },
}
PRODUCTS: dict[str, list[str]] = {
    "en": ["phone case", "kettle", "charger", "backpack", "lamp"],
    "de": ["Handy", "Kabel", "Ladegerät", "Messer", "Gerät"],
    "fr": ["chargeur", "sac", "câble", "produit", "téléphone"],
    "es": ["cargador", "bolso", "cable", "producto", "teléfono"],
    "ja": ["ケース", "充電器", "バッグ", "商品", "ライト"],
    "zh": ["手机壳", "充电器", "背包", "产品", "台灯"],
}


def make_reviews(
    per_star: int = 20, seed: int = 0, langs: tuple[str, ...] = tuple(PHRASES)
) -> list[tuple[str, int, str]]:
    """(text, stars, lang) triples: per language and star, `per_star` reviews of 1-2 template phrases."""
    rng = random.Random(seed)
    out = []
    for lang in langs:
        for stars, phrases in PHRASES[lang].items():
            for _ in range(per_star):
                k = rng.choice([1, 1, 2])
                parts = [rng.choice(phrases).format(p=rng.choice(PRODUCTS[lang])) for _ in range(k)]
                sep = "" if lang in ("ja", "zh") else " "
                out.append((sep.join(parts), stars, lang))
    rng.shuffle(out)
    return out


@pytest.fixture(scope="session")
def synthetic_reviews() -> list[tuple[str, int, str]]:
    """Template-built labelled reviews in six languages."""
    return make_reviews()


def find_marc_dir() -> Path | None:
    """The MARC development copy: $REVIEWGUARD_MARC_DIR, else shared/data/reviews-marc beside any parent folder.

    It is licensed for research use and never copied into the repository, so tests read it in place
    (from /work/main that is ../shared, from a worktree deeper down one more level up).
    """
    env = os.environ.get("REVIEWGUARD_MARC_DIR")
    if env:
        return Path(env)
    for parent in Path(__file__).resolve().parents:
        candidate = parent / "shared" / "data" / "reviews-marc"
        if (candidate / "train_en.jsonl").is_file():
            return candidate
    return None


@pytest.fixture(scope="session")
def marc_dir() -> Path:
    found = find_marc_dir()
    if found is None or not found.is_dir():
        pytest.skip("MARC development data not found (shared/data/reviews-marc); set REVIEWGUARD_MARC_DIR")
    return found


@pytest.fixture(scope="session")
def review_maker():
    """make_reviews itself, for tests that need more template reviews than synthetic_reviews holds."""
    return make_reviews
