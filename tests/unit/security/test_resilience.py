"""ResilientModel and CircuitBreaker on scripted models: a fake clock, and sleeps that only
move that clock forward."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace

import pytest

from lambdas.core.errors import InvalidRequest, ModelThrottled, ModelUnavailable
from lambdas.core.models import ModelRequest, ModelResponse, PromptMessage, StreamEnd, StreamEvent, TextDelta
from lambdas.core.resilience import BreakerState, CircuitBreaker, ResilientModel, RetryPolicy

PRIMARY = "primary-model"
FALLBACK = "fallback-model"
REQUEST = ModelRequest(
    model_id=PRIMARY,
    system="system",
    messages=(PromptMessage("user", "What is Lambda?"),),
    temperature=0.2,
    max_tokens=100,
)


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@dataclass
class FlakyModel:
    """Fails the first `failures[model_id]` calls to each model with `error`, then answers."""

    failures: dict[str, int] = field(default_factory=dict)
    error: type[Exception] = ModelUnavailable
    fail_stream_after_deltas: int | None = None
    calls: list[str] = field(default_factory=list)
    closed: int = 0

    def _maybe_fail(self, model_id: str) -> None:
        self.calls.append(model_id)
        if self.failures.get(model_id, 0) > 0:
            self.failures[model_id] -= 1
            raise self.error(f"{model_id} failed")

    def complete(self, request: ModelRequest) -> ModelResponse:
        self._maybe_fail(request.model_id)
        return ModelResponse(text=f"answer from {request.model_id}", model_id=request.model_id, usage=None)

    def stream(self, request: ModelRequest) -> Iterator[StreamEvent]:
        try:
            self._maybe_fail(request.model_id)
            for index, word in enumerate(["answer", "from", request.model_id]):
                if self.fail_stream_after_deltas is not None and index >= self.fail_stream_after_deltas:
                    raise ModelUnavailable("stream broke")
                yield TextDelta(f"{word} ")
            yield StreamEnd(usage=None)
        finally:
            self.closed += 1


def resilient(
    model: FlakyModel,
    time: FakeTime,
    *,
    fallback: str | None = FALLBACK,
    retry: RetryPolicy | None = None,
    threshold: int = 5,
) -> ResilientModel:
    return ResilientModel(
        model,
        fallback_model_id=fallback,
        retry=retry or RetryPolicy(max_attempts=3),
        breaker_factory=lambda: CircuitBreaker(
            failure_threshold=threshold, reset_after_seconds=30, clock=time.clock
        ),
        clock=time.clock,
        sleep=time.sleep,
        draw=lambda: 0.5,
    )


def test_a_throttled_call_is_retried_and_answered_by_the_requested_model():
    model = FlakyModel(failures={PRIMARY: 2}, error=ModelThrottled)
    response = resilient(model, FakeTime()).complete(REQUEST)
    assert response.model_id == PRIMARY
    assert model.calls == [PRIMARY, PRIMARY, PRIMARY]


def test_pauses_between_retries_grow_exponentially_with_jitter():
    time = FakeTime()
    model = FlakyModel(failures={PRIMARY: 3})
    policy = RetryPolicy(max_attempts=4, base_delay_seconds=0.25, max_delay_seconds=0.75)
    resilient(model, time, retry=policy).complete(REQUEST)
    # draw 0.5 of min(cap, base * 2^retry): 0.25, 0.5, then capped at 0.75
    assert time.sleeps == [0.125, 0.25, 0.375]


def test_retries_of_one_model_are_bounded_by_max_attempts():
    model = FlakyModel(failures={PRIMARY: 10})
    with pytest.raises(ModelUnavailable):
        resilient(model, FakeTime(), fallback=None).complete(REQUEST)
    assert model.calls == [PRIMARY] * 3


def test_the_fallback_answers_when_the_primary_keeps_failing_and_is_named():
    model = FlakyModel(failures={PRIMARY: 10})
    response = resilient(model, FakeTime()).complete(REQUEST)
    assert response.model_id == FALLBACK
    assert response.text == f"answer from {FALLBACK}"
    assert model.calls == [PRIMARY] * 3 + [FALLBACK]


def test_when_every_model_fails_the_last_error_is_raised():
    model = FlakyModel(failures={PRIMARY: 10, FALLBACK: 10})
    with pytest.raises(ModelUnavailable, match=FALLBACK):
        resilient(model, FakeTime()).complete(REQUEST)
    assert len(model.calls) == 6


def test_errors_other_than_unavailability_are_not_retried():
    model = FlakyModel(failures={PRIMARY: 1}, error=InvalidRequest)
    with pytest.raises(InvalidRequest):
        resilient(model, FakeTime()).complete(REQUEST)
    assert model.calls == [PRIMARY]


def test_no_retry_starts_after_the_deadline():
    time = FakeTime()

    class SlowToFail(FlakyModel):
        def complete(self, request: ModelRequest) -> ModelResponse:
            time.now += 8  # each failing call takes 8 seconds
            return super().complete(request)

    slow = SlowToFail(failures={PRIMARY: 10, FALLBACK: 10})
    with pytest.raises(ModelUnavailable):
        resilient(slow, time, retry=RetryPolicy(max_attempts=5, deadline_seconds=20)).complete(REQUEST)
    assert slow.calls == [
        PRIMARY,
        PRIMARY,
        PRIMARY,
    ]  # at about 0, 8 and 16 s; the next would start past 20 s, and so would the fallback


def test_a_requested_fallback_model_is_not_tried_twice():
    model = FlakyModel(failures={FALLBACK: 10})
    with pytest.raises(ModelUnavailable):
        resilient(model, FakeTime()).complete(replace(REQUEST, model_id=FALLBACK))
    assert model.calls == [FALLBACK] * 3


def test_repeated_failures_open_the_breaker_and_later_turns_go_straight_to_the_fallback():
    time = FakeTime()
    model = FlakyModel(failures={PRIMARY: 100})
    wrapper = resilient(model, time, threshold=3)
    wrapper.complete(REQUEST)
    model.calls.clear()

    response = wrapper.complete(REQUEST)

    assert wrapper.breaker(PRIMARY).state is BreakerState.OPEN
    assert response.model_id == FALLBACK
    assert model.calls == [FALLBACK]


def test_with_the_breaker_open_and_no_fallback_the_call_is_refused_without_calling_the_model():
    time = FakeTime()
    model = FlakyModel(failures={PRIMARY: 100})
    wrapper = resilient(model, time, fallback=None, threshold=3)
    with pytest.raises(ModelUnavailable):
        wrapper.complete(REQUEST)
    model.calls.clear()

    with pytest.raises(ModelUnavailable, match="paused"):
        wrapper.complete(REQUEST)
    assert model.calls == []


def test_after_the_cool_down_one_success_closes_the_breaker():
    time = FakeTime()
    model = FlakyModel(failures={PRIMARY: 3})
    wrapper = resilient(model, time, threshold=3)
    wrapper.complete(REQUEST)
    assert wrapper.breaker(PRIMARY).state is BreakerState.OPEN

    time.now += 30
    assert wrapper.breaker(PRIMARY).state is BreakerState.HALF_OPEN
    response = wrapper.complete(REQUEST)

    assert response.model_id == PRIMARY
    assert wrapper.breaker(PRIMARY).state is BreakerState.CLOSED


def test_a_failure_while_half_open_opens_the_breaker_again():
    time = FakeTime()
    breaker = CircuitBreaker(failure_threshold=3, reset_after_seconds=30, clock=time.clock)
    for _ in range(3):
        breaker.record_failure()
    time.now += 30

    breaker.record_failure()

    assert breaker.state is BreakerState.OPEN
    time.now += 29
    assert not breaker.allows_call()


def test_a_success_resets_the_count_of_failures_in_a_row():
    breaker = CircuitBreaker(failure_threshold=3, clock=FakeTime().clock)
    breaker.record_failure()
    breaker.record_failure()
    breaker.record_success()
    breaker.record_failure()
    breaker.record_failure()
    assert breaker.state is BreakerState.CLOSED


def test_a_stream_that_fails_before_its_first_event_is_answered_by_the_fallback_and_named():
    model = FlakyModel(failures={PRIMARY: 10})
    events = list(resilient(model, FakeTime()).stream(REQUEST))
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    end = events[-1]
    assert text == f"answer from {FALLBACK} "
    assert isinstance(end, StreamEnd)
    assert end.model_id == FALLBACK


def test_a_stream_that_fails_after_its_first_delta_ends_without_retry_or_fallback():
    model = FlakyModel(fail_stream_after_deltas=1)
    stream = resilient(model, FakeTime()).stream(REQUEST)
    assert next(stream) == TextDelta("answer ")
    with pytest.raises(ModelUnavailable):
        next(stream)
    assert model.calls == [PRIMARY]


def test_a_stream_abandoned_by_its_consumer_closes_the_model_stream():
    model = FlakyModel()
    stream = resilient(model, FakeTime()).stream(REQUEST)
    next(stream)
    stream.close()  # type: ignore[attr-defined]
    assert model.closed == 1


def test_a_completed_stream_names_the_requested_model():
    events = list(resilient(FlakyModel(), FakeTime()).stream(REQUEST))
    end = events[-1]
    assert isinstance(end, StreamEnd)
    assert end.model_id == PRIMARY
