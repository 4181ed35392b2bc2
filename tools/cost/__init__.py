"""Monthly cost estimate of a deployment, itemised by AWS service, with its assumptions.

    make cost ARGS="--requests-per-day 10000 --input-tokens 500 --output-tokens 300"
    python -m tools.cost --json --self-hosted

Model prices come from the application's price table (`lambdas/core/prices.json`), AWS prices
from `tools/aws_prices.json`; both are versioned and dated. Every token-priced line uses the
application's formula: tokens / 1000 x price per 1K. docs/cost.md walks through a scenario.
"""
