"""Answer one chat turn: limits -> history -> retrieval -> injection guard -> prompt within budget
-> model -> output check -> citations, cost -> store."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass

from lambdas.core.budget import estimate_usage, plan_context
from lambdas.core.catalog import ModelCatalog
from lambdas.core.citations import citations_for
from lambdas.core.errors import InvalidRequest, ModelUnavailable, NotFound
from lambdas.core.guard import (
    INPUT_REFUSAL,
    OUTPUT_REFUSAL,
    LeakDetector,
    StreamingLeakFilter,
    Verdict,
    check_input,
    display_safe,
    removed_instructions_note,
    sanitise_passages,
)
from lambdas.core.models import (
    ChatCommand,
    ChatResult,
    LimitStatus,
    Message,
    ModelInfo,
    ModelRequest,
    Passage,
    PromptMessage,
    StreamEnd,
    TextDelta,
    Usage,
)
from lambdas.core.ports import Clock, ConversationStore, IdGenerator, LanguageModel, RateLimiter, Retriever
from lambdas.core.pricing import cost_usd
from lambdas.core.prompts import PASSAGE_OVERHEAD_TOKENS, SYSTEM_PROMPT, render_user_turn

logger = logging.getLogger(__name__)
TITLE_CHARS = 60
NO_TOKENS = Usage(input_tokens=0, output_tokens=0)
GUARDRAIL_INTERVENED = "guardrail_intervened"
GUARDRAIL_REFUSAL = (
    "I can't help with that: this service's content policy does not allow it. "
    "Please rephrase your question or ask about something else."
)


@dataclass(frozen=True, slots=True)
class ChatSettings:
    default_max_tokens: int = 1024
    history_messages: int = 40
    """How many recent messages are loaded before budgeting trims them to the window."""
    top_k: int = 5
    passage_threshold: float | None = None
    """The injection classifier's bar for sentences of retrieved passages; None: the model's own."""
    fallback_model: ModelInfo | None = None
    """Prices an answer the resilient model wrapper got from its fallback model."""


@dataclass(frozen=True, slots=True)
class _PreparedTurn:
    command: ChatCommand
    conversation_id: str
    is_new: bool
    model: ModelInfo
    request: ModelRequest
    started_ms: float
    question: Message
    verdict: Verdict
    note: str
    """Appended to the answer: says when instructions were removed from retrieved passages."""


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
        rate_limiter: RateLimiter | None = None,
    ) -> None:
        self._store = store
        self._catalog = catalog
        self._model = model
        self._clock = clock
        self._ids = ids
        self._retriever = retriever
        self._settings = settings or ChatSettings()
        self._rate_limiter = rate_limiter
        self._leaks = LeakDetector(SYSTEM_PROMPT)

    def answer(self, command: ChatCommand) -> ChatResult:
        turn = self._prepare(command)
        if turn.verdict.blocked:
            return self._finish(turn, INPUT_REFUSAL, None, blocked=turn.verdict.reason)
        try:
            response = self._model.complete(turn.request)
        except ModelUnavailable:
            # Every model failed: keep the question, with an empty answer marked incomplete.
            self._finish(turn, "", NO_TOKENS, complete=False)
            raise
        if response.stop_reason == GUARDRAIL_INTERVENED:
            # The guardrail's own blocked message is the operator's wording: keep it when present.
            refusal = response.text.strip() or GUARDRAIL_REFUSAL
            return self._finish(
                turn, refusal, response.usage, model_id=response.model_id, blocked="guardrail"
            )
        if self._leaks.leaks(response.text):
            return self._finish(
                turn, OUTPUT_REFUSAL, response.usage, model_id=response.model_id, blocked="system_prompt_leak"
            )
        text = display_safe(response.text) + turn.note
        return self._finish(turn, text, response.usage, model_id=response.model_id)

    def stream(self, command: ChatCommand) -> Iterator[TextDelta | ChatResult]:
        """Yield answer deltas, then the stored ChatResult, whose answer is the deltas joined.

        If the model fails or the consumer stops early, the partial answer is stored marked
        incomplete. A guardrail intervention or a system-prompt leak ends the stream cleanly
        with a refusal and `blocked` set.
        """
        turn = self._prepare(command)
        if turn.verdict.blocked:
            yield TextDelta(INPUT_REFUSAL)
            yield self._finish(turn, INPUT_REFUSAL, None, blocked=turn.verdict.reason)
            return
        parts: list[str] = []
        end = StreamEnd(usage=None)
        leak_filter = StreamingLeakFilter(self._leaks)
        finished = False
        events = self._model.stream(turn.request)
        try:
            for event in events:
                if isinstance(event, StreamEnd):
                    end = event
                    continue
                safe = leak_filter.feed(display_safe(event.text))
                if leak_filter.leaked:
                    break
                if safe:
                    parts.append(safe)
                    yield TextDelta(safe)
            finished = True
        finally:
            _close(events)
            if not finished:
                # No text, no tokens to estimate: a model that failed before answering is not charged.
                self._finish(turn, "".join(parts), None if parts else NO_TOKENS, complete=False)
        refusal, blocked = self._stream_refusal(end, leak_filter, bool(parts))
        ending = refusal or turn.note
        if ending:
            parts.append(ending)
            yield TextDelta(ending)
        yield self._finish(turn, "".join(parts), end.usage, model_id=end.model_id, blocked=blocked)

    @staticmethod
    def _stream_refusal(end: StreamEnd, leak_filter: StreamingLeakFilter, sent_text: bool) -> tuple[str, str]:
        """The refusal to append and the block reason, or ('', '') for a normal ending.
        A guardrail's streamed text is its own refusal; ours is added only when it sent none."""
        separator = "\n\n" if sent_text else ""
        if leak_filter.leaked:
            return separator + OUTPUT_REFUSAL, "system_prompt_leak"
        if end.stop_reason == GUARDRAIL_INTERVENED:
            return ("" if sent_text else GUARDRAIL_REFUSAL), "guardrail"
        return "", ""

    def search(self, owner: str, query: str, top_k: int) -> tuple[Passage, ...]:
        """The owner's passages closest to `query`, for a client that reads them itself (MCP).

        Counted against the owner's request rate and refused when the daily budget is spent, as
        a turn is; instruction-like text is removed from the passages, since a model reads them."""
        if not query.strip():
            raise InvalidRequest("query must not be blank", field="query")
        if self._rate_limiter:
            self._rate_limiter.admit(owner)
        passages, _ = self._safe_passages(owner, query, top_k)
        return passages

    def limits(self, owner: str) -> LimitStatus | None:
        """The owner's limits and remaining daily budget; None when no limits are configured."""
        return self._rate_limiter.status(owner) if self._rate_limiter else None

    def _prepare(self, command: ChatCommand) -> _PreparedTurn:
        started_ms = self._clock.monotonic_ms()
        model = self._catalog.resolve(command.model)
        # An upper bound above the model's own output limit is met by that limit.
        max_tokens = min(command.max_tokens or self._settings.default_max_tokens, model.max_output_tokens)
        if self._rate_limiter:
            self._rate_limiter.admit(command.owner)

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

        verdict = check_input(command.message)
        passages: tuple[Passage, ...] = ()
        redacted = 0
        if not verdict.blocked:
            passages, redacted = self._safe_passages(command.owner, command.message, self._settings.top_k)
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
            owner=command.owner,
        )
        question = Message(
            id=self._ids.new_id(),
            conversation_id=conversation_id,
            role="user",
            content=command.message,
            created_at=self._clock.now_iso(),
        )
        note = removed_instructions_note(redacted)
        return _PreparedTurn(
            command, conversation_id, is_new, model, request, started_ms, question, verdict, note
        )

    def _safe_passages(self, owner: str, query: str, top_k: int) -> tuple[tuple[Passage, ...], int]:
        """Retrieved passages with instruction-like text removed (a model reads them), and how
        many sentences were removed."""
        if self._retriever is None:
            return (), 0
        passages, redacted = sanitise_passages(
            self._retriever.retrieve(owner, query, top_k), threshold=self._settings.passage_threshold
        )
        if redacted:
            logger.warning("instruction-like text removed from %d retrieved passages", redacted)
        return passages, redacted

    def _finish(
        self,
        turn: _PreparedTurn,
        text: str,
        usage: Usage | None,
        *,
        complete: bool = True,
        model_id: str = "",
        blocked: str = "",
    ) -> ChatResult:
        """Store the turn and count its tokens. `blocked` is the reason a refusal replaced the answer."""
        request = turn.request
        model = self._model_used(turn, model_id)
        if turn.verdict.blocked:
            usage = NO_TOKENS  # the model was never called
        elif usage is None:
            usage = estimate_usage([request.system, *(m.content for m in request.messages)], text)
        cost = cost_usd(model, usage)
        citations = () if blocked else citations_for(text, request.passages)
        latency_ms = round(self._clock.monotonic_ms() - turn.started_ms)
        answer = Message(
            id=self._ids.new_id(),
            conversation_id=turn.conversation_id,
            role="assistant",
            content=text,
            created_at=self._clock.now_iso(),
            model=model.id,
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
        if self._rate_limiter and not turn.verdict.blocked:
            self._rate_limiter.charge(turn.command.owner, usage.total_tokens)
        return ChatResult(
            conversation_id=turn.conversation_id,
            message_id=answer.id,
            answer=text,
            model=model.id,
            usage=usage,
            cost_usd=cost,
            latency_ms=latency_ms,
            citations=citations,
            blocked=bool(blocked),
            reason=blocked,
        )

    def _model_used(self, turn: _PreparedTurn, model_id: str) -> ModelInfo:
        fallback = self._settings.fallback_model
        if fallback is not None and model_id == fallback.id:
            return fallback
        return turn.model


def _close(events: Iterator[object]) -> None:
    """Close a model stream now, so a stream abandoned after a leak releases its connection."""
    close = getattr(events, "close", None)
    if callable(close):
        close()


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
    flat = " ".join(display_safe(message).split())
    return flat if len(flat) <= TITLE_CHARS else flat[: TITLE_CHARS - 1].rstrip() + "…"
