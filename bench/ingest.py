"""Ingestion throughput, locally.

1. Chunk -> embed -> index at two corpus sizes: the project's own documentation (README.md
   and docs/*.md) once and eight times over (each copy a separate document), so the ratio
   between the two sizes shows how throughput scales as the index grows. The embedder is a
   deterministic hashing stand-in with MiniLM's 384 dimensions: this measures our chunking
   and indexing, not a model.
2. End to end, upload to READY, as `make run` ingests: the documentation uploaded to S3 (moto),
   then the local workflow (extract, embed in batches, index, mark READY) through the local
   ingestion queue, with the real local embedder (uncached) and with the hashing stand-in in
   the same run, so the ratio shows what the model costs.
3. Fairness: while one user's large document (the documentation eight times over, as one
   file) is being ingested, another user uploads a small one; how long until it is READY.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from lambdas.adapters.local.index import SqliteChunkIndex
from lambdas.core.ports import Embedder
from lambdas.core.rag.retrieval import index_document

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SMALL_COPIES = 1
LARGE_COPIES = 8
E2E_COPIES = 3
"""Copies of the documentation uploaded end to end: enough that fixed costs (clients, moto) fade."""
OWNER = "bench"
_WORD = re.compile(r"\w+")


class HashingEmbedder:
    """Deterministic bag-of-words vectors (feature hashing): the cost of a vector, none of a model."""

    model_id = "hashing-384"
    dimensions = 384

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        return [self.embed_query(text) for text in texts]

    def embed_query(self, text: str) -> list[float]:
        vector = np.zeros(self.dimensions, dtype=np.float32)
        for word in _WORD.findall(text.lower()):
            bucket = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=4).digest(), "big")
            vector[bucket % self.dimensions] += 1.0
        norm = float(np.linalg.norm(vector))
        return (vector / norm if norm else vector).tolist()


def project_documents() -> dict[str, str]:
    """The project's documentation, by file name: a corpus every clone has."""
    paths = [PROJECT_ROOT / "README.md", *sorted((PROJECT_ROOT / "docs").glob("*.md"))]
    return {path.name: path.read_text(encoding="utf-8") for path in paths if path.is_file()}


def ingest(
    documents: dict[str, str], copies: int, embedder: HashingEmbedder
) -> tuple[SqliteChunkIndex, float]:
    """Ingest `copies` of every document into a fresh index; returns it and the KB/s achieved."""
    index = SqliteChunkIndex(":memory:")
    total_bytes = 0
    started = time.perf_counter()
    for copy in range(copies):
        for name, text in documents.items():
            index_document(
                text, document_id=f"{copy}-{name}", owner=OWNER, title=name, embedder=embedder, index=index
            )
            total_bytes += len(text.encode("utf-8"))
    elapsed = time.perf_counter() - started
    return index, total_bytes / 1024 / elapsed


@contextmanager
def local_mode(embedder: Embedder) -> Iterator[Any]:
    """Moto and fresh local resources, services using `embedder`; yields an S3 client."""
    import boto3

    from lambdas.settings import Settings
    from lambdas.wiring import RagServices, build_services, use_services
    from local.aws import LocalResources, create_resources, prepare_environment, start_moto

    resources = LocalResources()
    prepare_environment(os.environ, resources)
    mock = start_moto(os.environ)
    try:
        create_resources(resources, os.environ["AWS_REGION"])
        settings = Settings()
        rag = RagServices(settings, embedder=embedder, index=SqliteChunkIndex(":memory:"))
        use_services(build_services(settings, rag=rag))
        yield boto3.client("s3", region_name=os.environ["AWS_REGION"])
    finally:
        use_services(None)
        mock.stop()


def end_to_end(paths: Sequence[Path], embedder: Embedder) -> tuple[float, float]:
    """KB/s from the first upload to the last document READY, through the local queue on moto,
    and KB per CPU-second of this process (every thread): the figure a busy machine leaves
    intact, where other processes' load stretches the wall clock."""
    from lambdas.wiring import get_services
    from local.ingestion import LocalIngestion, ingest_files

    with local_mode(embedder) as s3:
        total_bytes = sum(path.stat().st_size for path in paths)
        started, cpu_started = time.perf_counter(), time.process_time()
        for future in ingest_files(paths, owner=OWNER, s3_client=s3, ingestion=LocalIngestion()):
            future.result()
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu_started
        statuses = {d.status for d in get_services().rag.documents.list_for(OWNER)}
    if statuses != {"READY"}:
        raise RuntimeError(f"ingestion ended {statuses}")
    return total_bytes / 1024 / elapsed, total_bytes / 1024 / cpu


def small_upload_wait(large: Path, small: Path, embedder: Embedder) -> tuple[float, float]:
    """Seconds until another user's small document is READY when it is uploaded just after
    a large one, and until the large one is READY."""
    from local.ingestion import LocalIngestion, ingest_files

    with local_mode(embedder) as s3:
        queue = LocalIngestion()
        started = time.perf_counter()
        (large_done,) = ingest_files([large], owner="large-user", s3_client=s3, ingestion=queue)
        (small_done,) = ingest_files([small], owner="small-user", s3_client=s3, ingestion=queue)
        small_done.result()
        small_seconds = time.perf_counter() - started
        large_done.result()
        return small_seconds, time.perf_counter() - started


def real_embedder() -> Embedder | None:
    from lambdas.adapters.local.embedder import load_local_embedder

    return load_local_embedder()


def run_end_to_end() -> dict[str, float]:
    embedder = real_embedder()
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for copy in range(E2E_COPIES):
            for name, text in project_documents().items():
                paths.append(Path(folder) / f"{copy}-{name}")
                paths[-1].write_text(text, encoding="utf-8")
        return _end_to_end_figures(paths, embedder)


def _end_to_end_figures(paths: Sequence[Path], embedder: Embedder | None) -> dict[str, float]:
    fake, fake_cpu = end_to_end(paths, HashingEmbedder())
    if embedder is None:
        print(
            f"ingestion end to end (upload to READY): hashing stand-in {fake:.0f} KB/s; no local embedder installed"
        )
        return {"ingest_e2e_fake_kb_per_s": round(fake, 1)}
    embedder.embed_documents(["warm-up"])
    real, real_cpu = end_to_end(paths, embedder)
    print(
        f"ingestion end to end (upload to READY, {len(paths)} files): {embedder.model_id} {real:.0f} KB/s "
        f"({real_cpu:.0f} KB per CPU-second), hashing stand-in {fake:.0f} KB/s ({fake_cpu:.0f} per CPU-second); "
        f"ratio {real / fake:.2f} (target >= 40 KB/s with the real embedder on 2 idle cores)"
    )
    with tempfile.TemporaryDirectory() as folder:
        large = Path(folder) / "large.md"
        large.write_text("\n\n".join(project_documents().values()) * LARGE_COPIES, encoding="utf-8")
        small = Path(folder) / "small.md"
        small.write_text("# Small\n\nA short note about descaling kettles.\n", encoding="utf-8")
        large_kb = large.stat().st_size / 1024
        small_seconds, large_seconds = small_upload_wait(large, small, embedder)
    print(
        f"fairness: another user's small upload was READY after {small_seconds:.1f} s while a "
        f"{large_kb:.0f} KB upload took {large_seconds:.1f} s"
    )
    return {
        "ingest_e2e_real_kb_per_s": round(real, 1),
        "ingest_e2e_real_kb_per_cpu_s": round(real_cpu, 1),
        "ingest_e2e_fake_kb_per_s": round(fake, 1),
        "ingest_e2e_fake_kb_per_cpu_s": round(fake_cpu, 1),
        "ingest_e2e_real_to_fake_ratio": round(real / fake, 3),
        "ingest_small_upload_wait_s": round(small_seconds, 2),
        "ingest_large_upload_s": round(large_seconds, 2),
    }


def run() -> dict[str, float]:
    documents = project_documents()
    embedder = HashingEmbedder()
    corpus_kb = sum(len(text.encode("utf-8")) for text in documents.values()) / 1024
    ingest(documents, SMALL_COPIES, embedder)  # warm-up: imports, regex compilation, SQLite pages
    _, small = ingest(documents, SMALL_COPIES, embedder)
    _, large = ingest(documents, LARGE_COPIES, embedder)
    print(
        f"ingestion (chunk + hashing embedder + SQLite index): {small:.0f} KB/s at {corpus_kb:.0f} KB, "
        f"{large:.0f} KB/s at {corpus_kb * LARGE_COPIES:.0f} KB; large/small ratio {large / small:.2f} "
        "(1.00 = linear scaling)"
    )
    return {
        "ingest_kb_per_s_small": round(small, 1),
        "ingest_kb_per_s_large": round(large, 1),
        "ingest_scaling_ratio": round(large / small, 3),
        **run_end_to_end(),
    }
