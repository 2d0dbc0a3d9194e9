"""The committed model: loads, is small, and rates obvious reviews right in six languages."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from services.nlp.stars.model import DEFAULT_MODEL_PATH, StarModel, negative_score

NEGATIVE = {
    "en": "Terrible product. It broke after two days and customer service ignored me. Complete waste of money, do not buy.",
    "de": "Absoluter Schrott. Nach zwei Tagen kaputt, der Kundenservice antwortet nicht. Geld zum Fenster rausgeworfen, nicht kaufen!",
    "fr": "Produit horrible. Cassé au bout de deux jours et le service client ne répond pas. Une arnaque, n'achetez pas.",
    "es": "Producto horrible. Se rompió a los dos días y el servicio al cliente no responde. Una estafa, no lo compréis.",
    "ja": "最悪の商品です。二日で壊れました。問い合わせても返事がありません。お金の無駄、買わないでください。",
    "zh": "质量太差了，用了两天就坏了，客服也不理人。完全是浪费钱，千万别买。",
}
POSITIVE = {
    "en": "Excellent quality, works perfectly and arrived quickly. I love it and would definitely buy again!",
    "de": "Hervorragende Qualität, funktioniert einwandfrei und kam schnell an. Ich bin begeistert, klare Kaufempfehlung!",
    "fr": "Excellente qualité, fonctionne parfaitement et livré rapidement. J'adore, je recommande vivement !",
    "es": "Calidad excelente, funciona perfectamente y llegó rápido. Me encanta, lo recomiendo totalmente.",
    "ja": "とても良い商品です。品質も素晴らしく、すぐに届きました。大満足です、おすすめします！",
    "zh": "质量非常好，做工精细，物流也很快。非常满意，强烈推荐！",
}


@pytest.fixture(scope="module")
def model() -> StarModel:
    return StarModel.load(DEFAULT_MODEL_PATH)


def test_committed_model_is_small_and_versioned(model):
    assert DEFAULT_MODEL_PATH.stat().st_size < 30_000_000
    assert model.version.startswith("stars-")
    assert "MARC" in model.metadata.get("trained_on", "")


@pytest.mark.parametrize("lang", sorted(NEGATIVE))
def test_obvious_reviews_get_the_right_side(model, lang):
    probs = model.predict([NEGATIVE[lang], POSITIVE[lang]])
    stars = probs.argmax(axis=1) + 1
    assert stars[0] <= 2, probs[0]
    assert stars[1] >= 4, probs[1]
    neg = negative_score(probs, model.calibration)  # the served, calibrated score
    assert neg[0] > 0.7 and neg[1] < 0.3


def test_shapes_empty_and_odd_input(model):
    assert model.predict([]).shape == (0, 5)
    probs = model.predict(["", "  ", "👍👍👍", "x" * 100_000])
    assert probs.shape == (4, 5)
    assert np.all(np.isfinite(probs)) and np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)


def test_batch_independent(model):
    texts = list(NEGATIVE.values()) + list(POSITIVE.values())
    together = model.predict(texts)
    alone = np.concatenate([model.predict([t]) for t in texts])
    assert np.allclose(together, alone, atol=1e-5)


def test_thread_safe(model):
    texts = list(NEGATIVE.values()) + list(POSITIVE.values())
    expected = model.predict(texts)
    errors = []

    def work():
        for _ in range(20):
            if not np.allclose(model.predict(texts), expected, atol=1e-5):
                errors.append("mismatch")

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


def test_negative_score_definition():
    p = np.array([[1, 0, 0, 0, 0], [0, 0, 1, 0, 0], [0, 0, 0, 0, 1], [0.2, 0.2, 0.2, 0.2, 0.2]], dtype=np.float32)
    assert np.allclose(negative_score(p), [1.0, 0.5, 0.0, 0.5])
