"""Answer one chat turn: history -> retrieval -> prompt within budget -> model -> citations, cost -> store."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from lambdas.core.budget import estimate_usage, plan_context
from lambdas.core.catalog import ModelCatalog
from lambdas.core.citations import citations_for
from lambdas.core.errors import InvalidRequest, NotFound
from lambdas.core.models import (
    ChatCommand,
    ChatResult,
    Message,
    ModelInfo,
    ModelRequest,
    PromptMessage,
    TextDelta,
    Usage,
)
from lambdas.core.ports import Clock, ConversationStore, IdGenerator, LanguageModel, Retriever
from lambdas.core.pricing import cost_usd
from lambdas.core.prompts import PASSAGE_OVERHEAD_TOKENS, SYSTEM_PROMPT, render_user_turn

TITLE_CHARS = 60


@dataclass(frozen=True, slots=True)
class ChatSettings:
    default_max_tokens: int = 1024
    history_messages: int = 40
    """How many recent messages are loaded before budgeting trims them to the window."""
    top_k: int = 5


@dataclass(frozen=True, slots=True)
class _PreparedTurn:
    command: ChatCommand
    conversation_id: str
    is_new: bool
    model: ModelInfo
    request: ModelRequest
    started_ms: float
    question: Message


class ChatService:
    def __init__(
        self,
        *,
        store: ConversationStore,
        catalog: ModelCatalog,
        model: LanguageModel,
        clock: Clock,
        ids: IdGenerator,
        retriever: Retriever | None = None,
        settings: ChatSettings | None = None,
    ) -> None:
        self._store = store
        self._catalog = catalog
        self._model = model
        self._clock = clock
        self._ids = ids
        self._retriever = retriever
        self._settings = settings or ChatSettings()

    def answer(self, command: ChatCommand) -> ChatResult:
        turn = self._prepare(command)
        response = self._model.complete(turn.request)
        return self._finish(turn, response.text, response.usage, complete=True)

    def stream(self, command: ChatCommand) -> Iterator[TextDelta | ChatResult]:
        """Yield answer deltas, then the stored ChatResult. If the model fails or the
        consumer stops early, the partial answer is stored marked incomplete."""
        turn = self._prepare(command)
        parts: list[str] = []
        usage: Usage | None = None
        finished = False
        try:
            for event in self._model.stream(turn.request):
                if isinstance(event, TextDelta):
                    parts.append(event.text)
                    yield event
                else:
                    usage = event.usage
            finished = True
        finally:
            if not finished:
                self._finish(turn, "".join(parts), None, complete=False)
        yield self._finish(turn, "".join(parts), usage, complete=True)

    def _prepare(self, command: ChatCommand) -> _PreparedTurn:
        started_ms = self._clock.monotonic_ms()
        model = self._catalog.resolve(command.model)
        max_tokens = command.max_tokens or min(self._settings.default_max_tokens, model.max_output_tokens)
        if max_tokens > model.max_output_tokens:
            raise InvalidRequest(
                f"max_tokens must be at most {model.max_output_tokens} for {model.id}", field="max_tokens"
            )

        history: list[PromptMessage] = []
        if command.conversation_id is None:
            conversation_id, is_new = self._ids.new_id(), True
        else:
            conversation_id, is_new = command.conversation_id, False
            if self._store.get_conversation(command.owner, conversation_id) is None:
                raise NotFound(f"conversation {conversation_id} not found", field="conversation_id")
            recent = self._store.recent_messages(
                command.owner, conversation_id, self._settings.history_messages
            )
            history = _complete_turns(recent)

        passages = (
            tuple(self._retriever.retrieve(command.owner, command.message, self._settings.top_k))
            if self._retriever
            else ()
        )
        plan = plan_context(
            context_window=model.context_window,
            reserved_output_tokens=max_tokens,
            system=SYSTEM_PROMPT,
            question=command.message,
            history=history,
            passages=passages,
            passage_tokens=PASSAGE_OVERHEAD_TOKENS,
        )
        current = PromptMessage("user", render_user_turn(command.message, plan.passages))
        request = ModelRequest(
            model_id=model.id,
            system=SYSTEM_PROMPT,
            messages=(*plan.history, current),
            temperature=command.temperature,
            max_tokens=max_tokens,
            question=command.message,
            passages=plan.passages,
        )
        question = Message(
            id=self._ids.new_id(),
            conversation_id=conversation_id,
            role="user",
            content=command.message,
            created_at=self._clock.now_iso(),
        )
        return _PreparedTurn(command, conversation_id, is_new, model, request, started_ms, question)

    def _finish(self, turn: _PreparedTurn, text: str, usage: Usage | None, *, complete: bool) -> ChatResult:
        request = turn.request
        if usage is None:
            usage = estimate_usage([request.system, *(m.content for m in request.messages)], text)
        cost = cost_usd(turn.model, usage)
        citations = citations_for(text, request.passages)
        latency_ms = round(self._clock.monotonic_ms() - turn.started_ms)
        answer = Message(
            id=self._ids.new_id(),
            conversation_id=turn.conversation_id,
            role="assistant",
            content=text,
            created_at=self._clock.now_iso(),
            model=turn.model.id,
            usage=usage,
            cost_usd=cost,
            latency_ms=latency_ms,
            citations=citations,
            complete=complete,
        )
        self._store.append_turn(
            turn.command.owner,
            turn.conversation_id,
            turn.question,
            answer,
            title_if_new=_title(turn.command.message),
        )
        return ChatResult(
            conversation_id=turn.conversation_id,
            message_id=answer.id,
            answer=text,
            model=turn.model.id,
            usage=usage,
            cost_usd=cost,
            latency_ms=latency_ms,
            citations=citations,
        )


def _complete_turns(messages: list[Message]) -> list[PromptMessage]:
    """History for the prompt without turns whose answer was cut off: dropping only the
    partial answer would leave two user messages in a row, which providers reject."""
    kept: list[PromptMessage] = []
    for index, message in enumerate(messages):
        following = messages[index + 1] if index + 1 < len(messages) else None
        if not message.complete or (following is not None and not following.complete):
            continue
        kept.append(PromptMessage(message.role, message.content))
    return kept


def _title(message: str) -> str:
    flat = " ".join(message.split())
    return flat if len(flat) <= TITLE_CHARS else flat[: TITLE_CHARS - 1].rstrip() + "…"
