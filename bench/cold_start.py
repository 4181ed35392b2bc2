"""Cold-start proxy: importing the chat handler in a fresh interpreter, against `import boto3`.

Each import runs in a new process (like a new Lambda sandbox); the baseline is measured in
the same run, alternating with the handler, and the median of several runs is compared.
"""

from __future__ import annotations

import statistics
import subprocess
import sys

HANDLER_MODULE = "lambdas.handlers.api"
BASELINE_MODULE = "boto3"
RUNS = 9

_PROBE = "import time, importlib; t = time.perf_counter(); importlib.import_module({module!r}); print(time.perf_counter() - t)"


def import_seconds(module: str) -> float:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE.format(module=module)], capture_output=True, text=True, check=True
    )
    return float(result.stdout.strip())


def run() -> dict[str, float]:
    handler_times, baseline_times = [], []
    for _ in range(RUNS):
        handler_times.append(import_seconds(HANDLER_MODULE))
        baseline_times.append(import_seconds(BASELINE_MODULE))
    handler_ms = statistics.median(handler_times) * 1000
    baseline_ms = statistics.median(baseline_times) * 1000
    ratio = handler_ms / baseline_ms
    print(
        f"cold start: import {HANDLER_MODULE} {handler_ms:.0f} ms, baseline import {BASELINE_MODULE} "
        f"{baseline_ms:.0f} ms, ratio {ratio:.2f} (target <= 1.5)"
    )
    return {"import_ratio_vs_boto3": round(ratio, 3)}
