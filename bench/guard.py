"""Input guard quality on attacks written by others, and its latency.

Held-out sources, never used to train or tune the guard (see `tools/guard/datasets.py`):
bastioncorpus 0.6.0 and agent-injection-bench 0.1.0 (both MIT). Messages go through
`check_input`; retrieved passages and tool outputs (indirect injection) through
`sanitise_passages`, where detected means an instruction was removed. Baseline, named and
run on the same data: the pattern layer alone (with the same decoding of disguises).
"""

from __future__ import annotations

import statistics
import time
from collections import defaultdict
from collections.abc import Callable

from lambdas.core.guard import check_input, sanitise_passages
from lambdas.core.guard.normalise import views
from lambdas.core.guard.patterns import REDACTED_INSTRUCTION, first_attack, redact
from lambdas.core.models import Passage
from tools.guard.datasets import Example, held_out_examples

Detector = Callable[[Example], bool]
TYPICAL_QUESTION = "What does the onboarding guide say about expense reports above 500 euros?"


def layered(example: Example) -> bool:
    if example.kind == "message":
        return check_input(example.text).blocked
    return sanitise_passages([Passage("doc", "held-out", example.text, 1.0)])[1] > 0


def patterns_only(example: Example) -> bool:
    if example.kind == "message":
        return any(first_attack(view) for view in (example.text, *(view for _, view in views(example.text))))
    return REDACTED_INSTRUCTION in redact(example.text)


def _rates(examples: list[Example], detector: Detector) -> dict[str, tuple[int, int]]:
    """(flagged, total) per group: attacks and benign, by kind, and non-English attacks."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for example in examples:
        label = "attacks" if example.attack else "benign"
        groups = [label, f"{label} {example.kind}s"]
        if example.lang != "en":
            groups.append(f"{label} non-English")
        flagged = detector(example)
        for group in groups:
            counts[group][0] += flagged
            counts[group][1] += 1
    return {group: (flagged, total) for group, (flagged, total) in counts.items()}


def _p50_ms(texts: list[str]) -> float:
    timings = []
    for text in texts:
        started = time.perf_counter()
        check_input(text)
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def run() -> dict[str, float]:
    examples = held_out_examples()
    check_input(TYPICAL_QUESTION)  # load the model outside the timings
    results: dict[str, float] = {}
    print("input guard on held-out sources bastioncorpus 0.6.0 + agent-injection-bench 0.1.0 (MIT):")
    for name, detector in (("patterns only (baseline)", patterns_only), ("layered guard", layered)):
        rates = _rates(examples, detector)
        figures = ", ".join(
            f"{group} {flagged}/{total} ({flagged / total:.1%})"
            for group, (flagged, total) in sorted(rates.items())
        )
        print(f"  {name}: {figures}")
    layered_rates = _rates(examples, layered)
    detected, attacks = layered_rates["attacks"]
    flagged, benign = layered_rates["benign"]
    results["guard_detection_rate"] = round(detected / attacks, 3)
    results["guard_false_positive_rate"] = round(flagged / benign, 3)
    messages = [e.text for e in examples if e.kind == "message"]
    p50_typical = _p50_ms([TYPICAL_QUESTION] * 200)
    p50_held_out = _p50_ms(messages)
    print(
        f"  guard latency p50: {p50_typical:.2f} ms for a typical question, "
        f"{p50_held_out:.2f} ms over the held-out messages"
    )
    results["guard_latency_p50_ms"] = round(p50_typical, 2)
    return results


if __name__ == "__main__":
    run()
