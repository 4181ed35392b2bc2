"""Input guard quality on attacks written by others, and its latency.

Held-out sources, never used to train or tune the guard (see `tools/guard/datasets.py`), in two
splits reported apart: the old one, bastioncorpus 0.6.0 and agent-injection-bench 0.1.0 (both
MIT), and the fresh one, protectrag 0.6.0's golden documents (Apache-2.0). Messages go through
`check_input`; retrieved passages and tool outputs (indirect injection) through
`sanitise_passages`, where detected means an instruction was removed. Baseline, named and
run on the same data: the pattern layer alone (with the same decoding of disguises).
"""

from __future__ import annotations

import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from lambdas.core.guard import check_input, sanitise_passages
from lambdas.core.guard.normalise import views
from lambdas.core.guard.patterns import REDACTED_INSTRUCTION, first_attack, redact
from lambdas.core.models import Passage
from tools.guard.datasets import fresh_held_out_examples, held_out_examples
from tools.guard.examples import Example

Detector = Callable[[Example], bool]
TYPICAL_QUESTION = "What does the onboarding guide say about expense reports above 500 euros?"
PASSAGE_CHARS = 1000
TOP_K = 5


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


def _turn_passages() -> list[Passage]:
    """Five 1,000-character passages of the project's deployment guide: what a turn retrieves."""
    text = (Path(__file__).parents[1] / "docs" / "deploy.md").read_text(encoding="utf-8")
    return [
        Passage("deploy", "deploy.md", text[start : start + PASSAGE_CHARS], 1.0)
        for start in range(0, TOP_K * PASSAGE_CHARS, PASSAGE_CHARS)
    ]


def _p50_ms(turn: Callable[[], object], repeats: int = 100) -> float:
    """Median CPU time of one call: steady on a shared machine, and equal to wall time on an
    idle one (the guard is single-threaded and does no I/O)."""
    timings = []
    for _ in range(repeats):
        started = time.process_time()
        turn()
        timings.append((time.process_time() - started) * 1000)
    return statistics.median(timings)


SPLITS = (
    ("", "old held-out split: bastioncorpus 0.6.0 + agent-injection-bench 0.1.0 (MIT)", held_out_examples),
    (
        "fresh_",
        "fresh held-out split: protectrag 0.6.0 golden documents (Apache-2.0)",
        fresh_held_out_examples,
    ),
)


def _report(title: str, examples: list[Example]) -> tuple[float, float]:
    """Print both detectors' figures on one split; the layered guard's detection and FP rates."""
    print(f"input guard on the {title}:")
    for name, detector in (("patterns only (baseline)", patterns_only), ("layered guard", layered)):
        rates = _rates(examples, detector)
        figures = ", ".join(
            f"{group} {flagged}/{total} ({flagged / total:.1%})"
            for group, (flagged, total) in sorted(rates.items())
        )
        print(f"  {name}: {figures}")
    detected, attacks = rates["attacks"]
    flagged, benign = rates["benign"]
    return detected / attacks, flagged / benign


def run() -> dict[str, float]:
    check_input(TYPICAL_QUESTION)  # load the model outside the timings
    results: dict[str, float] = {}
    for prefix, title, examples in SPLITS:
        detection, false_positives = _report(title, examples())
        results[f"guard_{prefix}detection_rate"] = round(detection, 3)
        results[f"guard_{prefix}false_positive_rate"] = round(false_positives, 3)
    passages = _turn_passages()
    question_ms = _p50_ms(lambda: check_input(TYPICAL_QUESTION))
    turn_ms = _p50_ms(lambda: (check_input(TYPICAL_QUESTION), sanitise_passages(passages)))
    print(
        f"  guard latency p50 (CPU): {question_ms:.2f} ms for a question alone, {turn_ms:.2f} ms per turn "
        f"with {TOP_K} retrieved passages of {PASSAGE_CHARS} characters"
    )
    results["guard_latency_p50_ms"] = round(turn_ms, 2)
    return results


if __name__ == "__main__":
    run()
