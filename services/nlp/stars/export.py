"""Export trained network weights to a self-contained ONNX graph (int8 embedding table, per-row scales)."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .features import N_VIEWS, FeatureConfig
from .network import N_CLASSES, NetConfig, Params

log = logging.getLogger(__name__)

OPSET = 17
INPUT_IDS, INPUT_KEY, INPUT_WEIGHTS, OUTPUT_PROBS = "ids", "key", "weights", "probs"


def quantise_columns(emb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Symmetric int8 quantisation with one scale per column."""
    scale = np.abs(emb).max(axis=0) / 127.0
    scale[scale == 0] = 1.0
    q = np.clip(np.rint(emb / scale[None, :]), -127, 127).astype(np.int8)
    return q, scale.astype(np.float32)


def dequantised(members: Sequence[Params]) -> list[Params]:
    """The members as the exported graph sees them (after the int8 round trip)."""
    out = []
    for m in members:
        q, s = quantise_columns(m.emb)
        out.append(Params(q.astype(np.float32) * s[None, :], m.w1, m.b1, m.w2, m.b2, m.pooling))
    return out


def export_onnx(
    members: Sequence[Params],
    feat_cfg: FeatureConfig,
    net_cfgs: Sequence[NetConfig],
    path: Path,
    *,
    version: str,
    extra_meta: dict[str, str] | None = None,
) -> None:
    """Write the ONNX model: ids[N], key[N] (int64), weights[B*3] (float) -> probs[B, 5].

    key = text index * N_VIEWS + view of each n-gram; weights = pooling weight per (text, view)
    (features.view_weights).

    Several members (e.g. a deep net and a linear model) share one scatter-add over the
    n-grams; their softmax outputs are averaged.
    """
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    if not members:
        raise ValueError("nothing to export")
    if len({m.pooling for m in members}) != 1:
        raise ValueError("all members must use the same pooling")
    n = helper.make_node
    inits = [
        numpy_helper.from_array(np.array([1], dtype=np.int64), "one"),
        numpy_helper.from_array(np.array([1.0 / len(members)], dtype=np.float32), "inv_members"),
    ]
    # NOTE: one int8 table for all members, one scale per column. The scale is applied after the
    # scatter-add (it is linear), so the per-n-gram work is just gather + cast + add: that is what
    # keeps inference fast. Per-column max-abs scaling costs < 0.2 points of accuracy here.
    tables, scales, slices = [], [], []
    width = 0
    for i, m in enumerate(members):
        d = m.w1.shape[0]
        # NOTE: a deep-only member never trains its linear columns (all zero): leave them out.
        has_wide = bool(np.any(m.emb[:, d:]))
        q, scale = quantise_columns(m.emb if has_wide else m.emb[:, :d])
        tables.append(q)
        scales.append(scale)
        slices.append((i, width, width + d, width + d if has_wide else None))
        width += q.shape[1]
    inits += [
        numpy_helper.from_array(np.concatenate(tables, axis=1), "emb_q"),
        numpy_helper.from_array(np.concatenate(scales)[None, :], "col_scale"),
        numpy_helper.from_array(np.array([width], dtype=np.int64), "width"),
    ]
    inits += [
        numpy_helper.from_array(np.array([-1, N_VIEWS, width], dtype=np.int64), "view_shape"),
        numpy_helper.from_array(np.array([-1, N_VIEWS, 1], dtype=np.int64), "wview_shape"),
    ]
    nodes = [
        n("Gather", ["emb_q", INPUT_IDS], ["rows_q"], axis=0),
        n("Cast", ["rows_q"], ["rows"], to=TensorProto.FLOAT),
        # NOTE: one scatter-add sums the rows of every (text, view) pair; no padding per text.
        # The pooling weights are applied per pair afterwards, not per n-gram.
        n("Shape", [INPUT_WEIGHTS], ["nkeys"]),
        n("Concat", ["nkeys", "width"], ["bag_shape"], axis=0),
        n("ConstantOfShape", ["bag_shape"], ["zeros"], value=helper.make_tensor("z", TensorProto.FLOAT, [1], [0.0])),
        n("Unsqueeze", [INPUT_KEY, "one"], ["key2"]),
        n("ScatterND", ["zeros", "key2", "rows"], ["view_sum"], reduction="add"),
        n("Reshape", ["view_sum", "view_shape"], ["view_sum3"]),
        n("Reshape", [INPUT_WEIGHTS, "wview_shape"], ["w3"]),
        n("Mul", ["view_sum3", "w3"], ["view_bag"]),
        n("ReduceSum", ["view_bag", "one"], ["bag_q"], keepdims=0),
        n("Mul", ["bag_q", "col_scale"], ["bag"]),
    ]
    prob_names = []
    for i, lo, hi, wide_lo in slices:
        m = members[i]
        inits.append(numpy_helper.from_array(m.b2.astype(np.float32), f"b2_{i}"))
        if wide_lo is not None:
            for name, val in (("wlo", wide_lo), ("whi", wide_lo + N_CLASSES)):
                inits.append(numpy_helper.from_array(np.array([val], dtype=np.int64), f"{name}{i}"))
            nodes += [
                n("Slice", ["bag", f"wlo{i}", f"whi{i}", "one"], [f"wide{i}"]),
                n("Add", [f"wide{i}", f"b2_{i}"], [f"zw{i}"]),
            ]
        else:
            nodes.append(n("Identity", [f"b2_{i}"], [f"zw{i}"]))
        if hi > lo:
            for name, val in (("lo", lo), ("hi", hi)):
                inits.append(numpy_helper.from_array(np.array([val], dtype=np.int64), f"{name}{i}"))
            inits += [
                numpy_helper.from_array(m.w1.astype(np.float32), f"w1_{i}"),
                numpy_helper.from_array(m.b1.astype(np.float32), f"b1_{i}"),
                numpy_helper.from_array(m.w2.astype(np.float32), f"w2_{i}"),
            ]
            nodes += [
                n("Slice", ["bag", f"lo{i}", f"hi{i}", "one"], [f"x{i}"]),
                n("MatMul", [f"x{i}", f"w1_{i}"], [f"z1a{i}"]),
                n("Add", [f"z1a{i}", f"b1_{i}"], [f"z1{i}"]),
                n("Relu", [f"z1{i}"], [f"h{i}"]),
                n("MatMul", [f"h{i}", f"w2_{i}"], [f"z2a{i}"]),
                n("Add", [f"z2a{i}", f"zw{i}"], [f"logits{i}"]),
            ]
        else:
            # NOTE: a linear member's hidden layer sees no input: relu(b1) @ w2 is a constant bias.
            bias = (np.maximum(m.b1, 0) @ m.w2).astype(np.float32)
            inits.append(numpy_helper.from_array(bias, f"hbias{i}"))
            nodes.append(n("Add", [f"zw{i}", f"hbias{i}"], [f"logits{i}"]))
        nodes.append(n("Softmax", [f"logits{i}"], [f"p{i}"], axis=1))
        prob_names.append(f"p{i}")
    if len(prob_names) > 1:
        nodes += [n("Sum", prob_names, ["psum"]), n("Mul", ["psum", "inv_members"], [OUTPUT_PROBS])]
    else:
        nodes.append(n("Identity", prob_names, [OUTPUT_PROBS]))
    graph = helper.make_graph(
        nodes,
        "stars",
        [
            helper.make_tensor_value_info(INPUT_IDS, TensorProto.INT64, ["N"]),
            helper.make_tensor_value_info(INPUT_KEY, TensorProto.INT64, ["N"]),
            helper.make_tensor_value_info(INPUT_WEIGHTS, TensorProto.FLOAT, ["K"]),
        ],
        [helper.make_tensor_value_info(OUTPUT_PROBS, TensorProto.FLOAT, ["B", N_CLASSES])],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="reviewguard")
    model.ir_version = 8  # NOTE: readable by older onnxruntime builds too
    model.doc_string = (
        "ReviewGuard star model: hashed n-gram bag -> averaged (MLP, linear) members -> 5 star probabilities"
    )
    meta = {
        "version": version,
        "feature_config": json.dumps(feat_cfg.to_dict(), sort_keys=True),
        "net_configs": json.dumps([c.to_dict() for c in net_cfgs], sort_keys=True),
        "pooling": members[0].pooling,
    } | (extra_meta or {})
    for k, v in meta.items():
        model.metadata_props.append(onnx.StringStringEntryProto(key=k, value=str(v)))
    onnx.checker.check_model(model)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save_model(model, str(path))
    log.info("wrote %s (%.1f MB)", path, path.stat().st_size / 1e6)
