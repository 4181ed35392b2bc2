"""An administrator's override replaces only the limits it names."""

from lambdas.core.limits import NO_OVERRIDE, LimitOverride, LimitPolicy

DEFAULT = LimitPolicy(requests_per_minute=20, tokens_per_minute=40_000, daily_tokens=200_000)


def test_no_override_keeps_the_default():
    assert NO_OVERRIDE.apply(DEFAULT) == DEFAULT


def test_an_override_replaces_the_limits_it_names():
    assert LimitOverride(daily_tokens=5_000).apply(DEFAULT) == LimitPolicy(20, 40_000, 5_000)


def test_zero_lifts_a_limit():
    assert LimitOverride(requests_per_minute=0).apply(DEFAULT) == LimitPolicy(0, 40_000, 200_000)
