"""`make cost ARGS=...`: output as a table or JSON, and one clear line for bad input."""

import json

import pytest

from tools.cost.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    return code, capsys.readouterr()


def test_the_table_shows_every_service_and_the_total(capsys):
    code, output = run(capsys)

    assert code == 0
    assert "OpenSearch Serverless" in output.out
    assert "Bedrock model: output tokens" in output.out
    assert "Total" in output.out
    assert "https://aws.amazon.com/lambda/pricing/" in output.out


def test_json_lists_the_scenario_the_lines_and_their_total(capsys):
    _, output = run(capsys, "--json", "--requests-per-day", "2000")

    document = json.loads(output.out)

    assert set(document) == {
        "scenario",
        "region",
        "prices",
        "lines",
        "total_usd",
        "idle_usd",
        "self_hosted",
        "sources",
    }
    assert document["scenario"]["requests_per_day"] == 2000
    assert set(document["lines"][0]) == {
        "service",
        "monthly_usd",
        "idle_usd",
        "assumptions",
        "unverified_prices",
    }
    assert document["total_usd"] == pytest.approx(
        sum(line["monthly_usd"] for line in document["lines"]), abs=0.1
    )
    assert document["self_hosted"] is None
    assert document["sources"]["opensearch_serverless"].startswith(
        "https://aws.amazon.com/opensearch-service/"
    )


def test_json_with_the_self_hosted_comparison(capsys):
    _, output = run(
        capsys, "--json", "--self-hosted", "--gpu-hourly-usd", "2", "--gpu-tokens-per-second", "60"
    )

    comparison = json.loads(output.out)["self_hosted"]

    assert comparison["instances"] == 2  # 104.2 peak tokens/s / 60
    assert comparison["monthly_usd"] == pytest.approx(2 * 2 * 730)
    assert comparison["assumptions"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--requests-per-day", "-5"], "argument --requests-per-day: must be greater than 0, got -5"),
        (["--input-tokens", "many"], "argument --input-tokens: must be a whole number, got 'many'"),
        (["--output-tokens", "0"], "argument --output-tokens: must be greater than 0, got 0"),
        (["--documents-per-month", "-1"], "argument --documents-per-month: must not be negative, got -1"),
        (
            ["--average-document-kb", "inf"],
            "argument --average-document-kb: must be a finite number, got 'inf'",
        ),
        (["--model", "gpt-unknown"], "argument --model: unknown model 'gpt-unknown'; known models: "),
        (["--vector-backend", "pinecone"], "argument --vector-backend: invalid choice: 'pinecone'"),
        (["--embedding-model", "ada"], "argument --embedding-model: unknown model 'ada'"),
    ],
)
def test_bad_input_exits_with_status_2_and_one_line_naming_the_problem(capsys, argv, message):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    output = capsys.readouterr()

    assert exit_info.value.code == 2
    assert output.out == ""
    assert output.err.count("\n") == 1
    assert message in output.err
