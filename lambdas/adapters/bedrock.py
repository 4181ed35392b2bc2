"""Amazon Bedrock chat models through the Converse and ConverseStream APIs.

Timeouts belong to the injected client (botocore `Config`, built by the composition root)
and retries to `lambdas.core.resilience.ResilientModel`, which wraps this adapter; the
adapter only translates requests and responses and maps provider failures to domain errors.
"""

from __future__ import annotations

import logging
from collections.abc import Generator, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotocoreConnectionError

from lambdas.adapters.aws_errors import error_code
from lambdas.core.errors import InvalidRequest, ModelThrottled, ModelUnavailable
from lambdas.core.models import ModelRequest, ModelResponse, StreamEnd, StreamEvent, TextDelta, Usage
from lambdas.core.prompt_cache import plan_cache

logger = logging.getLogger(__name__)

_THROTTLING = frozenset({"ThrottlingException", "TooManyRequestsException"})
NO_MODEL_ACCESS = frozenset({"AccessDeniedException", "ResourceNotFoundException"})
"""Error codes of a model this account may not call in this region (chat and embeddings alike)."""
_REJECTED_INPUT = frozenset({"ValidationException"})
_CACHE_POINT = {"cachePoint": {"type": "default"}}


class BedrockChatModel:
    """`LanguageModel` backed by a boto3 `bedrock-runtime` client."""

    def __init__(
        self,
        client: Any,
        *,
        guardrail_id: str | None = None,
        guardrail_version: str | None = None,
        cache_minimums: Mapping[str, int] | None = None,
    ) -> None:
        """`cache_minimums`: model id -> fewest prompt tokens per cache checkpoint, for the
        models that take prompt-cache checkpoints; other models get none."""
        if (guardrail_id is None) != (guardrail_version is None):
            raise ValueError("guardrail_id and guardrail_version must be given together")
        self._client = client
        self._cache_minimums = dict(cache_minimums or {})
        self._guardrail = (
            {"guardrailIdentifier": guardrail_id, "guardrailVersion": guardrail_version, "trace": "enabled"}
            if guardrail_id is not None
            else None
        )

    def complete(self, request: ModelRequest) -> ModelResponse:
        with self._mapped_errors(request.model_id):
            response = self._client.converse(**self._converse_params(request))
        content = response["output"]["message"]["content"]
        return ModelResponse(
            text="".join(block.get("text", "") for block in content),
            model_id=request.model_id,
            usage=_usage(response.get("usage")),
            stop_reason=response["stopReason"],
        )

    def stream(self, request: ModelRequest) -> Generator[StreamEvent, None, None]:
        with self._mapped_errors(request.model_id):
            events = self._client.converse_stream(**self._converse_params(request))["stream"]
            try:
                yield from _stream_events(events)
            finally:
                # Releases the HTTP connection when the consumer stops early.
                events.close()

    def _converse_params(self, request: ModelRequest) -> dict[str, Any]:
        messages = [
            {"role": message.role, "content": [{"text": message.content}]} for message in request.messages
        ]
        if self._guardrail is not None and request.question and messages:
            messages[-1]["content"] = _guarded_input(request.messages[-1].content, request.question)
        params: dict[str, Any] = {
            "modelId": request.model_id,
            "messages": messages,
            "inferenceConfig": {"maxTokens": request.max_tokens, "temperature": request.temperature},
        }
        # Bedrock rejects empty text blocks, so an empty system prompt is left out.
        if request.system:
            params["system"] = [{"text": request.system}]
        if self._guardrail is not None:
            params["guardrailConfig"] = dict(self._guardrail)
        self._add_cache_points(params, request)
        return params

    def _add_cache_points(self, params: dict[str, Any], request: ModelRequest) -> None:
        """Checkpoints after the system prompt and after the history, where the prefix is long
        enough for this model (decided per call: a fallback model has its own minimum)."""
        minimum = self._cache_minimums.get(request.model_id, 0)
        plan = plan_cache(minimum, request.system, request.messages[:-1])
        if plan.after_system:
            params["system"].append(dict(_CACHE_POINT))
        if plan.after_history:
            params["messages"][-2]["content"].append(dict(_CACHE_POINT))

    @contextmanager
    def _mapped_errors(self, model_id: str) -> Iterator[None]:
        try:
            yield
        except ClientError as error:
            raise self._domain_error(error, model_id) from error
        except (BotocoreConnectionError, HTTPClientError) as error:
            logger.warning("Bedrock call failed: %s", type(error).__name__)
            raise ModelUnavailable(
                f"Amazon Bedrock did not answer in time for model {model_id}; try again shortly."
            ) from error

    def _domain_error(self, error: ClientError, model_id: str) -> Exception:
        code = _error_code(error)
        logger.warning("Bedrock rejected the call for %s: %s", model_id, code)
        if code in _THROTTLING:
            return ModelThrottled(
                f"Amazon Bedrock is throttling requests to {model_id}; try again in a few seconds."
            )
        if code in NO_MODEL_ACCESS:
            return no_model_access(model_id, self._client.meta.region_name)
        if code in _REJECTED_INPUT:
            return InvalidRequest(
                "The model rejected the input, for example because the conversation is too long "
                "for its context window; shorten the message or start a new conversation."
            )
        return ModelUnavailable(f"Amazon Bedrock could not answer with {model_id} ({code}); try again later.")


def no_model_access(model_id: str, region: str) -> ModelUnavailable:
    """The error that tells the operator how to grant access to the model."""
    return ModelUnavailable(
        f"Model {model_id} is not available to this account in {region}: enable access to it "
        f"in the Amazon Bedrock console (Model access) for region {region}."
    )


def _guarded_input(content: str, question: str) -> list[dict[str, Any]]:
    """The current turn with the user's own words tagged as guard content.

    With a `guardContent` block in the request, the guardrail's input filters (prompt attack
    among them) judge only that block: the user's question is evaluated as user input, and
    the retrieved passages and history before it are not mistaken for an attack. The model
    reads both blocks in order, as one message.
    """
    guarded = {"guardContent": {"text": {"text": question, "qualifiers": ["guard_content"]}}}
    context = content.removesuffix(question)
    if context == content:
        # Not the rendered question (should not happen): guard the whole turn.
        return [{"guardContent": {"text": {"text": content, "qualifiers": ["guard_content"]}}}]
    return [{"text": context}, guarded] if context.strip() else [guarded]


def _error_code(error: ClientError) -> str:
    """The error code with a capital first letter: stream exception events spell codes
    in lower camel case (`throttlingException`), operation errors in upper camel case."""
    code = error_code(error)
    return code[:1].upper() + code[1:]


def _stream_events(events: Any) -> Iterator[StreamEvent]:
    usage: Usage | None = None
    stop_reason: str | None = None
    for event in events:
        if "contentBlockDelta" in event:
            text = event["contentBlockDelta"]["delta"].get("text")
            if text:
                yield TextDelta(text)
        elif "messageStop" in event:
            stop_reason = event["messageStop"]["stopReason"]
        elif "metadata" in event:
            usage = _usage(event["metadata"].get("usage"))
    if stop_reason is None:
        raise ModelUnavailable("Amazon Bedrock ended the answer stream before the model finished.")
    yield StreamEnd(usage=usage, stop_reason=stop_reason)


def _usage(usage: dict[str, Any] | None) -> Usage | None:
    """Converse's `inputTokens` leaves out the tokens read from or written to the cache."""
    if not usage:
        return None
    return Usage(
        input_tokens=usage["inputTokens"],
        output_tokens=usage["outputTokens"],
        cache_read_tokens=usage.get("cacheReadInputTokens", 0),
        cache_write_tokens=usage.get("cacheWriteInputTokens", 0),
    )
