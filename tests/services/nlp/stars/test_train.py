"""train_from_records on template data: exports a loadable ONNX model that separates polar reviews."""

from __future__ import annotations

import json

import numpy as np
import pytest

from services.nlp.stars.export import dequantised
from services.nlp.stars.features import FeatureConfig, featurize_views
from services.nlp.stars.model import StarModel, negative_score
from services.nlp.stars.network import NetConfig, forward_ensemble, train_network
from services.nlp.stars.train import DEFAULT_MEMBERS, featurize_each, train_from_records

SMALL = FeatureConfig(n_buckets=1 << 16)

NEG = {
    "en": "Awful quality, broke after one day. Waste of money.",
    "de": "Totaler Schrott, nach einem Tag kaputt. Geld verschwendet.",
    "fr": "Qualité nulle, cassé après un jour. Argent gaspillé.",
    "es": "Calidad pésima, se rompió en un día. Dinero tirado.",
    "ja": "最悪です。一日で壊れました。お金の無駄でした。",
    "zh": "太差了，用了一天就坏了，浪费钱。",
}
POS = {
    "en": "Excellent, absolutely love it! Highly recommend.",
    "de": "Hervorragend, absolut begeistert! Klare Kaufempfehlung.",
    "fr": "Excellent, je l'adore ! Je recommande vivement.",
    "es": "Excelente, me encanta! Lo recomiendo totalmente.",
    "ja": "最高です！とても気に入りました。おすすめです！",
    "zh": "非常好，超级喜欢！强烈推荐！",
}


@pytest.fixture(scope="module")
def trained(tmp_path_factory, synthetic_reviews):
    out = tmp_path_factory.mktemp("stars")
    return train_from_records(synthetic_reviews, out, feature_config=SMALL, epochs=8, seed=3)


def test_writes_model_and_metrics(trained):
    assert trained.model_path.is_file() and trained.metrics_path.is_file()
    metrics = json.loads(trained.metrics_path.read_text())
    assert metrics["holdout_size"] > 0
    assert metrics["holdout"]["model"]["all"]["exact"] > 0.6
    assert metrics["trained_on"]["dataset"] == "operator-owned labelled reviews"


def test_model_loads_and_separates_polar_reviews(trained):
    model = StarModel.load(trained.model_path)
    assert model.version.startswith("stars-hashbag-")
    langs = list(NEG)
    probs = model.predict([NEG[lang] for lang in langs] + [POS[lang] for lang in langs])
    assert probs.shape == (12, 5)
    assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)
    stars = probs.argmax(axis=1) + 1
    neg = negative_score(probs)
    for i, lang in enumerate(langs):
        assert stars[i] <= 2, (lang, probs[i])
        assert stars[6 + i] >= 4, (lang, probs[6 + i])
        assert neg[i] > 0.6 > 0.4 > neg[6 + i], lang


def test_onnx_graph_matches_numpy_reference(trained, synthetic_reviews):
    # NOTE: retrain a tiny pair of members in-process and compare the exported graph with numpy.
    from services.nlp.stars.export import export_onnx

    texts = [t for t, _, _ in synthetic_reviews]
    stars = np.array([s for _, s, _ in synthetic_reviews])
    feats, views = featurize_each(texts, SMALL)
    members = [
        train_network(feats, stars, SMALL.n_buckets, NetConfig(**{**c.to_dict(), "epochs": 2}), views_list=views)
        for c in DEFAULT_MEMBERS
    ]
    path = trained.model_path.parent / "parity.onnx"
    export_onnx(members, SMALL, DEFAULT_MEMBERS, path, version="parity")
    model = StarModel.load(path)
    probe = texts[:50] + ["", "非常满意", "!!!"]
    ids, seg, view = featurize_views(probe, SMALL)
    ref = forward_ensemble(dequantised(members), ids, seg, len(probe), view)
    assert np.allclose(model.predict(probe), ref, atol=1e-4)


def test_training_is_deterministic(synthetic_reviews):
    texts = [t for t, _, _ in synthetic_reviews[:120]]
    stars = np.array([s for _, s, _ in synthetic_reviews[:120]])
    feats, views = featurize_each(texts, SMALL)
    cfg = NetConfig(dim=8, hidden=8, epochs=1, seed=7)
    a = train_network(feats, stars, SMALL.n_buckets, cfg)
    b = train_network(feats, stars, SMALL.n_buckets, cfg)
    assert np.array_equal(a.emb, b.emb) and np.array_equal(a.w2, b.w2)


def test_rejects_bad_records(tmp_path):
    with pytest.raises(ValueError, match="record 1"):
        train_from_records([("fine", 5), ("bad", 7)], tmp_path)
    with pytest.raises(ValueError, match="no records"):
        train_from_records([], tmp_path)
