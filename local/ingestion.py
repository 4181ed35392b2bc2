"""Ingestion in local mode: the three Step Functions task handlers, run in the state machine's order.

extract -> Map over batches (at most 4 at a time, ModelThrottled retried with backoff) ->
index -> READY; any failure -> FAILED with a reason. This mirrors the deployed workflow,
whose MarkReady / MarkFailed states are DynamoDB UpdateItem integrations, here calls to
the DocumentStore. Runs are queued on one background thread, so a document's status moves
PENDING -> PROCESSING -> READY while the server keeps answering.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lambdas.core.documents import UploadKey
from lambdas.core.errors import DomainError, ModelThrottled
from lambdas.core.rag.extraction import CONTENT_TYPES, extension_of
from lambdas.handlers import ingest_embed, ingest_extract, ingest_index
from lambdas.wiring import get_services
from local.events import DEV_USER_SUB

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent

MAP_MAX_CONCURRENCY = 4
THROTTLE_BACKOFF_SECONDS = (1.0, 2.0, 4.0)
"""Waits before each retry of a throttled batch, as in the state machine's Retry."""


@dataclass(frozen=True, slots=True)
class TaskContext:
    """The part of a Lambda context the handlers' logger reads."""

    function_name: str
    memory_limit_in_mb: int = 1024
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:000000000000:function:local"
    aws_request_id: str = "local"


Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def run_workflow(bucket: str, key: str, *, sleep: Callable[[float], None] = time.sleep) -> None:
    """Ingest the object at `key`; the document ends READY or FAILED, never in between."""
    upload = UploadKey.parse(key)
    store = get_services().rag.store
    try:
        extracted = _call(ingest_extract.handler, {"bucket": bucket, "key": key})
        with ThreadPoolExecutor(max_workers=MAP_MAX_CONCURRENCY) as pool:
            list(pool.map(lambda batch: _embed_with_retries(batch, sleep), extracted["batches"]))
        indexed = _call(ingest_index.handler, extracted)
    except Exception as error:  # the state machine's Catch: every failure marks the document FAILED
        store.update_status(upload.owner, upload.document_id, "FAILED", reason=failure_reason(error))
        return
    store.update_status(upload.owner, upload.document_id, "READY", chunk_count=indexed["chunk_count"])


def failure_reason(error: Exception) -> str:
    """Domain errors carry a message written for the user; anything else is logged, not shown."""
    if isinstance(error, DomainError):
        return error.message
    logger.error("ingestion failed", exc_info=error)
    return f"ingestion failed unexpectedly ({type(error).__name__}); try uploading the file again"


def _embed_with_retries(batch: Mapping[str, Any], sleep: Callable[[float], None]) -> dict[str, Any]:
    for wait in THROTTLE_BACKOFF_SECONDS:
        try:
            return _call(ingest_embed.handler, dict(batch))
        except ModelThrottled:
            sleep(wait)
    return _call(ingest_embed.handler, dict(batch))


def _call(handler: Handler, event: dict[str, Any]) -> dict[str, Any]:
    return handler(event, TaskContext(function_name=handler.__module__.rsplit(".", 1)[-1]))


class LocalIngestion:
    """Runs workflows one after another on a daemon thread (runs of one document never overlap,
    and stopping the server never waits for a queue of documents)."""

    def __init__(self) -> None:
        self._queue: queue.Queue[tuple[str, str, Future[None]]] = queue.Queue()
        self._worker: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, bucket: str, key: str) -> Future[None]:
        done: Future[None] = Future()
        self._queue.put((bucket, key, done))
        with self._lock:
            if self._worker is None:
                self._worker = threading.Thread(target=self._work, name="ingestion", daemon=True)
                self._worker.start()
        return done

    def _work(self) -> None:
        while True:
            bucket, key, done = self._queue.get()
            try:
                run_workflow(bucket, key)
            except Exception as error:  # a foreign key or a store outage: report it to whoever waits
                done.set_exception(error)
            else:
                done.set_result(None)


LOCAL_INGESTION = LocalIngestion()
"""The local server's queue: presigned uploads and the sample corpus both go through it."""


def sample_corpus(project_root: Path) -> list[Path]:
    """What `make run` ingests so the first question already retrieves: the project's own docs."""
    return [project_root / "README.md", *sorted((project_root / "docs").glob("*.md"))]


def ingest_files(
    paths: Iterable[Path], *, owner: str, s3_client: Any, ingestion: LocalIngestion
) -> list[Future[None]]:
    """Upload each file as `owner` would (a PENDING record, then the object) and queue its ingestion.

    Re-running replaces documents of the same name, so a persisted state never gains duplicates.
    """
    services = get_services()
    futures = []
    for path in paths:
        if not path.is_file():
            continue
        data = path.read_bytes()
        content_type = CONTENT_TYPES[extension_of(path.name)]
        ticket = services.rag.documents.create_upload(owner, path.name, content_type, len(data))
        key = ticket.upload.fields["key"]
        bucket = services.settings.documents_bucket
        s3_client.put_object(Bucket=bucket, Key=key, Body=data, ContentType=content_type)
        futures.append(ingestion.submit(bucket, key))
    return futures


def ingest_sample_corpus() -> None:
    """Queue the project's own docs for the local development user; returns at once."""
    import boto3

    ingest_files(
        sample_corpus(PROJECT_ROOT),
        owner=DEV_USER_SUB,
        s3_client=boto3.client("s3", region_name=get_services().settings.aws_region),
        ingestion=LOCAL_INGESTION,
    )
