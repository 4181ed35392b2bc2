"""Input guard quality on the labelled attack set: detection rate and false-positive rate.

Baseline, named: a guard that blocks nothing (detection 0, false positives 0). The set is
`tests/unit/security/attacks.py`; it was written together with the guard's patterns, so
these figures are an upper bound for attacks of the same families, not for novel ones.
"""

from __future__ import annotations

from lambdas.core.guard import check_input
from tests.unit.security.attacks import ATTACKS, BENIGN


def run() -> dict[str, float]:
    detected = sum(check_input(text).blocked for _, text in ATTACKS)
    false_positives = sum(check_input(text).blocked for text in BENIGN)
    detection_rate = detected / len(ATTACKS)
    false_positive_rate = false_positives / len(BENIGN)
    print(
        f"input guard: detection rate {detection_rate:.3f} ({detected}/{len(ATTACKS)} attacks), "
        f"false-positive rate {false_positive_rate:.3f} ({false_positives}/{len(BENIGN)} benign); "
        "baseline (no guard) 0.000 / 0.000"
    )
    return {
        "guard_detection_rate": round(detection_rate, 3),
        "guard_false_positive_rate": round(false_positive_rate, 3),
    }
