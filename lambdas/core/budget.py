"""Token estimates and context-window budgeting.

The prompt must fit: system + passages + history + current message + reserved output
<= the model's context window. History is a sliding window: whole turns are dropped
oldest first; the current message is never dropped.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from lambdas.core.errors import InvalidRequest
from lambdas.core.models import Passage, PromptMessage, Usage

CHARS_PER_TOKEN = 3.5
"""Conservative for English with BPE tokenizers (~4 chars/token): we overestimate rather than overflow."""
MESSAGE_OVERHEAD_TOKENS = 4
"""Role markers and separators each provider adds around a message."""


def estimate_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN) if text else 0


def estimate_usage(prompt_texts: Sequence[str], answer: str) -> Usage:
    """Used when a provider reports no usage; flagged as estimated."""
    prompt = sum(estimate_tokens(t) + MESSAGE_OVERHEAD_TOKENS for t in prompt_texts)
    return Usage(input_tokens=prompt, output_tokens=estimate_tokens(answer), estimated=True)


def message_tokens(message: PromptMessage) -> int:
    return estimate_tokens(message.content) + MESSAGE_OVERHEAD_TOKENS


@dataclass(frozen=True, slots=True)
class ContextPlan:
    history: tuple[PromptMessage, ...]
    passages: tuple[Passage, ...]
    dropped_messages: int
    estimated_input_tokens: int


def plan_context(
    *,
    context_window: int,
    reserved_output_tokens: int,
    system: str,
    question: str,
    history: Sequence[PromptMessage],
    passages: Sequence[Passage],
    passage_tokens: int = 0,
) -> ContextPlan:
    """Choose which passages and which recent history fit beside the question.

    `passage_tokens` is the per-passage rendering overhead (numbering, title lines).
    Passages are kept in the given (score) order until one does not fit; then history
    fills what is left, newest turn first, whole user/assistant pairs at a time.
    """
    fixed = (
        estimate_tokens(system)
        + MESSAGE_OVERHEAD_TOKENS
        + estimate_tokens(question)
        + MESSAGE_OVERHEAD_TOKENS
    )
    available = context_window - reserved_output_tokens - fixed
    if available < 0:
        raise InvalidRequest(
            f"message is too long for the model's context window ({context_window} tokens, "
            f"{reserved_output_tokens} reserved for the answer)",
            field="message",
        )

    kept_passages: list[Passage] = []
    for passage in passages:
        cost = estimate_tokens(passage.text) + passage_tokens
        if cost > available:
            break
        kept_passages.append(passage)
        available -= cost

    kept: list[PromptMessage] = []
    for turn in reversed(_whole_turns(history)):
        cost = sum(message_tokens(m) for m in turn)
        if cost > available:
            break
        kept[:0] = turn
        available -= cost

    used = context_window - reserved_output_tokens - available
    return ContextPlan(
        history=tuple(kept),
        passages=tuple(kept_passages),
        dropped_messages=len(history) - len(kept),
        estimated_input_tokens=used,
    )


def _whole_turns(history: Sequence[PromptMessage]) -> list[list[PromptMessage]]:
    """Group history into turns, each starting at a user message, so that a window
    never starts with an orphaned assistant reply (Bedrock requires user first)."""
    turns: list[list[PromptMessage]] = []
    for message in history:
        if message.role == "user" or not turns:
            turns.append([message])
        else:
            turns[-1].append(message)
    return [turn for turn in turns if turn[0].role == "user"]
