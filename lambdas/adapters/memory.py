"""In-memory adapters: the fakes used by unit tests and benchmarks (same behaviour as the real stores)."""

from __future__ import annotations

import threading
from dataclasses import replace

from lambdas.core.models import Conversation, Message


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
