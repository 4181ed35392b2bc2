"""In-memory adapters: the fakes used by unit tests and benchmarks (same behaviour as the real stores)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace

from lambdas.core import limits
from lambdas.core.limits import DayState, LimitPolicy
from lambdas.core.models import Conversation, LimitStatus, Message


class InMemoryConversationStore:
    def __init__(self) -> None:
        self._conversations: dict[tuple[str, str], Conversation] = {}
        self._messages: dict[tuple[str, str], list[Message]] = {}
        self._lock = threading.Lock()

    def get_conversation(self, owner: str, conversation_id: str) -> Conversation | None:
        return self._conversations.get((owner, conversation_id))

    def list_conversations(self, owner: str) -> list[Conversation]:
        return [c for (o, _), c in self._conversations.items() if o == owner]

    def rename_conversation(self, owner: str, conversation_id: str, title: str) -> Conversation | None:
        with self._lock:
            current = self._conversations.get((owner, conversation_id))
            if current is None:
                return None
            renamed = replace(current, title=title)
            self._conversations[(owner, conversation_id)] = renamed
            return renamed

    def delete_conversation(self, owner: str, conversation_id: str) -> bool:
        with self._lock:
            self._messages.pop((owner, conversation_id), None)
            return self._conversations.pop((owner, conversation_id), None) is not None

    def list_messages(self, owner: str, conversation_id: str) -> list[Message]:
        return list(self._messages.get((owner, conversation_id), []))

    def recent_messages(self, owner: str, conversation_id: str, limit: int) -> list[Message]:
        return self.list_messages(owner, conversation_id)[-limit:]

    def append_turn(
        self, owner: str, conversation_id: str, question: Message, answer: Message, *, title_if_new: str
    ) -> None:
        key = (owner, conversation_id)
        with self._lock:
            current = self._conversations.get(key) or Conversation(
                id=conversation_id,
                owner=owner,
                title=title_if_new,
                created_at=answer.created_at,
                updated_at=answer.created_at,
            )
            self._conversations[key] = replace(
                current, updated_at=answer.created_at, message_count=current.message_count + 2
            )
            self._messages.setdefault(key, []).extend((question, answer))


class InMemoryRateLimiter:
    """The rate limiter of `lambdas.core.limits` for one process; `now` gives epoch seconds."""

    def __init__(self, policy: LimitPolicy, now: Callable[[], float] = time.time) -> None:
        self._policy = policy
        self._now = now
        self._days: dict[str, tuple[str, DayState]] = {}
        self._lock = threading.Lock()

    def admit(self, owner: str) -> None:
        now = self._now()
        with self._lock:
            state = self._state(owner, now)
            refused = limits.refusal(self._policy, state, now)
            if refused:
                raise refused
            self._days[owner] = (limits.day_of(now), limits.after_request(self._policy, state, now))

    def charge(self, owner: str, tokens: int) -> None:
        now = self._now()
        with self._lock:
            state = limits.after_charge(self._policy, self._state(owner, now), tokens, now)
            self._days[owner] = (limits.day_of(now), state)

    def status(self, owner: str) -> LimitStatus:
        now = self._now()
        with self._lock:
            return limits.status(self._policy, self._state(owner, now).tokens_used, now)

    def _state(self, owner: str, now: float) -> DayState:
        day, state = self._days.get(owner, ("", DayState()))
        return state if day == limits.day_of(now) else DayState()
