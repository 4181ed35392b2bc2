"""Conversations and messages in one DynamoDB table (partition key `pk`, sort key `sk`).

Item layout, all items of a user in one partition:
  conversation  pk=USER#<owner>  sk=CONV#<conversation id>
  message       pk=USER#<owner>  sk=MSG#<conversation id>#<turn timestamp>#<0 question | 1 answer>
A turn's two messages share the question's timestamp, so a query returns them in order.

With a usage table, the same transaction adds the turn's tokens and cost to the user's daily
aggregate for the model, in the usage table:
  usage         pk=USER#<owner>  sk=DAY#<YYYY-MM-DD>#MODEL#<model id>
                input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd, requests (ADD),
                day, model, kind, expires_at (TTL)
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from lambdas.adapters.aws_errors import error_code
from lambdas.core.models import Citation, Conversation, Message, Usage


def _user_key(owner: str) -> str:
    return f"USER#{owner}"


def _conversation_key(conversation_id: str) -> str:
    return f"CONV#{conversation_id}"


def _messages_prefix(conversation_id: str) -> str:
    return f"MSG#{conversation_id}#"


USAGE_RETENTION = timedelta(days=400)
"""Daily usage is kept a little over a year, then expires through the table's TTL."""


class DynamoDBConversationStore:
    def __init__(self, table: Any, *, usage_table_name: str | None = None) -> None:
        """`table` is a boto3 DynamoDB Table resource; with `usage_table_name`, every turn
        also adds to the owner's daily usage aggregate, atomically."""
        self._table = table
        self._usage_table_name = usage_table_name

    def get_conversation(self, owner: str, conversation_id: str) -> Conversation | None:
        item = self._table.get_item(
            Key={"pk": _user_key(owner), "sk": _conversation_key(conversation_id)}, ConsistentRead=True
        ).get("Item")
        return _conversation(owner, item) if item else None

    def list_conversations(self, owner: str) -> list[Conversation]:
        items = self._query(Key("pk").eq(_user_key(owner)) & Key("sk").begins_with("CONV#"))
        return [_conversation(owner, item) for item in items]

    def rename_conversation(self, owner: str, conversation_id: str, title: str) -> Conversation | None:
        try:
            result = self._table.update_item(
                Key={"pk": _user_key(owner), "sk": _conversation_key(conversation_id)},
                UpdateExpression="SET title = :title",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues={":title": title},
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if error_code(error) == "ConditionalCheckFailedException":
                return None
            raise
        return _conversation(owner, result["Attributes"])

    def delete_conversation(self, owner: str, conversation_id: str) -> bool:
        if self.get_conversation(owner, conversation_id) is None:
            return False
        # Messages first: if this is interrupted the conversation is still listed and can be deleted again.
        message_items = self._query(
            Key("pk").eq(_user_key(owner)) & Key("sk").begins_with(_messages_prefix(conversation_id)),
            ProjectionExpression="pk, sk",
        )
        with self._table.batch_writer() as batch:
            for item in message_items:
                batch.delete_item(Key={"pk": item["pk"], "sk": item["sk"]})
        self._table.delete_item(Key={"pk": _user_key(owner), "sk": _conversation_key(conversation_id)})
        return True

    def list_messages(self, owner: str, conversation_id: str) -> list[Message]:
        items = self._query(
            Key("pk").eq(_user_key(owner)) & Key("sk").begins_with(_messages_prefix(conversation_id))
        )
        return [_message(conversation_id, item) for item in items]

    def recent_messages(self, owner: str, conversation_id: str, limit: int) -> list[Message]:
        response = self._table.query(
            KeyConditionExpression=Key("pk").eq(_user_key(owner))
            & Key("sk").begins_with(_messages_prefix(conversation_id)),
            ScanIndexForward=False,
            Limit=limit,
            ConsistentRead=True,
        )
        return [_message(conversation_id, item) for item in reversed(response["Items"])]

    def append_turn(
        self, owner: str, conversation_id: str, question: Message, answer: Message, *, title_if_new: str
    ) -> None:
        pk = _user_key(owner)
        turn = f"{_messages_prefix(conversation_id)}{question.created_at}"
        items = [
            {
                "Update": {
                    "TableName": self._table.name,
                    "Key": {"pk": pk, "sk": _conversation_key(conversation_id)},
                    "UpdateExpression": (
                        "SET title = if_not_exists(title, :title), created_at = if_not_exists(created_at, :now), "
                        "updated_at = :now ADD message_count :two"
                    ),
                    "ExpressionAttributeValues": {
                        ":title": title_if_new,
                        ":now": answer.created_at,
                        ":two": 2,
                    },
                }
            },
            {"Put": _put_new(self._table.name, {"pk": pk, "sk": f"{turn}#0", **_message_item(question)})},
            {"Put": _put_new(self._table.name, {"pk": pk, "sk": f"{turn}#1", **_message_item(answer)})},
        ]
        if self._usage_table_name and answer.usage and answer.model:
            items.append({"Update": _daily_usage_update(self._usage_table_name, pk, answer)})
        # The resource's client serializes Python values to DynamoDB types itself.
        self._table.meta.client.transact_write_items(TransactItems=items)

    def _query(self, key_condition: Any, **extra: Any) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"KeyConditionExpression": key_condition, "ConsistentRead": True, **extra}
        while True:
            response = self._table.query(**kwargs)
            items.extend(response["Items"])
            if "LastEvaluatedKey" not in response:
                return items
            kwargs["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def _daily_usage_update(table_name: str, pk: str, answer: Message) -> dict[str, Any]:
    assert answer.usage is not None
    day = answer.created_at[:10]
    expires_at = int((datetime.fromisoformat(day).replace(tzinfo=UTC) + USAGE_RETENTION).timestamp())
    return {
        "TableName": table_name,
        "Key": {"pk": pk, "sk": f"DAY#{day}#MODEL#{answer.model}"},
        "UpdateExpression": (
            "SET #day = :day, model = :model, kind = :kind, expires_at = :expires "
            "ADD input_tokens :in, output_tokens :out, cache_read_tokens :read, "
            "cache_write_tokens :write, cost_usd :cost, requests :one"
        ),
        "ExpressionAttributeNames": {"#day": "day"},
        "ExpressionAttributeValues": {
            ":day": day,
            ":model": answer.model,
            ":kind": "chat",
            ":expires": expires_at,
            ":in": answer.usage.input_tokens,
            ":out": answer.usage.output_tokens,
            ":read": answer.usage.cache_read_tokens,
            ":write": answer.usage.cache_write_tokens,
            ":cost": Decimal(str(answer.cost_usd)),
            ":one": 1,
        },
    }


def _put_new(table_name: str, item: dict[str, Any]) -> dict[str, Any]:
    return {
        "TableName": table_name,
        "Item": item,
        "ConditionExpression": "attribute_not_exists(pk)",
    }


def _message_item(message: Message) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": message.id,
        "role": message.role,
        "content": message.content,
        "created_at": message.created_at,
        "cost_usd": Decimal(str(message.cost_usd)),
        "latency_ms": message.latency_ms,
        "complete": message.complete,
        "citations": [
            {
                "n": c.n,
                "document_id": c.document_id,
                "title": c.title,
                "heading": c.heading,
                "snippet": c.snippet,
                "score": Decimal(str(c.score)),
            }
            for c in message.citations
        ],
    }
    if message.model:
        item["model"] = message.model
    if message.usage:
        item["usage"] = {
            "input_tokens": message.usage.input_tokens,
            "output_tokens": message.usage.output_tokens,
            "estimated": message.usage.estimated,
            "cache_read_tokens": message.usage.cache_read_tokens,
            "cache_write_tokens": message.usage.cache_write_tokens,
        }
    return item


def _usage(item: dict[str, Any]) -> Usage:
    return Usage(
        input_tokens=int(item["input_tokens"]),
        output_tokens=int(item["output_tokens"]),
        estimated=bool(item["estimated"]),
        cache_read_tokens=int(item.get("cache_read_tokens", 0)),
        cache_write_tokens=int(item.get("cache_write_tokens", 0)),
    )


def _conversation(owner: str, item: dict[str, Any]) -> Conversation:
    return Conversation(
        id=item["sk"].removeprefix("CONV#"),
        owner=owner,
        title=item.get("title", ""),
        created_at=item.get("created_at", ""),
        updated_at=item.get("updated_at", ""),
        message_count=int(item.get("message_count", 0)),
    )


def _message(conversation_id: str, item: dict[str, Any]) -> Message:
    usage = item.get("usage")
    return Message(
        id=item["id"],
        conversation_id=conversation_id,
        role=item["role"],
        content=item["content"],
        created_at=item["created_at"],
        model=item.get("model"),
        usage=_usage(usage) if usage else None,
        cost_usd=float(item.get("cost_usd", 0)),
        latency_ms=int(item.get("latency_ms", 0)),
        citations=tuple(
            Citation(
                n=int(c["n"]),
                document_id=c["document_id"],
                title=c["title"],
                heading=c["heading"],
                snippet=c["snippet"],
                score=float(c["score"]),
            )
            for c in item.get("citations", [])
        ),
        complete=bool(item.get("complete", True)),
    )
