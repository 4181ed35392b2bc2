"""The seed notes' method: instances = ceil(peak tokens/s / throughput), monthly = instances x hours x price."""

import pytest

from tools.cost.estimate import estimate
from tools.cost.scenario import Scenario
from tools.cost.self_hosted import SelfHostedOption, compare

PEAK = 10_000 * 300 / 86_400 * 3  # 104.2 output tokens/s


def test_one_instance_covers_a_peak_below_its_throughput():
    comparison = compare(Scenario(), SelfHostedOption("g5.xlarge", 1.006, 500), 730, 486.67)

    assert comparison.peak_output_tokens_per_second == pytest.approx(PEAK)
    assert comparison.instances == 1
    assert comparison.monthly_usd == pytest.approx(1 * 730 * 1.006)


def test_instances_are_rounded_up_to_cover_the_peak():
    comparison = compare(Scenario(), SelfHostedOption("small gpu", 0.5, 40), 730, 0.0)

    assert comparison.instances == 3  # 104.2 / 40 = 2.6
    assert comparison.monthly_usd == pytest.approx(3 * 730 * 0.5)


def test_the_peak_factor_scales_the_load_the_instances_must_carry():
    comparison = compare(Scenario(), SelfHostedOption("gpu", 1.0, 50, peak_factor=6), 730, 0.0)

    assert comparison.peak_output_tokens_per_second == pytest.approx(PEAK * 2)
    assert comparison.instances == 5  # 208.3 / 50 = 4.2


def test_the_instances_replace_only_the_bedrock_model_lines(aws, models):
    result = estimate(Scenario(), aws=aws, models=models, self_hosted=SelfHostedOption("gpu", 1.006, 500))
    model_lines = sum(line.monthly_usd for line in result.lines if line.service.startswith("Bedrock model"))

    comparison = result.self_hosted

    assert comparison.replaces_usd == pytest.approx(model_lines)
    assert comparison.total_with(result.total_usd) == pytest.approx(
        result.total_usd - model_lines + 730 * 1.006
    )
