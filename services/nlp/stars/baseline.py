"""Named baseline: hashed word + character n-grams with multinomial logistic regression (scikit-learn)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

log = logging.getLogger(__name__)

NAME = "hashing-word1-2+char_wb2-4 + LogisticRegression"


@dataclass
class Baseline:
    """A fitted baseline: vectorisers plus classifier."""

    vectorizers: list
    clf: object

    def _x(self, texts: Sequence[str]):
        from scipy.sparse import hstack

        return hstack([v.transform(texts) for v in self.vectorizers]).tocsr()

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Star probabilities (n, 5) for 1..5 stars."""
        return self.clf.predict_proba(self._x(texts))


def fit_baseline(texts: Sequence[str], stars: Sequence[int], *, seed: int = 13, c: float = 4.0) -> Baseline:
    """Fit the baseline on texts with 1-5 star labels."""
    try:
        from sklearn.feature_extraction.text import HashingVectorizer
        from sklearn.linear_model import LogisticRegression
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise RuntimeError("the baseline needs scikit-learn (pip install scikit-learn==1.9.1)") from exc
    # NOTE: sublinear weights and l2 norm per view, like a tf-idf-less bag; 2**20 buckets per view.
    vecs = [
        HashingVectorizer(analyzer="word", ngram_range=(1, 2), n_features=1 << 20, alternate_sign=False, norm="l2"),
        HashingVectorizer(analyzer="char_wb", ngram_range=(2, 4), n_features=1 << 20, alternate_sign=False, norm="l2"),
    ]
    b = Baseline(vecs, None)
    x = b._x(texts)
    y = np.asarray(stars) - 1
    if len(set(y.tolist())) < 5:
        raise ValueError("the baseline needs examples of all five star ratings")
    clf = LogisticRegression(C=c, max_iter=40, solver="saga", tol=1e-3, random_state=seed)
    clf.fit(x, y)
    b.clf = clf
    return b
