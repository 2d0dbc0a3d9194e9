"""Bring your own model: a Hugging Face ONNX sequence-classification export served as a star model.

`HuggingFaceStarModel.load(directory)` reads what `optimum-cli export onnx --task text-classification`
(or `transformers` + `torch.onnx.export`) writes:

- `model.onnx`: inputs some of `input_ids`, `attention_mask`, `token_type_ids` (only the ones the graph
  declares are fed), output `logits` of shape (n, num_labels);
- `tokenizer.json`: a `tokenizers` fast tokenizer (special tokens such as [CLS] … [SEP] come from
  its post-processor);
- `config.json`: `id2label` (and `max_position_embeddings`); `tokenizer_config.json` is optional
  (`model_max_length`, `pad_token`).

It has the serving interface of `StarModel` (predict, predict_batched, version, metadata), so the
analyser, the registry and the CLI take either one.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .calibration import NegativeCalibration, load_beside

log = logging.getLogger(__name__)

MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
CONFIG_FILE = "config.json"
TOKENIZER_CONFIG_FILE = "tokenizer_config.json"

# NOTE: BERT-style encoders are trained on at most 512 positions; longer reviews are truncated
# (the head of a review carries most of its verdict), and attention cost grows with the square.
# The cap also covers RoBERTa/XLM-R configs, whose max_position_embeddings of 514 includes 2
# reserved positions.
MAX_LENGTH_CAP = 512
# NOTE: texts of one predict() call are sorted by token count and run in sub-batches of this many,
# each padded only to its own longest text: a batch of short reviews with one long one then pays
# for the long one once, not 256 times.
DEFAULT_INFERENCE_BATCH = 32
KNOWN_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_ORT_INT_TYPES = {"tensor(int64)": np.int64, "tensor(int32)": np.int32}

# "1 star", "2 stars", "5", "4★", "stars_3", "rating 2" (case-insensitive): a label naming one star count.
_STAR_LABEL = re.compile(r"^\s*(?:([1-5])\s*(?:stars?|★)?|(?:stars?|rating)[\s_:-]*([1-5]))\s*$", re.IGNORECASE)
# transformers' default names when a model was saved without labels: LABEL_0 … LABEL_4.
_DEFAULT_LABEL = re.compile(r"^LABEL_(\d+)$")


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax, stable for large logits (the row maximum is subtracted first)."""
    z = np.asarray(logits, dtype=np.float32)
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def star_columns(id2label: dict[int, str], source: Path | str = CONFIG_FILE) -> np.ndarray:
    """For each star 1..5, the logits column holding it (an index array of length 5).

    Labels naming a star count ("1 star" … "5 stars", in any order) are mapped by that count;
    transformers' default names LABEL_0 … LABEL_4 are taken in index order (0 → 1★ … 4 → 5★), the
    convention of star models saved without labels. Anything else is refused.
    """
    # NOTE: only 5-label models are accepted. The product stores and shows P(1★) … P(5★) and derives
    # the negative score and expected stars from them; a 2- or 3-label (negative/neutral/positive)
    # model has no star distribution, and inventing one (e.g. spreading "positive" over 4★ and 5★)
    # would show operators numbers the model never produced. Such a model needs a star head first.
    n = len(id2label)
    if n != 5 or sorted(id2label) != list(range(5)):
        raise ValueError(
            f"{source}: a star model needs exactly 5 labels (ids 0..4, one per star 1..5); "
            f"found {n}: {_describe(id2label)}"
        )
    labels = [str(id2label[i]) for i in range(5)]
    stars = [_star_of(label) for label in labels]
    if all(s is not None for s in stars) and sorted(stars) == [1, 2, 3, 4, 5]:
        return np.array([stars.index(s) for s in range(1, 6)], dtype=np.int64)
    defaults = [_DEFAULT_LABEL.match(label) for label in labels]
    if all(m is not None and int(m.group(1)) == i for i, m in enumerate(defaults)):
        return np.arange(5, dtype=np.int64)
    raise ValueError(
        f"{source}: cannot tell which label is which star rating: id2label is {_describe(id2label)}; "
        'expected each label to name one star count ("1 star" … "5 stars") or the defaults LABEL_0 … LABEL_4 '
        "(taken as 1 … 5 stars); rename the labels in config.json if the model predicts star ratings"
    )


def _star_of(label: str) -> int | None:
    m = _STAR_LABEL.match(label)
    if not m:
        return None
    return int(m.group(1) or m.group(2))


def _describe(id2label: dict[int, str]) -> str:
    return "{" + ", ".join(f"{k}: {v!r}" for k, v in sorted(id2label.items())) + "}"


def _read_json(path: Path, *, required: bool) -> dict:
    if not path.is_file():
        if required:
            raise FileNotFoundError(f"{path.name} not found in {path.parent} (needed for a Hugging Face model)")
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ValueError(f"{path}: not valid JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a JSON object")
    return data


def _id2label(config: dict, path: Path) -> dict[int, str]:
    raw = config.get("id2label")
    if raw is None:
        # NOTE: transformers writes id2label always; without it only num_labels says anything.
        n = config.get("num_labels")
        if not isinstance(n, int):
            raise ValueError(f"{path}: no id2label (nor num_labels): cannot tell which output is which star rating")
        return {i: f"LABEL_{i}" for i in range(n)}
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: id2label must be an object of id → label, found {type(raw).__name__}")
    try:
        return {int(k): str(v) for k, v in raw.items()}
    except ValueError as exc:
        raise ValueError(f"{path}: id2label keys must be integers, found {sorted(raw)}") from exc


def _max_length(config: dict, tok_config: dict, override: int | None) -> int:
    if override is not None:
        if int(override) < 2:
            raise ValueError(f"max_length must be at least 2 (room for the special tokens), got {override}")
        return int(override)
    limits = [MAX_LENGTH_CAP]
    for value in (tok_config.get("model_max_length"), config.get("max_position_embeddings")):
        # NOTE: transformers writes a huge sentinel (1e30) for "no limit"; such values don't count.
        if isinstance(value, (int, float)) and 2 <= value < 1_000_000:
            limits.append(int(value))
    return min(limits)


def _pad_id(tokenizer, tok_config: dict) -> int:
    """The id used for padding positions (masked out by attention_mask, so any valid id works)."""
    padding = tokenizer.padding
    if padding and padding.get("pad_id") is not None:
        return int(padding["pad_id"])
    pad = tok_config.get("pad_token")
    if isinstance(pad, dict):  # serialised AddedToken
        pad = pad.get("content")
    for token in (pad, "[PAD]", "<pad>"):
        if isinstance(token, str) and (tid := tokenizer.token_to_id(token)) is not None:
            return int(tid)
    return 0


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


class HuggingFaceStarModel:
    """A Hugging Face ONNX text classifier with 5 star labels; safe to call from several threads."""

    def __init__(
        self,
        session,
        tokenizer,
        *,
        input_types: dict[str, type],
        output_name: str,
        columns: np.ndarray,
        pad_id: int,
        max_length: int,
        version: str,
        metadata: dict[str, str],
        inference_batch_size: int = DEFAULT_INFERENCE_BATCH,
        calibration: NegativeCalibration | None = None,
    ) -> None:
        self._session = session
        # NOTE: configured once here (truncation on, library padding off: predict pads each
        # length-sorted sub-batch itself); never mutated after, so threads share it read-only.
        self._tokenizer = tokenizer
        self._input_types = dict(input_types)
        self._output_name = output_name
        self._columns = np.asarray(columns, dtype=np.int64)
        self._pad_id = int(pad_id)
        self.max_length = int(max_length)
        self.inference_batch_size = max(1, int(inference_batch_size))
        self.version = version
        self.metadata = dict(metadata)
        self.calibration = calibration

    @classmethod
    def load(
        cls,
        directory: Path | str,
        *,
        intra_op_num_threads: int = 1,
        max_length: int | None = None,
        inference_batch_size: int = DEFAULT_INFERENCE_BATCH,
        find_calibration: bool = True,
    ) -> HuggingFaceStarModel:
        """Open an export directory; the onnxruntime session and the tokenizer are created once here."""
        import onnxruntime as ort
        from tokenizers import Tokenizer

        directory = Path(directory)
        if not directory.is_dir():
            raise FileNotFoundError(f"Hugging Face model directory not found: {directory}")
        model_path, tok_path = directory / MODEL_FILE, directory / TOKENIZER_FILE
        for path in (model_path, tok_path):
            if not path.is_file():
                raise FileNotFoundError(f"{path.name} not found in {directory} (needed for a Hugging Face model)")
        config_path = directory / CONFIG_FILE
        config = _read_json(config_path, required=True)
        tok_config = _read_json(directory / TOKENIZER_CONFIG_FILE, required=False)
        # NOTE: labels are checked before the (slow, memory-hungry) session is created.
        id2label = _id2label(config, config_path)
        columns = star_columns(id2label, config_path)
        limit = _max_length(config, tok_config, max_length)

        try:
            tokenizer = Tokenizer.from_file(str(tok_path))
        except Exception as exc:  # noqa: BLE001 - the Rust side raises plain Exception
            raise ValueError(f"{tok_path}: not a tokenizers tokenizer.json ({exc})") from exc
        pad_id = _pad_id(tokenizer, tok_config)
        tokenizer.no_padding()
        tokenizer.enable_truncation(max_length=limit)

        so = ort.SessionOptions()
        so.intra_op_num_threads = int(intra_op_num_threads)
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        sess = ort.InferenceSession(str(model_path), sess_options=so, providers=["CPUExecutionProvider"])

        declared = {i.name: i.type for i in sess.get_inputs()}
        unknown = sorted(set(declared) - set(KNOWN_INPUTS))
        if unknown or "input_ids" not in declared:
            raise ValueError(
                f"{model_path}: inputs {sorted(declared)} are not a text classifier's; "
                f"expected input_ids and optionally attention_mask, token_type_ids"
            )
        input_types = {}
        for name, ort_type in declared.items():
            if ort_type not in _ORT_INT_TYPES:
                raise ValueError(f"{model_path}: input {name} is {ort_type}, expected tensor(int64)")
            input_types[name] = _ORT_INT_TYPES[ort_type]
        outputs = sess.get_outputs()
        names = [o.name for o in outputs]
        if "logits" in names:
            output = next(o for o in outputs if o.name == "logits")
        elif len(outputs) == 1:
            output = outputs[0]
        else:
            raise ValueError(f"{model_path}: no 'logits' output among {names}")
        width = output.shape[-1] if output.shape else None
        if isinstance(width, int) and width != len(id2label):
            raise ValueError(
                f"{model_path}: output {output.name} has {width} columns but {config_path.name} names {len(id2label)} labels"
            )

        digest = _sha256(model_path)
        version = f"hf-{directory.resolve().name}-{digest[:8]}"
        meta = {str(k): str(v) for k, v in sess.get_modelmeta().custom_metadata_map.items()}
        meta.update(
            {
                "version": version,
                "source": "huggingface-onnx",
                "path": str(directory.resolve()),
                "model_sha256": digest,
                "model_type": str(config.get("model_type", "unknown")),
                "name_or_path": str(config.get("_name_or_path", "")),
                "labels": json.dumps([id2label[int(c)] for c in columns], ensure_ascii=False),
                "inputs": ",".join(n for n in KNOWN_INPUTS if n in input_types),
                "max_length": str(limit),
            }
        )
        log.info(
            "loaded Hugging Face star model",
            extra={"fields": {"version": version, "inputs": meta["inputs"], "max_length": limit}},
        )
        return cls(
            sess,
            tokenizer,
            input_types=input_types,
            output_name=output.name,
            columns=columns,
            pad_id=pad_id,
            max_length=limit,
            version=version,
            metadata=meta,
            inference_batch_size=inference_batch_size,
            calibration=load_beside(directory, version) if find_calibration else None,
        )

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        """Star probabilities, shape (len(texts), 5), columns = 1..5 stars, rows sum to 1."""
        n = len(texts)
        if n == 0:
            return np.zeros((0, 5), dtype=np.float32)
        # NOTE: one text at a time, not encode_batch: encode_batch fans out over every core (Rust
        # thread pool), competing with the service's own threads, while tokenising costs microseconds
        # per review next to a transformer's milliseconds, so the parallelism buys nothing here.
        encodings = [self._tokenizer.encode(str(t)) for t in texts]
        lengths = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64, count=n)
        # NOTE: stable sort, so equal lengths keep their order and results are deterministic.
        order = np.argsort(lengths, kind="stable")
        out = np.empty((n, 5), dtype=np.float32)
        step = self.inference_batch_size
        for start in range(0, n, step):
            idx = order[start : start + step]
            logits = self._run([encodings[i] for i in idx], int(lengths[idx].max()))
            out[idx] = softmax(logits)[:, self._columns]
        return out

    def _run(self, encodings: list, width: int) -> np.ndarray:
        """Logits for encodings padded (right side) to `width`; per-call arrays only, nothing on self."""
        m = len(encodings)
        ids = np.full((m, width), self._pad_id, dtype=np.int64)
        mask = np.zeros((m, width), dtype=np.int64)
        types = np.zeros((m, width), dtype=np.int64)
        for row, enc in enumerate(encodings):
            k = len(enc.ids)
            ids[row, :k] = enc.ids
            mask[row, :k] = 1
            types[row, :k] = enc.type_ids
        arrays = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        feed = {name: arrays[name].astype(dtype, copy=False) for name, dtype in self._input_types.items()}
        # NOTE: InferenceSession.run is thread-safe.
        (logits,) = self._session.run([self._output_name], feed)
        if logits.ndim != 2 or logits.shape != (m, len(self._columns)):
            raise RuntimeError(f"{self.version}: logits of shape {logits.shape}, expected ({m}, {len(self._columns)})")
        return logits

    def predict_batched(self, texts: Sequence[str], batch_size: int = 256) -> np.ndarray:
        """predict() in chunks, to bound memory on large inputs."""
        parts = [self.predict(texts[i : i + batch_size]) for i in range(0, len(texts), batch_size)]
        return np.concatenate(parts) if parts else np.zeros((0, 5), dtype=np.float32)
