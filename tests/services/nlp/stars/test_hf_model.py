"""Bring your own model: a Hugging Face ONNX export served as the star model.

The tests build a tiny randomly initialised BERT (transformers + torch), export it to ONNX the way an
operator's export looks (model.onnx, tokenizer.json, tokenizer_config.json, config.json) and check
that serving it gives the same star probabilities as the original PyTorch model.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import torch
from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
from transformers import BertConfig, BertForSequenceClassification, PreTrainedTokenizerFast

from services.nlp.analyzer import Analyzer
from services.nlp.aspects import AspectTagger
from services.nlp.language import LanguageDetector
from services.nlp.lexicon import RiskLexicon
from services.nlp.stars.hf_model import HuggingFaceStarModel
from services.nlp.stars.loading import StarPredictor, load_star_model
from services.nlp.stars.model import DEFAULT_MODEL_PATH, StarModel

MAX_POSITIONS = 64
STAR_LABELS = {0: "1 star", 1: "2 stars", 2: "3 stars", 3: "4 stars", 4: "5 stars"}
INPUTS = ("input_ids", "attention_mask", "token_type_ids")

SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
WORDS = """
the a is it and not this very good bad great terrible product quality price love hate works broke
after one day money buy do waste would again fast delivery cheap excellent awful perfect phone case
das ist nicht gut sehr schlecht qualität kaputt geld schrott super preis lieferung
le la est pas très bon mauvais qualité cassé prix argent produit parfait nul
el la es muy bueno malo calidad roto precio dinero producto perfecto basura
""".split()
LETTERS = list("abcdefghijklmnopqrstuvwxyzäöüßéèêàçñóíú")
CJK = list("最悪品質良い商品壊れ満足太差了质量很好非常垃圾")
VOCAB = list(dict.fromkeys(SPECIAL + list(".,!?'") + WORDS + LETTERS + ["##" + c for c in LETTERS] + CJK))

# NOTE: six languages and lengths from 2 to ~40 tokens, so batches carry real padding.
TEXTS = [
    "Terrible product, it broke after one day. Do not buy, waste of money!",
    "good",
    "Das ist nicht gut, sehr schlechte Qualität, kaputt.",
    "Très bon produit, parfait !",
    "El producto es muy malo, calidad basura, roto.",
    "最悪の商品、壊れた",
    "质量非常好，很满意",
    "",
    "Excellent quality, fast delivery, would buy again. Great price, love it, perfect phone case.",
    "zzz qqq xylophone",
]


@dataclass
class TinyBert:
    directory: Path
    model: BertForSequenceClassification
    tokenizer: PreTrainedTokenizerFast


def build_tokenizer() -> PreTrainedTokenizerFast:
    """A BERT-style WordPiece tokenizer over VOCAB ([CLS] … [SEP] added by the post-processor)."""
    vocab = {t: i for i, t in enumerate(VOCAB)}
    tok = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]", max_input_chars_per_word=100))
    tok.normalizer = normalizers.BertNormalizer(
        clean_text=True, handle_chinese_chars=True, strip_accents=False, lowercase=True
    )
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])],
    )
    tok.decoder = decoders.WordPiece()
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=MAX_POSITIONS,
        model_input_names=list(INPUTS),
    )


def build_bert(id2label: dict[int, str], seed: int = 0) -> BertForSequenceClassification:
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=len(VOCAB),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=MAX_POSITIONS,
        num_labels=len(id2label),
        id2label=id2label,
        label2id={v: k for k, v in id2label.items()},
        # NOTE: a wider init than BERT's 0.02, so the random model's outputs differ clearly
        # between texts and a padding or column mix-up cannot hide in rounding.
        initializer_range=0.5,
        attn_implementation="eager",
    )
    return BertForSequenceClassification(config).eval()


class _Logits(torch.nn.Module):
    """The classifier with positional inputs and a bare logits output, as the exporter wants."""

    def __init__(self, model: BertForSequenceClassification, names: tuple[str, ...]) -> None:
        super().__init__()
        self.model, self.names = model, names

    def forward(self, *args):
        return self.model(**dict(zip(self.names, args))).logits


def export(model, tokenizer, directory: Path, inputs: tuple[str, ...] = INPUTS) -> Path:
    """Writes an optimum-like export: model.onnx, tokenizer.json, tokenizer_config.json, config.json."""
    directory.mkdir(parents=True, exist_ok=True)
    sample = tokenizer(["good product", "bad"], padding=True, return_tensors="pt")
    axes = {name: {0: "batch", 1: "sequence"} for name in inputs} | {"logits": {0: "batch"}}
    # NOTE: the TorchScript exporter (dynamo=False): torch 2.13 still has it, it needs no onnxscript
    # and exports this model in well under a second.
    # NOTE: the wrapper must be in eval mode too: the exporter puts the exported module back in the
    # mode it found it in, recursively, so a fresh (training-mode) wrapper would switch dropout on
    # in `model` after the export.
    torch.onnx.export(
        _Logits(model, inputs).eval(),
        tuple(sample[name] for name in inputs),
        str(directory / "model.onnx"),
        input_names=list(inputs),
        output_names=["logits"],
        dynamic_axes=axes,
        opset_version=17,
        dynamo=False,
    )
    tokenizer.save_pretrained(directory)
    model.config.to_json_file(directory / "config.json")
    return directory


def torch_probs(bert: TinyBert, texts: list[str], max_length: int = MAX_POSITIONS, model=None) -> np.ndarray:
    """What the original model says: HF tokenizer (padded, truncated), PyTorch forward, softmax."""
    enc = bert.tokenizer(texts, padding=True, truncation=True, max_length=max_length, return_tensors="pt")
    with torch.no_grad():
        logits = (model or bert.model)(**enc).logits
    return torch.softmax(logits, dim=-1).numpy()


def variant(base: Path, directory: Path, **config_changes) -> Path:
    """A copy of the export at `base` with config.json fields replaced."""
    shutil.copytree(base, directory)
    config = json.loads((directory / "config.json").read_text(encoding="utf-8"))
    config.update(config_changes)
    (directory / "config.json").write_text(json.dumps(config), encoding="utf-8")
    return directory


@pytest.fixture(scope="module")
def bert(tmp_path_factory) -> TinyBert:
    tokenizer = build_tokenizer()
    model = build_bert(STAR_LABELS)
    directory = export(model, tokenizer, tmp_path_factory.mktemp("tiny-bert") / "tiny-bert-stars")
    assert not model.training  # dropout off: the PyTorch reference is deterministic
    return TinyBert(directory, model, tokenizer)


@pytest.fixture(scope="module")
def served(bert) -> HuggingFaceStarModel:
    return HuggingFaceStarModel.load(bert.directory)


def test_export_looks_like_an_operators(bert):
    names = sorted(p.name for p in bert.directory.iterdir())
    assert {"model.onnx", "tokenizer.json", "tokenizer_config.json", "config.json"} <= set(names)


def test_serving_gives_the_original_models_probabilities(bert, served):
    ours = served.predict(TEXTS)
    expected = torch_probs(bert, TEXTS)
    assert ours.shape == (len(TEXTS), 5) and ours.dtype == np.float32
    assert np.allclose(ours.sum(axis=1), 1.0, atol=1e-5)
    assert np.allclose(ours, expected, atol=1e-4), np.abs(ours - expected).max()
    # NOTE: the random model must tell texts apart, or the comparison above would prove little.
    assert np.ptp(ours, axis=0).max() > 0.1


def test_padding_does_not_change_a_texts_answer(served):
    together = served.predict(TEXTS)
    alone = np.concatenate([served.predict([t]) for t in TEXTS])
    assert np.allclose(together, alone, atol=1e-5)


def test_order_is_kept_when_texts_are_sorted_by_length_inside(bert):
    # NOTE: sub-batches of 2 texts: the length sort moves nearly every text to another sub-batch.
    model = HuggingFaceStarModel.load(bert.directory, inference_batch_size=2)
    texts = sorted(TEXTS, key=lambda t: (len(t) * 7919) % 13)
    assert np.allclose(model.predict(texts), torch_probs(bert, texts), atol=1e-4)
    assert np.allclose(model.predict_batched(texts, batch_size=3), model.predict(texts), atol=1e-6)


def test_empty_input(served):
    assert served.predict([]).shape == (0, 5)
    assert served.predict_batched([], batch_size=8).shape == (0, 5)


def test_text_longer_than_the_model_is_truncated(bert, served):
    words = ("good product but the price is bad " * 60).split()
    long_text = " ".join(words)
    assert len(bert.tokenizer(long_text)["input_ids"]) > 4 * MAX_POSITIONS
    probs = served.predict([long_text, "bad", "x" * 100_000])
    assert probs.shape == (3, 5) and np.all(np.isfinite(probs))
    assert np.allclose(probs[:2], torch_probs(bert, [long_text, "bad"]), atol=1e-4)
    # NOTE: the verdict is that of the review's head: its first MAX_POSITIONS - 2 tokens ([CLS], [SEP]).
    head = " ".join(words[: MAX_POSITIONS - 2])
    assert np.allclose(probs[0], served.predict([head])[0], atol=1e-5)
    assert served.metadata["max_length"] == str(MAX_POSITIONS)


def test_max_length_can_be_lowered(bert):
    model = HuggingFaceStarModel.load(bert.directory, max_length=16)
    assert model.metadata["max_length"] == "16"
    assert np.allclose(model.predict(TEXTS), torch_probs(bert, TEXTS, max_length=16), atol=1e-4)


def test_version_and_metadata(bert, served):
    digest = hashlib.sha256((bert.directory / "model.onnx").read_bytes()).hexdigest()
    assert served.version == f"hf-tiny-bert-stars-{digest[:8]}"
    assert re.fullmatch(r"hf-.+-[0-9a-f]{8}", served.version)
    assert served.metadata["inputs"] == "input_ids,attention_mask,token_type_ids"
    assert json.loads(served.metadata["labels"]) == list(STAR_LABELS.values())
    assert isinstance(served, StarPredictor)


def test_shuffled_labels_put_each_star_in_its_column(bert, tmp_path):
    shuffled = {0: "3 stars", 1: "5 stars", 2: "1 star", 3: "4 stars", 4: "2 stars"}
    model = HuggingFaceStarModel.load(variant(bert.directory, tmp_path / "shuffled", id2label=shuffled))
    raw = torch_probs(bert, TEXTS)
    # star s is the logits column labelled "s star(s)"
    column_of_star = [2, 4, 0, 3, 1]
    ours = model.predict(TEXTS)
    assert np.allclose(ours, raw[:, column_of_star], atol=1e-4)
    assert not np.allclose(ours, raw, atol=1e-2)
    assert json.loads(model.metadata["labels"]) == ["1 star", "2 stars", "3 stars", "4 stars", "5 stars"]


def test_default_label_names_are_taken_in_index_order(bert, tmp_path):
    labels = {str(i): f"LABEL_{i}" for i in range(5)}
    model = HuggingFaceStarModel.load(variant(bert.directory, tmp_path / "plain", id2label=labels))
    assert np.allclose(model.predict(TEXTS), torch_probs(bert, TEXTS), atol=1e-4)


def test_graph_without_token_type_ids_gets_only_its_inputs(bert, tmp_path):
    # NOTE: DistilBERT/XLM-R style exports declare input_ids and attention_mask only.
    directory = export(bert.model, bert.tokenizer, tmp_path / "two-inputs", inputs=("input_ids", "attention_mask"))
    model = HuggingFaceStarModel.load(directory)
    assert model.metadata["inputs"] == "input_ids,attention_mask"
    assert np.allclose(model.predict(TEXTS), torch_probs(bert, TEXTS), atol=1e-4)


def test_three_label_model_is_refused(bert, tmp_path):
    three = build_bert({0: "negative", 1: "neutral", 2: "positive"}, seed=1)
    directory = export(three, bert.tokenizer, tmp_path / "sentiment3")
    with pytest.raises(ValueError) as err:
        load_star_model(directory)
    message = str(err.value)
    assert "config.json" in message and "exactly 5 labels" in message and "found 3" in message
    assert "'neutral'" in message


def test_five_labels_that_name_no_stars_are_refused(bert, tmp_path):
    labels = {str(i): v for i, v in enumerate(["very negative", "negative", "neutral", "positive", "very positive"])}
    directory = variant(bert.directory, tmp_path / "sst5", id2label=labels)
    with pytest.raises(ValueError, match=r"config\.json: cannot tell which label is which star.*'very negative'"):
        HuggingFaceStarModel.load(directory)


@pytest.mark.parametrize("missing", ["model.onnx", "tokenizer.json", "config.json"])
def test_missing_file_is_named(bert, tmp_path, missing):
    directory = tmp_path / "export"
    shutil.copytree(bert.directory, directory)
    (directory / missing).unlink()
    with pytest.raises(FileNotFoundError, match=re.escape(missing)):
        load_star_model(directory)
    with pytest.raises(FileNotFoundError, match=re.escape(missing)):
        HuggingFaceStarModel.load(directory)


def test_load_star_model_picks_the_right_kind(bert, tmp_path):
    hf = load_star_model(bert.directory)
    assert isinstance(hf, HuggingFaceStarModel)
    assert isinstance(load_star_model(bert.directory / "model.onnx"), HuggingFaceStarModel)
    ours = load_star_model(DEFAULT_MODEL_PATH)
    assert isinstance(ours, StarModel) and ours.version.startswith("stars-")
    assert isinstance(ours, StarPredictor) and isinstance(hf, StarPredictor)
    own_dir = tmp_path / "own"
    own_dir.mkdir()
    (own_dir / "model.onnx").symlink_to(DEFAULT_MODEL_PATH)
    assert isinstance(load_star_model(own_dir), StarModel)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match="no star model in"):
        load_star_model(empty)
    with pytest.raises(FileNotFoundError, match="star model not found"):
        load_star_model(tmp_path / "nowhere")
    (tmp_path / "notes.txt").write_text("hi", encoding="utf-8")
    with pytest.raises(ValueError, match="not a star model"):
        load_star_model(tmp_path / "notes.txt")


def test_analyzer_serves_the_hf_model(served):
    analyzer = Analyzer(
        detector=LanguageDetector(["en", "de", "fr", "es", "ja", "zh"]),
        lexicon=RiskLexicon.load(),
        aspects=AspectTagger.load(),
        stars=served,
    )
    texts = [t for t in TEXTS if t]
    results = analyzer.analyze(texts)
    probs = served.predict(texts)
    assert len(results) == len(texts)
    for r, p in zip(results, probs):
        assert 1 <= r.stars <= 5 and r.stars == int(np.argmax(p)) + 1
        assert 0.0 <= r.negative <= 1.0
        assert np.allclose(r.star_probs, p, atol=1e-6)
    assert analyzer.version().startswith(served.version + "+")


def test_thread_safe(served):
    expected = served.predict(TEXTS)
    errors = []

    def work():
        for _ in range(20):
            if not np.allclose(served.predict(TEXTS), expected, atol=1e-5):
                errors.append("mismatch")

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


def test_the_service_serves_an_export_named_by_configuration(bert):
    """REVIEWGUARD_NLP_STAR_MODEL=DIR: the NLP service's analyser runs the operator's own model."""
    from libs.settings import NlpSettings
    from services.nlp.app import build_analyzer

    analyzer = build_analyzer(NlpSettings(nlp_star_model=str(bert.directory), nlp_languages="en,de"))
    assert isinstance(analyzer.default_model, HuggingFaceStarModel)
    texts = ["The kettle leaks after two days.", "Der Wasserkocher ist super."]
    results = analyzer.analyze(texts)
    assert [r.stars for r in results] == [int(np.argmax(p)) + 1 for p in torch_probs(bert, texts)]
    assert analyzer.version().startswith("hf-tiny-bert-stars-")


def test_predict_command_scores_with_an_export(bert, tmp_path):
    """`reviewguard nlp predict --model DIR` writes the operator's model's stars for every line."""
    from services.nlp.stars.cli import main

    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    texts = ["The kettle leaks after two days.", "Sehr gut, gerne wieder."]
    source.write_text("".join(json.dumps({"text": t}) + "\n" for t in texts), encoding="utf-8")
    assert main(["predict", "--input", str(source), "--output", str(target), "--model", str(bert.directory)]) == 0
    rows = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    expected = torch_probs(bert, texts)
    assert [r["stars"] for r in rows] == [int(np.argmax(p)) + 1 for p in expected]
    assert np.allclose([r["star_probs"] for r in rows], expected, atol=1e-4)
