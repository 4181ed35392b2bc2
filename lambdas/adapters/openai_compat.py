"""Chat models served by an OpenAI-compatible endpoint (Ollama, vLLM, LM Studio, ...).

Standard library only, so local mode needs no SDK. Streaming uses server-sent events.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from http.client import HTTPResponse
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from lambdas.core.errors import InvalidRequest, ModelThrottled, ModelUnavailable
from lambdas.core.models import ModelRequest, ModelResponse, StreamEnd, StreamEvent, TextDelta, Usage

logger = logging.getLogger(__name__)

_STOP_REASONS = {"stop": "end_turn", "length": "max_tokens", "content_filter": "content_filtered"}
"""OpenAI finish reasons in the domain's (Bedrock's) stop-reason vocabulary."""

_SSE_DATA = "data:"
_SSE_DONE = "[DONE]"


class OpenAICompatibleModel:
    """`LanguageModel` that POSTs to `{base_url}/chat/completions`."""

    def __init__(self, base_url: str, *, api_key: str | None = None, timeout_seconds: float = 60.0) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ValueError("base_url must be an http(s) URL, e.g. http://localhost:11434/v1")
        self._endpoint = base_url.rstrip("/") + "/chat/completions"
        # Named in error messages, so without any user:password part the URL may carry.
        self._shown_url = urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))
        self._api_key = api_key
        self._timeout_seconds = timeout_seconds

    def complete(self, request: ModelRequest) -> ModelResponse:
        with self._mapped_errors(request.model_id), self._post(_body(request, stream=False)) as response:
            answer = json.load(response)
            choice = answer["choices"][0]
            return ModelResponse(
                text=choice["message"].get("content") or "",
                model_id=request.model_id,
                usage=_usage(answer.get("usage")),
                stop_reason=_stop_reason(choice.get("finish_reason")),
            )

    def stream(self, request: ModelRequest) -> Generator[StreamEvent, None, None]:
        with self._mapped_errors(request.model_id), self._post(_body(request, stream=True)) as response:
            yield from _stream_events(_sse_data(response))

    def _post(self, body: dict[str, Any]) -> HTTPResponse:
        headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        http_request = urllib.request.Request(  # noqa: S310 - scheme checked in __init__
            self._endpoint, data=json.dumps(body).encode(), headers=headers, method="POST"
        )
        response: HTTPResponse = urllib.request.urlopen(  # noqa: S310 - scheme checked in __init__
            http_request, timeout=self._timeout_seconds
        )
        return response

    @contextmanager
    def _mapped_errors(self, model_id: str) -> Iterator[None]:
        try:
            yield
        except urllib.error.HTTPError as error:
            error.close()
            raise self._http_error(error.code, model_id) from error
        except OSError as error:  # URLError and timeouts included
            raise self._unreachable(error) from error
        except (ValueError, KeyError, IndexError, TypeError) as error:
            raise ModelUnavailable(
                f"The model server at {self._shown_url} sent an answer that is not OpenAI-compatible."
            ) from error

    def _unreachable(self, error: OSError) -> ModelUnavailable:
        # urllib wraps failures while connecting in URLError; read timeouts arrive bare.
        reason = error.reason if isinstance(error, urllib.error.URLError) else error
        if isinstance(reason, TimeoutError):
            return ModelUnavailable(
                f"The model server at {self._shown_url} did not answer within "
                f"{self._timeout_seconds:g} seconds; check that it is running and not overloaded."
            )
        logger.warning("Model server unreachable: %s", reason)
        return ModelUnavailable(
            f"Cannot reach the model server at {self._shown_url} ({reason}); "
            "check that it is running and that LLM_BASE_URL is right."
        )

    def _http_error(self, status: int, model_id: str) -> Exception:
        # The response body is not echoed: some servers repeat part of the API key in it.
        logger.warning("Model server answered HTTP %s", status)
        if status == 429:
            return ModelThrottled(
                f"The model server at {self._shown_url} is rate limiting requests; try again shortly."
            )
        if status in {401, 403}:
            return ModelUnavailable(
                f"The model server at {self._shown_url} refused the credentials (HTTP {status}); "
                "check LLM_API_KEY."
            )
        if status == 404:
            return ModelUnavailable(
                f"The model server at {self._shown_url} does not serve model {model_id} (HTTP 404); "
                "pull the model (for Ollama: ollama pull <model>) or set LLM_MODEL."
            )
        if 400 <= status < 500:
            return InvalidRequest(
                f"The model server rejected the request (HTTP {status}), for example because the "
                "conversation is too long for the model; shorten the message or start a new conversation."
            )
        return ModelUnavailable(
            f"The model server at {self._shown_url} failed (HTTP {status}); try again later."
        )


def _body(request: ModelRequest, *, stream: bool) -> dict[str, Any]:
    messages = [{"role": "system", "content": request.system}] if request.system else []
    messages += [{"role": m.role, "content": m.content} for m in request.messages]
    body: dict[str, Any] = {
        "model": request.model_id,
        "messages": messages,
        "temperature": request.temperature,
        "max_tokens": request.max_tokens,
    }
    if stream:
        body |= {"stream": True, "stream_options": {"include_usage": True}}
    return body


def _sse_data(lines: Iterator[bytes]) -> Iterator[str]:
    """The `data:` payloads of a server-sent event stream, up to `[DONE]`."""
    for raw_line in lines:
        line = raw_line.decode("utf-8").strip()
        if not line.startswith(_SSE_DATA):
            continue  # blank separators, comments and other SSE fields
        data = line.removeprefix(_SSE_DATA).strip()
        if data == _SSE_DONE:
            return
        yield data
    raise ModelUnavailable("The model server closed the answer stream before it finished.")


def _stream_events(payloads: Iterator[str]) -> Iterator[StreamEvent]:
    usage: Usage | None = None
    stop_reason = "end_turn"
    for payload in payloads:
        chunk = json.loads(payload)
        if "error" in chunk:
            raise ModelUnavailable("The model server reported an error while answering; try again.")
        usage = _usage(chunk.get("usage")) or usage
        for choice in chunk.get("choices") or []:
            text = (choice.get("delta") or {}).get("content")
            if text:
                yield TextDelta(text)
            if choice.get("finish_reason"):
                stop_reason = _stop_reason(choice["finish_reason"])
    yield StreamEnd(usage=usage, stop_reason=stop_reason)


def _usage(usage: dict[str, Any] | None) -> Usage | None:
    """`prompt_tokens` includes the `cached_tokens` a server reports (OpenAI, vLLM); they are
    split out so the input count means the same as Bedrock's."""
    if not usage or usage.get("prompt_tokens") is None or usage.get("completion_tokens") is None:
        return None
    cached = int((usage.get("prompt_tokens_details") or {}).get("cached_tokens") or 0)
    return Usage(
        input_tokens=usage["prompt_tokens"] - cached,
        output_tokens=usage["completion_tokens"],
        cache_read_tokens=cached,
    )


def _stop_reason(finish_reason: str | None) -> str:
    if finish_reason is None:
        return "end_turn"
    return _STOP_REASONS.get(finish_reason, finish_reason)
