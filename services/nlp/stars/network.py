"""Pure-numpy training of the hashed n-gram bag network (embedding bag -> hidden layer + wide linear part)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass

import numpy as np

from .features import VIEW_CHAR, VIEW_DOC, occurrence_weights

log = logging.getLogger(__name__)

N_CLASSES = 5


@dataclass(frozen=True)
class NetConfig:
    """Network shape and optimiser settings."""

    dim: int = 32  # deep embedding width
    hidden: int = 64
    epochs: int = 6
    batch: int = 128
    lr: float = 3e-3
    emb_lr: float = 1e-2
    feat_dropout: float = 0.3  # NOTE: dropping whole n-grams is the main regulariser on 12k-a-language data
    hidden_dropout: float = 0.2
    neighbour_smoothing: float = 0.1  # NOTE: stars are ordinal: put a little target mass on +-1 star
    pooling: str = "sqrt"  # see features.occurrence_weights: "mean", "sqrt" or "sqrt_views"
    wide: bool = True  # NOTE: a linear n-gram -> logit path next to the hidden layer ("wide & deep")
    emb_l2: float = 0.0  # L2 on the embedding rows a step touches
    # NOTE: "sgd" (fastText-style) moves a row in proportion to its gradient, so n-grams seen in a
    # few reviews stay small; lazy Adam moves every touched row by ~lr and memorises rare n-grams.
    emb_opt: str = "adam"
    seed: int = 13

    def to_dict(self) -> dict:
        """Return a JSON-serialisable dict."""
        return asdict(self)


@dataclass
class Params:
    """Trained weights: emb (buckets, dim+5), w1 (dim, hidden), b1, w2 (hidden, 5), b2."""

    emb: np.ndarray
    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: np.ndarray
    pooling: str


def _default_views(ids: np.ndarray) -> np.ndarray:
    """Views when none were given: bucket 0 is the document feature, the rest count as chars."""
    return np.where(ids == 0, VIEW_DOC, VIEW_CHAR).astype(np.uint8)


def forward(params: Params, ids: np.ndarray, seg: np.ndarray, n: int, view: np.ndarray | None = None) -> np.ndarray:
    """Star probabilities (n, 5) for featurised texts grouped by text (reference for the ONNX graph)."""
    view = _default_views(ids) if view is None else view
    w = occurrence_weights(seg, view, n, params.pooling)
    counts = np.bincount(seg, minlength=n)
    # NOTE: featurize() groups ids by text and gives every text >= 1 id, so reduceat is exact.
    starts = np.zeros(n, dtype=np.int64)
    np.cumsum(counts[:-1], out=starts[1:])
    bag = np.add.reduceat(params.emb[ids] * w[:, None], starts, axis=0)
    d = params.w1.shape[0]
    h = np.maximum(bag[:, :d] @ params.w1 + params.b1, 0.0)
    logits = h @ params.w2 + params.b2 + bag[:, d:]
    return _softmax(logits)


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def soft_targets(stars: np.ndarray, smoothing: float) -> np.ndarray:
    """One-hot star targets with `smoothing` mass moved to the neighbouring stars."""
    n = len(stars)
    y = np.zeros((n, N_CLASSES), dtype=np.float32)
    k = stars - 1
    y[np.arange(n), k] = 1.0 - smoothing
    lo = k - 1
    hi = k + 1
    has_lo = lo >= 0
    has_hi = hi < N_CLASSES
    share = np.where(has_lo & has_hi, smoothing / 2, smoothing).astype(np.float32)
    y[np.nonzero(has_lo)[0], lo[has_lo]] += share[has_lo]
    y[np.nonzero(has_hi)[0], hi[has_hi]] += share[has_hi]
    return y


class _Adam:
    """Adam for dense tensors, and lazy (row-wise) Adam for the embedding table."""

    def __init__(self, shapes: Sequence[tuple[int, ...]], b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8):
        self.m = [np.zeros(s, dtype=np.float32) for s in shapes]
        self.v = [np.zeros(s, dtype=np.float32) for s in shapes]
        self.b1, self.b2, self.eps = b1, b2, eps
        self.t = 0

    def step(self, i: int, param: np.ndarray, grad: np.ndarray, lr: float, rows: np.ndarray | None = None) -> None:
        b1, b2 = self.b1, self.b2
        c1 = 1 - b1**self.t
        c2 = 1 - b2**self.t
        if rows is None:
            m, v = self.m[i], self.v[i]
            m *= b1
            m += (1 - b1) * grad
            v *= b2
            v += (1 - b2) * grad * grad
            param -= (lr / c1) * m / (np.sqrt(v / c2) + self.eps)
        else:
            m = self.m[i][rows] * b1 + (1 - b1) * grad
            v = self.v[i][rows] * b2 + (1 - b2) * grad * grad
            self.m[i][rows] = m
            self.v[i][rows] = v
            param[rows] -= (lr / c1) * m / (np.sqrt(v / c2) + self.eps)


def train_network(
    ids_list: Sequence[np.ndarray],
    stars: np.ndarray,
    n_buckets: int,
    cfg: NetConfig,
    *,
    views_list: Sequence[np.ndarray] | None = None,
    on_epoch: Callable[[int, Params], None] | None = None,
) -> Params:
    """Train on pre-featurised texts (one id array, and optionally one view array, per text) with 1-5 star labels."""
    rng = np.random.default_rng(cfg.seed)
    n = len(ids_list)
    stars = np.asarray(stars, dtype=np.int64)
    lengths = np.fromiter((len(a) for a in ids_list), dtype=np.int64, count=n)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(lengths, out=offsets[1:])
    flat = np.concatenate(ids_list) if n else np.zeros(0, np.int64)
    flat_views = np.concatenate(views_list) if views_list is not None and n else _default_views(flat)
    targets = soft_targets(stars, cfg.neighbour_smoothing)

    d, hdim = cfg.dim, cfg.hidden
    width = d + N_CLASSES
    emb = np.zeros((n_buckets, width), dtype=np.float32)
    # NOTE: only the deep part starts random; the wide (linear) part starts at zero like a fresh LR.
    # NOTE: dim=0 gives a pure linear (softmax regression) model: only the wide part learns.
    if d:
        emb[:, :d] = rng.uniform(-1.0 / d, 1.0 / d, size=(n_buckets, d)).astype(np.float32)
    w1 = (rng.standard_normal((d, hdim)) * np.sqrt(2.0 / max(d, 1))).astype(np.float32)
    b1 = np.zeros(hdim, dtype=np.float32)
    w2 = (rng.standard_normal((hdim, N_CLASSES)) * np.sqrt(1.0 / hdim)).astype(np.float32)
    # NOTE: classes are (near) balanced in our data; start from the empirical prior anyway.
    prior = np.bincount(stars - 1, minlength=N_CLASSES).astype(np.float64) + 1.0
    b2 = np.log(prior / prior.sum()).astype(np.float32)
    params = Params(emb, w1, b1, w2, b2, cfg.pooling)
    opt = _Adam([emb.shape, w1.shape, b1.shape, w2.shape, b2.shape])

    # NOTE: small operator datasets still need enough optimiser steps per epoch.
    batch = int(min(cfg.batch, max(32, n // 100)))
    steps_per_epoch = max(1, (n + batch - 1) // batch)
    total_steps = steps_per_epoch * cfg.epochs
    step = 0
    for epoch in range(cfg.epochs):
        t0 = time.perf_counter()
        order = rng.permutation(n)
        loss_sum = 0.0
        for b0 in range(0, n, batch):
            idx = order[b0 : b0 + batch]
            bn = len(idx)
            starts = offsets[idx]
            lens = lengths[idx]
            # gather this batch's feature ids, grouped by text
            seg = np.repeat(np.arange(bn), lens)
            pos = np.arange(lens.sum()) - np.repeat(np.cumsum(lens) - lens, lens) + np.repeat(starts, lens)
            ids = flat[pos]
            views = flat_views[pos]
            if cfg.feat_dropout > 0:
                # NOTE: the document feature (bucket 0) is never dropped, so no bag is empty.
                keep = (rng.random(len(ids)) >= cfg.feat_dropout) | (ids == 0)
                ids, seg, views = ids[keep], seg[keep], views[keep]
            counts = np.bincount(seg, minlength=bn)
            w_occ = occurrence_weights(seg, views, bn, cfg.pooling)[:, None]
            seg_starts = np.zeros(bn, dtype=np.int64)
            np.cumsum(counts[:-1], out=seg_starts[1:])
            bag = np.add.reduceat(emb[ids] * w_occ, seg_starts, axis=0)
            x = bag[:, :d]
            z1 = x @ w1 + b1
            h = np.maximum(z1, 0.0)
            if cfg.hidden_dropout > 0:
                hmask = (rng.random(h.shape) >= cfg.hidden_dropout).astype(np.float32) / (1 - cfg.hidden_dropout)
                h = h * hmask
            logits = h @ w2 + b2 + bag[:, d:]
            p = _softmax(logits)
            y = targets[idx]
            loss_sum += float(-(y * np.log(p + 1e-9)).sum())
            g = (p - y) / bn  # dL/dlogits
            gw2 = h.T @ g
            gb2 = g.sum(axis=0)
            gh = g @ w2.T
            if cfg.hidden_dropout > 0:
                gh *= hmask
            gz1 = gh * (z1 > 0)
            gw1 = x.T @ gz1
            gb1 = gz1.sum(axis=0)
            gx = gz1 @ w1.T
            gbag = np.concatenate([gx, g], axis=1)
            # NOTE: gradient of a row = sum over its occurrences; aggregate by sorting ids once.
            uniq, inv = np.unique(ids, return_inverse=True)
            o = np.argsort(inv, kind="stable")
            first = np.r_[0, np.nonzero(np.diff(inv[o]))[0] + 1]
            gemb = np.add.reduceat(gbag[seg[o]] * w_occ[o], first, axis=0)
            if cfg.emb_l2 > 0:
                gemb += cfg.emb_l2 * emb[uniq]
            if not cfg.wide:
                gemb[:, d:] = 0.0
            frac = 1.0 - step / total_steps
            step += 1
            opt.t += 1
            if cfg.emb_opt == "sgd":
                # NOTE: the loss is a batch mean; scale back to a per-review step like fastText.
                emb[uniq] -= (cfg.emb_lr * frac * bn) * gemb
            else:
                opt.step(0, emb, gemb, cfg.emb_lr * frac, rows=uniq)
            opt.step(1, w1, gw1, cfg.lr * frac)
            opt.step(2, b1, gb1, cfg.lr * frac)
            opt.step(3, w2, gw2, cfg.lr * frac)
            opt.step(4, b2, gb2, cfg.lr * frac)
        log.info("epoch %d/%d loss %.4f (%.1fs)", epoch + 1, cfg.epochs, loss_sum / max(n, 1), time.perf_counter() - t0)
        if on_epoch is not None:
            on_epoch(epoch, params)
    return params


def forward_ensemble(
    members: Sequence[Params], ids: np.ndarray, seg: np.ndarray, n: int, view: np.ndarray | None = None
) -> np.ndarray:
    """Mean of the members' star probabilities (reference implementation of the exported graph)."""
    return sum(forward(m, ids, seg, n, view) for m in members) / len(members)
