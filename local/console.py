"""What `make run` prints: one short start-up block, sample-indexing progress, readable logs.

In AWS the handlers log JSON lines for CloudWatch; on a developer's terminal the same records
are rendered as one plain line each, keeping the message and the fields that were added to it.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, TextIO

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

LOCAL_SERVICE_NAME = "genai-chat-local"
LOCAL_LOG_LEVEL = "WARNING"
"""Per-request INFO lines would bury the start-up block; POWERTOOLS_LOG_LEVEL=INFO brings them back."""
_NOISE = {
    "level",
    "location",
    "message",
    "timestamp",
    "service",
    "cold_start",
    "function_name",
    "function_memory_size",
    "function_arn",
    "function_request_id",
    "correlation_id",
    "sampling_rate",
    "xray_trace_id",
    "exception_name",
    "exception",
    "stack_trace",
}


class ConsoleFormatter(LambdaPowertoolsFormatter):
    """`12:00:01 WARNING model unavailable reason=...` instead of a JSON object."""

    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, Any] = json.loads(super().format(record))
        extras = " ".join(f"{key}={value}" for key, value in fields.items() if key not in _NOISE)
        line = f"{time.strftime('%H:%M:%S')} {record.levelname} {fields.get('message', '')} {extras}".rstrip()
        exception = fields.get("exception")
        return f"{line}\n{exception}" if exception else line


def use_console_logs(service_name: str) -> None:
    """Render the handlers' Powertools records, and any other warning, as plain lines.

    Call before the handlers are imported: the first Powertools Logger of a service sets up
    the output that every later one (the handlers') shares."""
    Logger(service=service_name, logger_formatter=ConsoleFormatter())
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s", datefmt="%H:%M:%S"
    )


def startup_block(lines: Sequence[tuple[str, str]], url: str) -> str:
    """The block printed once the server listens; the URL comes last, where the eye lands."""
    rows = [*lines, ("Web chat", url)]
    width = max(len(label) for label, _ in rows) + 1
    return "\n".join(
        ["Serverless GenAI Chat, local mode", *(f"  {label + ':':<{width}} {text}" for label, text in rows)]
    )


def follow_indexing(
    progress: Callable[[], tuple[int, int]],
    *,
    out: TextIO = sys.stdout,
    interval_seconds: float = 1.0,
) -> threading.Thread:
    """Print `Sample documents: settled/total ready` until every sample has settled: updated in
    place on a terminal, once at the end otherwise (logs and pipes)."""
    started = time.monotonic()
    live = out.isatty()

    def follow() -> None:
        settled, total = progress()
        while settled < total:
            if live:
                out.write(f"\rSample documents: {settled}/{total} indexed…")
                out.flush()
            time.sleep(interval_seconds)
            settled, total = progress()
        elapsed = time.monotonic() - started
        ending = "\r" if live else ""
        out.write(
            f"{ending}Sample documents: {settled}/{total} indexed in {elapsed:.0f} s; answers can quote them.\n"
        )
        out.flush()

    thread = threading.Thread(target=follow, name="indexing-progress", daemon=True)
    thread.start()
    return thread
