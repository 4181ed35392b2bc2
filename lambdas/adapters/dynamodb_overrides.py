"""Per-user limit overrides and their audit trail in the usage table (partition key `pk`, sort key `sk`).

  override  pk=USER#<user>        sk=OVERRIDE#LIMITS
            requests_per_minute, tokens_per_minute, daily_tokens (absent: the default), version
  audit     pk=AUDIT#LIMITS       sk=<ISO time>#<user>#<version>
            at, actor, user, old {...}, new {...}

A change writes both items in one transaction, conditioned on the version it read, so two
administrators editing one user at once cannot lose a change or its audit entry. Neither
item expires. `OVERRIDE#` and `AUDIT#` never collide with the `DAY#` and `LIMIT#` items.
"""

from __future__ import annotations

from typing import Any

from boto3.dynamodb.conditions import Key
from botocore.exceptions import ClientError

from lambdas.adapters.aws_errors import error_code
from lambdas.adapters.dynamodb_table import LazyTable
from lambdas.core.errors import Conflict
from lambdas.core.limits import NO_OVERRIDE, AuditEntry, LimitOverride

_OVERRIDE_SK = "OVERRIDE#LIMITS"
_AUDIT_PK = "AUDIT#LIMITS"
_FIELDS = ("requests_per_minute", "tokens_per_minute", "daily_tokens")


class DynamoDBLimitOverrides(LazyTable):
    """Per-user limit overrides and their audit trail, in the usage table."""

    def get(self, user: str) -> LimitOverride:
        return _override(self._item(user, consistent=False))

    def replace(self, user: str, new: LimitOverride, *, actor: str, at: str) -> AuditEntry:
        item = self._item(user, consistent=True)
        old, version = _override(item), int(item.get("version", 0))
        entry = AuditEntry(at=at, actor=actor, user=user, old=old, new=new)
        override = {"pk": _user_key(user), "sk": _OVERRIDE_SK, **_attributes(new), "version": version + 1}
        audit = {
            "pk": _AUDIT_PK,
            "sk": f"{at}#{user}#{version + 1}",
            "at": at,
            "actor": actor,
            "user": user,
            "old": _attributes(old),
            "new": _attributes(new),
        }
        try:
            # The resource's client takes and returns Python values, like the Table itself.
            self.table.meta.client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self.table.name,
                            "Item": override,
                            "ConditionExpression": "attribute_not_exists(pk) OR version = :read",
                            "ExpressionAttributeValues": {":read": version},
                        }
                    },
                    {
                        "Put": {
                            "TableName": self.table.name,
                            "Item": audit,
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                ]
            )
        except ClientError as error:
            if error_code(error) != "TransactionCanceledException":
                raise
            raise Conflict(f"the limits of {user} changed meanwhile; read them again and retry") from None
        return entry

    def audit(self, limit: int) -> list[AuditEntry]:
        response = self.table.query(
            KeyConditionExpression=Key("pk").eq(_AUDIT_PK), ScanIndexForward=False, Limit=limit
        )
        return [
            AuditEntry(
                at=str(item["at"]),
                actor=str(item["actor"]),
                user=str(item["user"]),
                old=_override(item.get("old") or {}),
                new=_override(item.get("new") or {}),
            )
            for item in response["Items"]
        ]

    def _item(self, user: str, *, consistent: bool) -> dict[str, Any]:
        key = {"pk": _user_key(user), "sk": _OVERRIDE_SK}
        item: dict[str, Any] = self.table.get_item(Key=key, ConsistentRead=consistent).get("Item") or {}
        return item


def _user_key(user: str) -> str:
    return f"USER#{user}"


def _attributes(override: LimitOverride) -> dict[str, int]:
    return {field: value for field in _FIELDS if (value := getattr(override, field)) is not None}


def _override(item: dict[str, Any]) -> LimitOverride:
    if not item:
        return NO_OVERRIDE
    return LimitOverride(**{field: int(item[field]) for field in _FIELDS if field in item})
