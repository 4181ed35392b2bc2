"""What `make run` prints: a short start-up block with the URL last, plain log lines, progress."""

from __future__ import annotations

import io
import logging

from local.console import ConsoleFormatter, follow_indexing, startup_block


def test_the_startup_block_ends_with_the_url() -> None:
    block = startup_block([("Answers", "extractive"), ("Samples", "0/6 indexed")], "http://127.0.0.1:8000/")

    lines = block.splitlines()
    assert len(lines) == 4
    assert lines[-1].split() == ["Web", "chat:", "http://127.0.0.1:8000/"]


def test_a_log_record_is_one_plain_line_with_its_extra_fields() -> None:
    record = logging.LogRecord("svc", logging.WARNING, __file__, 1, "model unavailable", None, None)
    record.reason = "throttled"

    line = ConsoleFormatter().format(record)

    assert line.endswith("WARNING model unavailable reason=throttled")
    assert "{" not in line


def test_indexing_progress_ends_with_one_line_when_every_sample_has_settled() -> None:
    states = iter([(1, 3), (2, 3), (3, 3)])
    out = io.StringIO()

    follow_indexing(lambda: next(states), out=out, interval_seconds=0).join(timeout=5)

    assert out.getvalue().startswith("Sample documents: 3/3 indexed in ")
    assert out.getvalue().count("\n") == 1
