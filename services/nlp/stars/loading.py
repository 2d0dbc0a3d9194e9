"""Which star model a configured path means: our own ONNX model, or a Hugging Face export."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from .hf_model import CONFIG_FILE, MODEL_FILE, TOKENIZER_FILE

if TYPE_CHECKING:
    from .calibration import NegativeCalibration
    from .hf_model import HuggingFaceStarModel
    from .model import StarModel


@runtime_checkable
class StarPredictor(Protocol):
    """What serving needs from a star model (StarModel and HuggingFaceStarModel both have it)."""

    version: str
    metadata: dict[str, str]
    # NOTE: the map of its raw negative score to a probability (calibration.json beside it), or None.
    calibration: NegativeCalibration | None

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        """Probabilities of 1..5 stars, float32 of shape (len(texts), 5), rows summing to 1."""
        ...

    def predict_batched(self, texts: Sequence[str], batch_size: int = 256) -> np.ndarray:
        """predict() in chunks of at most batch_size texts."""
        ...


def load_star_model(
    path: str | Path, *, intra_op_num_threads: int = 1, find_calibration: bool = True
) -> StarModel | HuggingFaceStarModel:
    """Opens the star model at `path`.

    - a directory with `tokenizer.json` or `config.json`: a Hugging Face ONNX export (model.onnx,
      tokenizer.json, config.json) → HuggingFaceStarModel (which names any of them that is missing);
    - a `.onnx` file, or a directory with our `model.onnx` and no tokenizer.json → StarModel.
      (A `.onnx` file with a tokenizer.json beside it is taken as the Hugging Face export it is.)

    Either way the calibration.json in the same directory, if any, maps its negative score
    (find_calibration=False ignores it).
    """
    from .hf_model import HuggingFaceStarModel
    from .model import StarModel

    path = Path(path)
    options = {"intra_op_num_threads": intra_op_num_threads, "find_calibration": find_calibration}
    if path.is_dir():
        # NOTE: our own model directory holds model.onnx, metrics.json and MODEL_CARD.md, never a
        # config.json; an export that lost its tokenizer.json is told so, not "not a ReviewGuard model".
        if (path / TOKENIZER_FILE).is_file() or (path / CONFIG_FILE).is_file():
            return HuggingFaceStarModel.load(path, **options)
        if (path / MODEL_FILE).is_file():
            return StarModel.load(path / MODEL_FILE, **options)
        raise FileNotFoundError(
            f"no star model in {path}: expected {MODEL_FILE} (a ReviewGuard model) or "
            f"{MODEL_FILE} + {TOKENIZER_FILE} + config.json (a Hugging Face ONNX export)"
        )
    if path.is_file():
        if path.suffix != ".onnx":
            raise ValueError(
                f"{path}: not a star model; give a ReviewGuard .onnx file or a directory "
                "holding a Hugging Face ONNX export (model.onnx, tokenizer.json, config.json)"
            )
        if (path.parent / TOKENIZER_FILE).is_file() and path.name == MODEL_FILE:
            return HuggingFaceStarModel.load(path.parent, **options)
        return StarModel.load(path, **options)
    raise FileNotFoundError(f"star model not found: {path}")
