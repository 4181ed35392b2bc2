"""Ingestion in local mode: the three Step Functions task handlers, run in the state machine's order.

extract -> each batch embedded (ModelThrottled retried with backoff) -> index -> READY; any
failure -> FAILED with a reason. This mirrors the deployed workflow, whose MarkReady /
MarkFailed states are DynamoDB UpdateItem integrations, here calls to the DocumentStore.

Runs are split into steps (extract, one embedding batch, index) and one background thread
takes steps in turn from each owner with work waiting, round-robin: a user's large upload
never holds another user's small one back by more than one step per turn (a batch of
chunks, well under a second with the local embedder). One step at a time, because the
embedder already uses every core. A document's status moves PENDING -> PROCESSING ->
READY while the server keeps answering, with its progress (chunks embedded of the total)
in the document record.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lambdas.core.documents import UploadKey
from lambdas.core.errors import DomainError, InvalidRequest, ModelThrottled
from lambdas.core.rag.extraction import CONTENT_TYPES, extension_of
from lambdas.handlers import ingest_embed, ingest_extract, ingest_index
from lambdas.wiring import get_services
from local.events import DEV_USER_SUB

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent

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
Workflow = Callable[[str, str], Iterator[None]]
"""(bucket, key) -> the run's steps: each `next()` does one step."""


def run_workflow(bucket: str, key: str, *, sleep: Callable[[float], None] = time.sleep) -> None:
    """Ingest the object at `key` in one go; the document ends READY or FAILED, never in between."""
    for _ in workflow_steps(bucket, key, sleep=sleep):
        pass


def workflow_steps(bucket: str, key: str, *, sleep: Callable[[float], None] = time.sleep) -> Iterator[None]:
    """The workflow of `run_workflow`, pausing after extraction and after each embedded batch."""
    upload = UploadKey.parse(key)
    store = get_services().rag.store
    try:
        extracted = _call(ingest_extract.handler, {"bucket": bucket, "key": key})
        yield
        for batch in extracted["batches"]:
            _embed_with_retries(batch, sleep)
            yield
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


@dataclass(slots=True)
class _Run:
    steps: Iterator[None]
    done: Future[None] = field(default_factory=Future)


class LocalIngestion:
    """Runs workflows on a daemon thread, one step at a time, round-robin over owners; an
    owner's own uploads go in order (runs of one document never overlap, and stopping the
    server never waits for a queue of documents)."""

    def __init__(self, workflow: Workflow = workflow_steps) -> None:
        self._workflow = workflow
        self._waiting: OrderedDict[str, deque[_Run]] = OrderedDict()
        """Per owner with work, its runs in upload order; iteration order is the rotation."""
        self._ready = threading.Condition()
        self._worker: threading.Thread | None = None

    def submit(self, bucket: str, key: str) -> Future[None]:
        run = _Run(self._workflow(bucket, key))
        try:
            owner = UploadKey.parse(key).owner
        except InvalidRequest as error:  # a foreign key: reported to whoever waits, as any failure
            run.done.set_exception(error)
            return run.done
        with self._ready:
            self._waiting.setdefault(owner, deque()).append(run)
            if self._worker is None:
                self._worker = threading.Thread(target=self._work, name="ingestion", daemon=True)
                self._worker.start()
            self._ready.notify()
        return run.done

    def _work(self) -> None:
        while True:
            with self._ready:
                while not self._waiting:
                    self._ready.wait()
                owner, runs = self._waiting.popitem(last=False)
            run = runs[0]
            finished = self._step(run)
            with self._ready:
                if finished:
                    runs.popleft()
                runs.extend(self._waiting.pop(owner, ()))  # what the owner uploaded during the step
                if runs:
                    # To the back of the rotation, behind every other owner with work.
                    self._waiting[owner] = runs

    @staticmethod
    def _step(run: _Run) -> bool:
        """Advance `run` by one step; True once it has ended (its future then holds the outcome)."""
        try:
            next(run.steps)
        except StopIteration:
            run.done.set_result(None)
            return True
        except Exception as error:  # a foreign key or a store outage: report it to whoever waits
            run.done.set_exception(error)
            return True
        return False


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
