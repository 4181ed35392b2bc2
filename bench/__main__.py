"""`make bench`: every benchmark, each printing its figures against a baseline measured in the
same run; the last line is one JSON object with all the figures."""

from __future__ import annotations

import json
import logging
import os

os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
logging.disable(logging.INFO)

from bench import cold_start, guard, ingest, retrieval, turn_overhead  # noqa: E402 - logging must be quiet before imports


def main() -> None:
    results: dict[str, float] = {}
    for benchmark in (cold_start, turn_overhead, guard, ingest, retrieval):
        results.update(benchmark.run())
    print(json.dumps(results))


if __name__ == "__main__":
    main()
