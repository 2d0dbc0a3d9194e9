"""Serving: StarModel wraps the ONNX star model (featurise in numpy, score with onnxruntime)."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .calibration import NegativeCalibration, load_beside
from .features import FeatureConfig, featurize_views, view_weights

log = logging.getLogger(__name__)

DEFAULT_MODEL_PATH = Path(__file__).resolve().parents[1] / "models" / "stars" / "model.onnx"
# NOTE: weights of P(1..5 stars) in the negative score; 3 stars counts as half negative.
NEGATIVE_WEIGHTS: tuple[float, ...] = (1.0, 1.0, 0.5, 0.0, 0.0)


def raw_negative(probs: np.ndarray) -> np.ndarray:
    """The uncalibrated score in [0, 1]: P(1★) + P(2★) + 0.5·P(3★), per row of (n, 5) star probabilities."""
    p = np.asarray(probs, dtype=np.float32)
    return np.clip(p.reshape(-1, 5) @ np.asarray(NEGATIVE_WEIGHTS, dtype=np.float32), 0.0, 1.0)


def negative_score(probs: np.ndarray, calibration: NegativeCalibration | None = None) -> np.ndarray:
    """The negative score served: the raw score through the model's calibration (a lookup), if it has one.

    With the shipped calibration it is the probability that the review is critical (1–3★); see
    MODEL_CARD.md "Negative score" for why that event and not 1–2★.
    """
    raw = raw_negative(probs)
    return raw if calibration is None else calibration.apply(raw)


def expected_stars(probs: np.ndarray) -> np.ndarray:
    """Expected star rating (1..5) per row."""
    return np.asarray(probs).reshape(-1, 5) @ np.arange(1, 6, dtype=np.float32)


class StarModel:
    """Star-probability model served with onnxruntime; safe to call from several threads."""

    def __init__(
        self,
        session,
        feature_config: FeatureConfig,
        version: str,
        pooling: str,
        metadata: dict[str, str],
        calibration: NegativeCalibration | None = None,
    ):
        self._session = session
        self.feature_config = feature_config
        self.version = version
        self.pooling = pooling
        self.metadata = dict(metadata)
        self.calibration = calibration

    @classmethod
    def load(
        cls,
        path: Path | str = DEFAULT_MODEL_PATH,
        *,
        intra_op_num_threads: int = 1,
        calibration: NegativeCalibration | None = None,
        find_calibration: bool = True,
    ) -> StarModel:
        """Open an exported model.onnx; the onnxruntime session is created once here.

        The negative-score calibration is `calibration` if given (a tenant's model reuses the
        default model's, see retrain.py), else the calibration.json beside the file, if any
        (find_calibration=False skips it: `calibrate` refits a stale one).
        """
        import onnxruntime as ort

        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"star model not found: {path}")
        so = ort.SessionOptions()
        so.intra_op_num_threads = int(intra_op_num_threads)
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        sess = ort.InferenceSession(str(path), sess_options=so, providers=["CPUExecutionProvider"])
        meta = dict(sess.get_modelmeta().custom_metadata_map)
        try:
            fcfg = FeatureConfig.from_dict(json.loads(meta["feature_config"]))
        except (KeyError, ValueError) as exc:
            raise ValueError(f"{path}: not a ReviewGuard star model (metadata 'feature_config' missing)") from exc
        current = FeatureConfig.__dataclass_fields__["version"].default
        if fcfg.version != current:
            # NOTE: a model trained with other hashing would silently produce garbage; refuse it.
            raise ValueError(f"{path}: built for featuriser v{fcfg.version}, this code is v{current}; retrain it")
        version = meta.get("version", "unknown")
        if calibration is None and find_calibration:
            calibration = load_beside(path, version)
        return cls(sess, fcfg, version, meta.get("pooling", "sqrt"), meta, calibration)

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        """Star probabilities, shape (len(texts), 5), columns = 1..5 stars."""
        n = len(texts)
        if n == 0:
            return np.zeros((0, 5), dtype=np.float32)
        ids, seg, view = featurize_views(texts, self.feature_config, grouped=False)
        key, weights = view_weights(seg, view, n, self.pooling)
        feed = {"ids": ids, "key": key, "weights": weights}
        # NOTE: InferenceSession.run is thread-safe; no per-call state lives on self.
        (probs,) = self._session.run(None, feed)
        return probs

    def predict_batched(self, texts: Sequence[str], batch_size: int = 256) -> np.ndarray:
        """predict() in chunks, to bound memory on large inputs."""
        parts = [self.predict(texts[i : i + batch_size]) for i in range(0, len(texts), batch_size)]
        return np.concatenate(parts) if parts else np.zeros((0, 5), dtype=np.float32)
