"""Prompt-injection defence: an input guard, a passage sanitiser and a system-prompt leak check.

Layers, each judging the text as it reads once disguises are undone (`normalise.views`):

1. patterns (`patterns.py`): instructions aimed at the model, recognised by their grammar;
2. a classifier (`classifier.py`) over hashed word and character n-grams, trained on public
   prompt-injection datasets, for paraphrases, other languages and role-play framings.

Neither is trusted alone: the delimited prompt, the output leak check and (in the cloud) the
Bedrock Guardrail's prompt-attack filter are the other layers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from lambdas.core.guard.classifier import LinearModel, load_model
from lambdas.core.guard.leaks import LeakDetector, StreamingLeakFilter
from lambdas.core.guard.normalise import display_safe, has_tag_characters, views
from lambdas.core.guard.patterns import REDACTED_INSTRUCTION, first_attack, redact
from lambdas.core.models import Passage

__all__ = [
    "ALLOWED",
    "INPUT_REFUSAL",
    "OUTPUT_REFUSAL",
    "REDACTED_INSTRUCTION",
    "LeakDetector",
    "StreamingLeakFilter",
    "Verdict",
    "check_input",
    "display_safe",
    "removed_instructions_note",
    "sanitise_passages",
    "sanitise_text",
]

INPUT_REFUSAL = (
    "I can't help with that request: it reads as an attempt to change my instructions or to "
    "reveal how I am configured. If you meant something else, please rephrase your question."
)
OUTPUT_REFUSAL = (
    "I can't share that answer because it would disclose my configuration. "
    "Please ask about your documents instead."
)
CLASSIFIER = "classifier"
# Reversed and rot13 readings of any text look like noise, too unlike the training data for
# the classifier to judge: only the patterns read them.
_CLASSIFIED = frozenset({"", "unicode", "spacing", "leetspeak", "base64", "hex"})
_CLASSIFIED_IN_DOCUMENTS = frozenset({"", "unicode", "base64", "hex"})
SENTENCE_END = re.compile("(?<=[.!?\u3002\uff01\uff1f])\\s+|\n+")  # Latin and CJK sentence ends


@dataclass(frozen=True, slots=True)
class Verdict:
    """The guard's judgement on one text. `category` names the attack family when blocked."""

    blocked: bool
    category: str = ""
    disguise: str = ""
    """How the attack was hidden when it only showed after decoding (base64, unicode, ...)."""

    @property
    def reason(self) -> str:
        """A machine-readable reason, e.g. `prompt_injection:instruction_override`."""
        if not self.blocked:
            return ""
        suffix = f"+{self.disguise}" if self.disguise else ""
        return f"prompt_injection:{self.category}{suffix}"


ALLOWED = Verdict(blocked=False)


def check_input(text: str, model: LinearModel | None = None) -> Verdict:
    """Judge a user message: blocked when it carries an instruction aimed at the model.

    Text that is merely unusual (right-to-left scripts, bidi controls, emoji) is judged by
    what it says; only invisible tag characters, which no keyboard types, are refused outright.
    `model` is the committed classifier unless another is given (cross-validation does).
    """
    model = model or load_model()
    return _judge(text, model, model.threshold, whole_text_ciphers=True)


def _judge(text: str, model: LinearModel, threshold: float, *, whole_text_ciphers: bool) -> Verdict:
    """Patterns on every reading of the text, then the classifier on the readings it can judge.
    Documents (no `whole_text_ciphers`) get the classifier on their plain and decoded-span
    readings only: a sentence's leetspeak or spacing reading is left to the patterns there."""
    readings = [("", text), *views(text, whole_text_ciphers=whole_text_ciphers)]
    classified = _CLASSIFIED if whole_text_ciphers else _CLASSIFIED_IN_DOCUMENTS
    for disguise, reading in readings:
        category = first_attack(reading)
        if category:
            return Verdict(blocked=True, category=category, disguise=disguise)
    for disguise, reading in readings[1:]:
        if disguise in classified and model.probability(reading) >= threshold:
            return Verdict(blocked=True, category=CLASSIFIER, disguise=disguise)
    if has_tag_characters(text):
        return Verdict(blocked=True, category="hidden_characters", disguise="unicode")
    return ALLOWED


def sanitise_passages(
    passages: Sequence[Passage], *, threshold: float | None = None
) -> tuple[tuple[Passage, ...], int]:
    """Passages with instruction-like text replaced by a marker, and how many were changed.

    Retrieved text is data: an uploaded file saying "ignore previous instructions" must not
    steer the model (indirect injection). Spans the patterns recognise are replaced, and so is
    each sentence the guard judges an instruction: a pattern, or a classifier score from
    `threshold` (the committed model's passage threshold unless given). The rest of the passage
    is kept, so a document that discusses attacks still answers questions about them.
    """
    cleaned: list[Passage] = []
    changed = 0
    for passage in passages:
        text = sanitise_text(passage.text, threshold=threshold)
        flagged = text.count(REDACTED_INSTRUCTION) > passage.text.count(REDACTED_INSTRUCTION)
        changed += flagged
        cleaned.append(replace(passage, text=text) if text != passage.text else passage)
    return tuple(cleaned), changed


def removed_instructions_note(passages: int) -> str:
    """What the answer says when instructions were taken out of retrieved passages ('' if none)."""
    if not passages:
        return ""
    which = "one retrieved passage" if passages == 1 else f"{passages} retrieved passages"
    return f"\n\n_Note: text that read as instructions to the assistant was left out of {which}._"


def sanitise_text(text: str, model: LinearModel | None = None, *, threshold: float | None = None) -> str:
    """Untrusted text (a passage, later a tool's output) with its instructions removed: each
    sentence the guard judges an instruction (patterns, or the classifier from `threshold`,
    the model's passage threshold unless given) is replaced by a marker, then any
    instruction-like span left inside a sentence (a delimiter, say). Whole-sentence rot13 and
    reversal are not tried on documents."""
    model = model or load_model()
    bar = model.passage_threshold if threshold is None else threshold
    safe = display_safe(text)
    parts = SENTENCE_END.split(safe)
    separators = [*SENTENCE_END.findall(safe), ""]
    return redact(
        "".join(
            (REDACTED_INSTRUCTION if _instructs(part, model, bar) else part) + separator
            for part, separator in zip(parts, separators, strict=True)
        )
    )


def _instructs(sentence: str, model: LinearModel, threshold: float) -> bool:
    if not sentence.strip():
        return False
    return _judge(sentence, model, threshold, whole_text_ciphers=False).blocked
