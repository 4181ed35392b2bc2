"""Where a prompt may carry cache checkpoints.

The stable prefix of a chat prompt is the system prompt and then the earlier turns of the
conversation; the current turn (question and retrieved passages) changes every time and is
never cached. A provider creates a cache entry only when the prefix up to a checkpoint holds
at least the model's minimum tokens, and the n-th checkpoint needs n times that minimum
(Amazon Bedrock's rule), so a checkpoint is placed only where it can take effect.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lambdas.core.budget import estimate_tokens, message_tokens
from lambdas.core.models import PromptMessage


@dataclass(frozen=True, slots=True)
class CachePlan:
    after_system: bool = False
    after_history: bool = False
    """After the last message before the current turn."""


NO_CACHE = CachePlan()


def plan_cache(min_tokens: int, system: str, history: Sequence[PromptMessage]) -> CachePlan:
    """Checkpoints for a prompt of `system`, then `history`, then the current turn.
    `min_tokens` of 0 means the model takes no checkpoints."""
    if min_tokens <= 0:
        return NO_CACHE
    system_tokens = estimate_tokens(system)
    after_system = system_tokens >= min_tokens
    needed = min_tokens * (2 if after_system else 1)
    prefix = system_tokens + sum(message_tokens(message) for message in history)
    after_history = bool(history) and prefix >= needed
    return CachePlan(after_system=after_system, after_history=after_history)
