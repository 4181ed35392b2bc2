"""Daily usage aggregates in the usage table (partition key `pk`, sort key `sk`).

  usage  pk=USER#<owner>  sk=DAY#<YYYY-MM-DD>#MODEL#<model id>
         input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd, requests
         (added with ADD), day, model, kind, expires_at (TTL)

Chat turns write theirs inside the conversation store's transaction
(`lambdas.adapters.dynamodb`); embedding calls during ingestion write theirs here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from boto3.dynamodb.conditions import Attr, Key

from lambdas.adapters.dynamodb import USAGE_RETENTION
from lambdas.adapters.dynamodb_table import LazyTable
from lambdas.core.ports import DailyUsage

# "~" sorts after every character of a model id, so the range ends after the last day's items.
_END_OF_DAY = "~"


class DynamoDBUsageStore(LazyTable):
    """Daily usage per user and model, and the embedding and rerank calls billed to it."""

    def daily_usage(self, owner: str, first_day: str, last_day: str) -> list[DailyUsage]:
        kwargs: dict[str, Any] = {
            "KeyConditionExpression": Key("pk").eq(_user_key(owner))
            & Key("sk").between(f"DAY#{first_day}", f"DAY#{last_day}{_END_OF_DAY}"),
        }
        records: list[DailyUsage] = []
        while True:
            response = self.table.query(**kwargs)
            records.extend(_daily_usage(item) for item in response["Items"])
            if "LastEvaluatedKey" not in response:
                return records
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def every_user_daily_usage(self, first_day: str, last_day: str) -> list[tuple[str, DailyUsage]]:
        """A Scan: administrators ask rarely, and a per-day index would cost a write on every turn."""
        kwargs: dict[str, Any] = {
            "FilterExpression": Attr("sk").begins_with("DAY#") & Attr("day").between(first_day, last_day),
        }
        records: list[tuple[str, DailyUsage]] = []
        while True:
            response = self.table.scan(**kwargs)
            records.extend(
                (str(item["pk"]).removeprefix("USER#"), _daily_usage(item)) for item in response["Items"]
            )
            if "LastEvaluatedKey" not in response:
                return records
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def add_embedding_usage(
        self, owner: str, *, day: str, model: str, input_tokens: int, cost_usd: float, kind: str = "embedding"
    ) -> None:
        expires_at = int((datetime.fromisoformat(day).replace(tzinfo=UTC) + USAGE_RETENTION).timestamp())
        self.table.update_item(
            Key={"pk": _user_key(owner), "sk": f"DAY#{day}#MODEL#{model}"},
            UpdateExpression=(
                "SET #day = :day, model = :model, kind = :kind, expires_at = :expires "
                "ADD input_tokens :in, output_tokens :out, cost_usd :cost, requests :one"
            ),
            ExpressionAttributeNames={"#day": "day"},
            ExpressionAttributeValues={
                ":day": day,
                ":model": model,
                ":kind": kind,
                ":expires": expires_at,
                ":in": input_tokens,
                ":out": 0,
                ":cost": Decimal(str(cost_usd)),
                ":one": 1,
            },
        )


def _user_key(owner: str) -> str:
    return f"USER#{owner}"


def _daily_usage(item: dict[str, Any]) -> DailyUsage:
    return DailyUsage(
        day=str(item["day"]),
        model=str(item["model"]),
        kind=str(item.get("kind", "chat")),
        input_tokens=int(item.get("input_tokens", 0)),
        output_tokens=int(item.get("output_tokens", 0)),
        cache_read_tokens=int(item.get("cache_read_tokens", 0)),
        cache_write_tokens=int(item.get("cache_write_tokens", 0)),
        cost_usd=float(item.get("cost_usd", 0)),
        requests=int(item.get("requests", 0)),
    )
