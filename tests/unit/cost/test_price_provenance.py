"""Every price says where and when it was checked; a line built on a price no page confirmed
is marked as such in the estimate."""

import json
from pathlib import Path

from lambdas.core.pricing import DEFAULT_PRICE_TABLE, PriceTable
from tools.cost.estimate import estimate
from tools.cost.prices import AWS_PRICES, AwsPrices
from tools.cost.report import UNVERIFIED_MARK, render_json, render_table
from tools.cost.scenario import Scenario

MODEL_PRICE_NAMES = {"input_per_1k", "output_per_1k", "cache_read_per_1k", "cache_write_per_1k"}


def test_every_aws_price_names_its_check_and_only_real_prices_are_unverified(aws: AwsPrices):
    for name, service in aws.services.items():
        assert service.verified_on == "2026-11-29", name
        assert service.verified_against or service.unverified, name
        assert set(service.unverified) <= set(service.prices), name


def test_every_billed_model_names_its_check():
    raw = json.loads(Path(DEFAULT_PRICE_TABLE).read_text(encoding="utf-8"))
    billed = {
        model_id: entry
        for model_id, entry in (raw["models"] | raw["embeddings"]).items()
        if entry["input_per_1k"] > 0
    }
    for model_id, entry in billed.items():
        assert entry["verified"]["on"] == "2026-11-29", model_id
        assert set(entry["verified"]["unverified"]) <= MODEL_PRICE_NAMES, model_id


def test_a_line_using_an_unverified_price_is_marked_and_a_verified_one_is_not(
    aws: AwsPrices, models: PriceTable
):
    table = render_table(estimate(Scenario(), aws=aws, models=models))
    lines = {row.split("  ")[0]: row for row in table.splitlines() if not row.startswith(" ")}

    assert UNVERIFIED_MARK in lines["Cognito"]
    assert "(plus_mau)" in lines["Cognito"]
    assert UNVERIFIED_MARK not in lines["Lambda"]


def test_json_lists_the_unverified_prices_of_each_line(aws: AwsPrices, models: PriceTable):
    document = json.loads(render_json(estimate(Scenario(), aws=aws, models=models)))
    by_service = {line["service"]: line["unverified_prices"] for line in document["lines"]}

    assert by_service["Cognito"] == ["plus_mau"]
    assert by_service["Lambda"] == []


def test_the_price_file_is_the_one_the_estimate_reads():
    assert AWS_PRICES.name == "aws_prices.json"
