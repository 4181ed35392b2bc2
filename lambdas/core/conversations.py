"""Reading, renaming and deleting a user's conversations."""

from __future__ import annotations

from lambdas.core.errors import InvalidRequest, NotFound
from lambdas.core.guard import display_safe
from lambdas.core.models import Conversation, Message
from lambdas.core.ports import ConversationStore


class ConversationService:
    def __init__(self, store: ConversationStore) -> None:
        self._store = store

    def list_for(self, owner: str) -> list[Conversation]:
        return sorted(self._store.list_conversations(owner), key=lambda c: c.updated_at, reverse=True)

    def get(self, owner: str, conversation_id: str) -> tuple[Conversation, list[Message]]:
        conversation = self._store.get_conversation(owner, conversation_id)
        if conversation is None:
            raise NotFound(f"conversation {conversation_id} not found")
        return conversation, self._store.list_messages(owner, conversation_id)

    def rename(self, owner: str, conversation_id: str, title: str) -> Conversation:
        """Rename; characters that reorder or hide text (a right-to-left override) are dropped."""
        visible = display_safe(title)
        if not visible.strip():
            raise InvalidRequest("title must contain visible characters", field="title")
        conversation = self._store.rename_conversation(owner, conversation_id, visible)
        if conversation is None:
            raise NotFound(f"conversation {conversation_id} not found")
        return conversation

    def delete(self, owner: str, conversation_id: str) -> None:
        if not self._store.delete_conversation(owner, conversation_id):
            raise NotFound(f"conversation {conversation_id} not found")
