"""Model calls that survive provider trouble: bounded retries with jittered backoff, a circuit
breaker per model, and a fallback model that answers when the requested one cannot.

Retries happen here and not in botocore (the composition root gives the Bedrock client a
single attempt), so every failed call is seen by the breaker, and a turn makes at most
`RetryPolicy.max_attempts` calls per candidate model, none starting after its deadline.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from enum import Enum

from lambdas.core.errors import ModelUnavailable
from lambdas.core.models import ModelRequest, ModelResponse, StreamEnd, StreamEvent
from lambdas.core.ports import LanguageModel

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    max_attempts: int = 3
    """Calls per candidate model, the first one included."""
    base_delay_seconds: float = 0.25
    max_delay_seconds: float = 2.0
    deadline_seconds: float = 20.0
    """No call or pause starts later than this after the turn's first call: API Gateway ends
    a REST request after 29 seconds, and an answer after that reaches nobody."""

    def delay(self, retry: int, draw: float) -> float:
        """Full jitter: `draw` (uniform in [0, 1)) times min(cap, base * 2^retry)."""
        return draw * min(self.max_delay_seconds, self.base_delay_seconds * 2.0**retry)


class BreakerState(Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """Opens after `failure_threshold` failures in a row and refuses calls for
    `reset_after_seconds`; then it lets calls through again (half-open): one success closes
    it, one failure opens it for another cool-down."""

    def __init__(
        self,
        *,
        failure_threshold: int = 5,
        reset_after_seconds: float = 30.0,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self._threshold = failure_threshold
        self._reset_after = reset_after_seconds
        self._clock = clock or time.monotonic
        self._failures = 0
        self._opened_at: float | None = None
        # The local server answers on several threads; a Lambda container one call at a time.
        self._lock = threading.Lock()

    @property
    def state(self) -> BreakerState:
        with self._lock:
            return self._state()

    def allows_call(self) -> bool:
        return self.state is not BreakerState.OPEN

    def record_success(self) -> None:
        with self._lock:
            self._failures = 0
            self._opened_at = None

    def record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            if self._state() is BreakerState.HALF_OPEN or self._failures >= self._threshold:
                self._opened_at = self._clock()

    def _state(self) -> BreakerState:
        if self._opened_at is None:
            return BreakerState.CLOSED
        if self._clock() - self._opened_at >= self._reset_after:
            return BreakerState.HALF_OPEN
        return BreakerState.OPEN


class ResilientModel:
    """A `LanguageModel` wrapper: retries, a breaker per model id, then the fallback model.

    The answer names the model that produced it (`ModelResponse.model_id`, `StreamEnd.model_id`).
    A stream is retried or moved to the fallback only before its first event: once text has
    reached the caller, a failure ends the stream (the turn is stored as incomplete) rather
    than repeating or mixing answers.
    """

    def __init__(
        self,
        model: LanguageModel,
        *,
        fallback_model_id: str | None = None,
        retry: RetryPolicy | None = None,
        breaker_factory: Callable[[], CircuitBreaker] = CircuitBreaker,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], None] | None = None,
        draw: Callable[[], float] | None = None,
    ) -> None:
        self._model = model
        self._fallback_model_id = fallback_model_id
        self._retry = retry or RetryPolicy()
        self._breaker_factory = breaker_factory
        self._breakers: dict[str, CircuitBreaker] = {}
        self._breakers_lock = threading.Lock()
        # Looked up when built, not when imported, so fault tests can stand in for time.
        self._clock = clock or time.monotonic
        self._sleep = sleep or time.sleep
        self._draw = draw or random.random

    def breaker(self, model_id: str) -> CircuitBreaker:
        """The breaker of `model_id`, shared by every turn this container answers."""
        with self._breakers_lock:
            if model_id not in self._breakers:
                self._breakers[model_id] = self._breaker_factory()
            return self._breakers[model_id]

    def complete(self, request: ModelRequest) -> ModelResponse:
        failure: ModelUnavailable | None = None
        for model_id in self._attempts(request.model_id):
            try:
                response = self._model.complete(replace(request, model_id=model_id))
            except ModelUnavailable as error:
                self._failed(model_id, error)
                failure = error
                continue
            self.breaker(model_id).record_success()
            return replace(response, model_id=model_id)
        raise _exhausted(request.model_id, failure)

    def stream(self, request: ModelRequest) -> Iterator[StreamEvent]:
        failure: ModelUnavailable | None = None
        for model_id in self._attempts(request.model_id):
            started = False
            events: Iterator[StreamEvent] | None = None
            try:
                events = self._model.stream(replace(request, model_id=model_id))
                for event in events:
                    started = True
                    yield replace(event, model_id=model_id) if isinstance(event, StreamEnd) else event
            except ModelUnavailable as error:
                self._failed(model_id, error)
                if started:
                    raise
                failure = error
                continue
            finally:
                # A consumer that stops early closes this generator: release the model's connection too.
                close = getattr(events, "close", None)
                if callable(close):
                    close()
            self.breaker(model_id).record_success()
            return
        raise _exhausted(request.model_id, failure)

    def _failed(self, model_id: str, error: ModelUnavailable) -> None:
        logger.warning("model call failed: model=%s error=%s", model_id, type(error).__name__)
        self.breaker(model_id).record_failure()

    def _attempts(self, model_id: str) -> Iterator[str]:
        """The model id of each call to make: the requested model, then the fallback, each
        while its breaker allows and the deadline is not passed, pausing between retries."""
        candidates = [model_id]
        if self._fallback_model_id and self._fallback_model_id != model_id:
            candidates.append(self._fallback_model_id)
        deadline = self._clock() + self._retry.deadline_seconds
        for candidate in candidates:
            if candidate != model_id:
                logger.warning("falling back: model=%s fallback=%s", model_id, candidate)
            for attempt in range(self._retry.max_attempts):
                pause = self._retry.delay(attempt - 1, self._draw()) if attempt else 0.0
                if not self.breaker(candidate).allows_call() or self._clock() + pause >= deadline:
                    break
                if pause:
                    self._sleep(pause)
                yield candidate


def _exhausted(model_id: str, failure: ModelUnavailable | None) -> ModelUnavailable:
    if failure is not None:
        return failure
    return ModelUnavailable(
        f"{model_id} failed repeatedly and calls to it are paused; try again in a minute."
    )
