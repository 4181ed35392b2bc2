"""Would judging a sentence against its own passage catch instructions phrased as requests?

Measured, not shipped (`python -m tools.guard.crossval --standing-out`; docs/security.md). An
injected instruction is foreign to its host document, a request in an email full of requests
is not: each rule below removes, besides what the guard removes, a sentence whose classifier
score is above a lower bar and stands out from the other sentences of its passage (passages of
`MIN_SENTENCES` sentences or more only), by its score or by the few words it shares with them.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from lambdas.core.guard import REDACTED_INSTRUCTION, SENTENCE_END, sanitise_text
from lambdas.core.guard.classifier import LinearModel
from lambdas.core.guard.normalise import display_safe, unmask

MIN_SENTENCES = 4
_CONTENT_WORD = re.compile(r"\w{4,}")


@dataclass(frozen=True, slots=True)
class Sentence:
    text: str
    score: float
    """The classifier's probability for the sentence alone, as the passage guard reads it."""
    removed: bool
    """Whether the guard as shipped removes it."""
    score_over_median: float
    """Its score less the median score of the passage's other sentences."""
    z: float
    """Its score less the others' mean, in their standard deviations."""
    words_shared: float
    """The share of its content words (four letters or more) found in the other sentences."""


Rule = Callable[[Sentence], bool]
RULES: tuple[tuple[str, Rule], ...] = (
    (
        "score >= 0.5 and 0.15 over the passage median",
        lambda s: s.score >= 0.5 and s.score_over_median >= 0.15,
    ),
    (
        "score >= 0.3 and 0.25 over the passage median",
        lambda s: s.score >= 0.3 and s.score_over_median >= 0.25,
    ),
    ("score >= 0.2 and 0.1 over the passage median", lambda s: s.score >= 0.2 and s.score_over_median >= 0.1),
    ("score >= 0.3 and z >= 2", lambda s: s.score >= 0.3 and s.z >= 2),
    ("score >= 0.1 and z >= 2", lambda s: s.score >= 0.1 and s.z >= 2),
    ("score >= 0.2 and at most 1/4 of its words shared", lambda s: s.score >= 0.2 and s.words_shared <= 0.25),
    ("score >= 0.1 and at most 1/10 of its words shared", lambda s: s.score >= 0.1 and s.words_shared <= 0.1),
)


def sentences(text: str, model: LinearModel) -> list[Sentence]:
    """The sentences of a passage as `sanitise_text` splits it, each with what the rules read."""
    parts = [part for part in SENTENCE_END.split(display_safe(text)) if part.strip()]
    scores = [model.probability(unmask(part)) for part in parts]
    words = [set(_CONTENT_WORD.findall(part.casefold())) for part in parts]
    judged = []
    for i, part in enumerate(parts):
        others = scores[:i] + scores[i + 1 :]
        rest = set().union(*words[:i], *words[i + 1 :])
        judged.append(
            Sentence(
                part,
                scores[i],
                REDACTED_INSTRUCTION in sanitise_text(part, model),
                scores[i] - statistics.median(others) if others else 0.0,
                (scores[i] - statistics.fmean(others)) / (statistics.pstdev(others) or 0.01)
                if others
                else 0.0,
                len(words[i] & rest) / len(words[i]) if words[i] else 1.0,
            )
        )
    return judged


def removed(passage: Sequence[Sentence], rule: Rule | None) -> list[Sentence]:
    """The sentences removed by the guard, and by `rule` when the passage is long enough."""
    if rule is None or len(passage) < MIN_SENTENCES:
        return [s for s in passage if s.removed]
    return [s for s in passage if s.removed or rule(s)]
