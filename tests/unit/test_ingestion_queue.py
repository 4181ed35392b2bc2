"""The local ingestion queue: round-robin over owners, so one user's large upload never holds
back another user's small one by more than a step per turn."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from local.ingestion import LocalIngestion


def key(owner: str, document: str) -> str:
    return f"uploads/{owner}/{document}/{document}.md"


class RecordingWorkflow:
    """Workflows of a given number of steps that log each step; the first step of the first
    run waits for `release`, so every upload is queued before work begins."""

    def __init__(self, steps: dict[str, int]) -> None:
        self.steps = steps
        self.log: list[str] = []
        self.release = threading.Event()

    def __call__(self, bucket: str, upload_key: str) -> Iterator[None]:
        document = upload_key.split("/")[2]
        for step in range(self.steps[document]):
            if not self.log:
                assert self.release.wait(10)
            self.log.append(f"{document}:{step}")
            yield


def test_a_small_upload_finishes_within_a_few_steps_of_a_large_one_already_running() -> None:
    workflow = RecordingWorkflow({"large": 50, "small": 3})
    ingestion = LocalIngestion(workflow)
    large = ingestion.submit("bucket", key("alice", "large"))
    small = ingestion.submit("bucket", key("bob", "small"))
    workflow.release.set()

    small.result(timeout=10)
    large.result(timeout=10)

    assert workflow.log.index("small:2") <= 6
    assert workflow.log[-1] == "large:49"


def test_an_owners_own_uploads_run_in_the_order_they_arrived() -> None:
    workflow = RecordingWorkflow({"first": 2, "second": 2, "other": 4})
    ingestion = LocalIngestion(workflow)
    futures = [
        ingestion.submit("bucket", key("alice", "first")),
        ingestion.submit("bucket", key("alice", "second")),
        ingestion.submit("bucket", key("bob", "other")),
    ]
    workflow.release.set()
    for future in futures:
        future.result(timeout=10)

    alice = [entry for entry in workflow.log if not entry.startswith("other")]
    assert alice == ["first:0", "first:1", "second:0", "second:1"]
    assert workflow.log[:4] == ["first:0", "other:0", "first:1", "other:1"]


def test_a_failing_run_reports_its_error_and_the_queue_goes_on() -> None:
    def workflow(bucket: str, upload_key: str) -> Iterator[None]:
        if "broken" in upload_key:
            raise RuntimeError("store outage")
        yield

    ingestion = LocalIngestion(workflow)
    broken = ingestion.submit("bucket", key("alice", "broken"))
    fine = ingestion.submit("bucket", key("alice", "fine"))

    with pytest.raises(RuntimeError, match="store outage"):
        broken.result(timeout=10)
    assert fine.result(timeout=10) is None


def test_a_key_outside_the_uploads_is_refused_through_the_future() -> None:
    future = LocalIngestion().submit("bucket", "elsewhere/file.md")

    with pytest.raises(Exception, match="not an upload key"):
        future.result(timeout=1)
