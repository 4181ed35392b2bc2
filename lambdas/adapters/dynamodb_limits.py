"""Rate limits and the daily token budget in the usage table (partition key `pk`, sort key `sk`).

  limits  pk=USER#<owner>  sk=LIMIT#<YYYY-MM-DD>
          requests_full_at, tokens_full_at (epoch seconds), tokens_used (ADD), expires_at (TTL)

One item per user and UTC day (see `lambdas.core.limits` for the arithmetic). Every change
is one conditional UpdateItem, so concurrent Lambdas never lose each other's requests:
`max(full_at, now) + cost` has no expression form, so a write first assumes the bucket is
full (`full_at <= now`: SET now + cost) and, when the condition says it is not, adds the
cost to the stored value instead. `LIMIT#` never collides with the `DAY#` usage aggregates.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import ClientError

from lambdas.adapters.aws_errors import error_code
from lambdas.adapters.dynamodb_table import LazyTable
from lambdas.core import limits
from lambdas.core.errors import RateLimited
from lambdas.core.limits import DayState, LimitPolicy
from lambdas.core.models import LimitStatus

if TYPE_CHECKING:
    from lambdas.core.admin import LimitOverrides

ITEM_RETENTION = timedelta(days=1)
"""A day's item is kept one day past its end, then expires through the table's TTL."""


class DynamoDBRateLimiter(LazyTable):
    def __init__(
        self,
        table_factory: Callable[[], Any],
        policy: LimitPolicy,
        now: Callable[[], float] = time.time,
        *,
        overrides: LimitOverrides | None = None,
    ) -> None:
        """`table_factory` returns the boto3 Table resource of the usage table, on first use.
        `policy` is the default; an administrator's override for a user replaces parts of it."""
        super().__init__(table_factory)
        self._default = policy
        self._now = now
        self._overrides = overrides

    def _policy_for(self, owner: str) -> LimitPolicy:
        return self._overrides.get(owner).apply(self._default) if self._overrides else self._default

    def admit(self, owner: str) -> None:
        now = self._now()
        policy = self._policy_for(owner)
        bounds = limits.admission_bounds(policy, now)
        admission = _Expression()
        if bounds.tokens_full_at_before is not None:
            before = admission.value(bounds.tokens_full_at_before)
            admission.conditions.append(
                f"(attribute_not_exists(tokens_full_at) OR tokens_full_at < {before})"
            )
        if bounds.tokens_used_before is not None:
            before = admission.value(bounds.tokens_used_before)
            admission.conditions.append(f"(attribute_not_exists(tokens_used) OR tokens_used < {before})")
        try:
            if bounds.requests_full_at_max is None:
                self._update(owner, now, admission)
            else:
                self._push(
                    owner,
                    now,
                    admission,
                    "requests_full_at",
                    seconds=policy.request_seconds,
                    full_at_max=bounds.requests_full_at_max,
                )
        except _ConditionFailed as failed:
            # The stored values only grow during a day, so the state that failed the condition
            # is one `refusal` refuses; the fallback covers an item deleted in between.
            raise limits.refusal(policy, failed.state, now) or _too_many_at_once() from None

    def charge(self, owner: str, tokens: int) -> None:
        now = self._now()
        charge = _Expression()
        charge.adds.append(f"tokens_used {charge.value(tokens)}")
        policy = self._policy_for(owner)
        if not policy.tokens_per_minute:
            self._update(owner, now, charge)
            return
        # The tokens were spent: this write has no upper bound, one of its two forms always applies.
        seconds = policy.token_seconds(tokens)
        self._push(owner, now, charge, "tokens_full_at", seconds=seconds, full_at_max=None)

    def status(self, owner: str) -> LimitStatus:
        now = self._now()
        item = self.table.get_item(Key=_key(owner, now), ConsistentRead=True).get("Item") or {}
        return limits.status(self._policy_for(owner), int(item.get("tokens_used", 0)), now)

    def _push(
        self,
        owner: str,
        now: float,
        base: _Expression,
        bucket: str,
        *,
        seconds: float,
        full_at_max: float | None,
    ) -> None:
        """Move `bucket` to max(bucket, now) + seconds, if it stays at most `full_at_max`,
        with `base`'s conditions and updates; raises _ConditionFailed with the state otherwise."""
        when_full = base.copy()
        now_value = when_full.value(now)
        when_full.conditions.append(f"(attribute_not_exists({bucket}) OR {bucket} <= {now_value})")
        when_full.sets.append(f"{bucket} = {when_full.value(now + seconds)}")
        try:
            self._update(owner, now, when_full)
            return
        except _ConditionFailed:
            pass
        when_owed = base.copy()
        when_owed.conditions.append(f"{bucket} > {when_owed.value(now)}")
        if full_at_max is not None:
            when_owed.conditions.append(f"{bucket} <= {when_owed.value(full_at_max)}")
        when_owed.sets.append(f"{bucket} = {bucket} + {when_owed.value(seconds)}")
        self._update(owner, now, when_owed)

    def _update(self, owner: str, now: float, base: _Expression) -> None:
        expression = base.copy()
        expires_at = int((limits.next_midnight(now) + ITEM_RETENTION).timestamp())
        sets = [*expression.sets, f"expires_at = {expression.value(expires_at)}"]
        update = "SET " + ", ".join(sets)
        if expression.adds:
            update += " ADD " + ", ".join(expression.adds)
        kwargs: dict[str, Any] = {
            "Key": _key(owner, now),
            "UpdateExpression": update,
            "ExpressionAttributeValues": expression.values,
        }
        if expression.conditions:
            kwargs["ConditionExpression"] = " AND ".join(expression.conditions)
            kwargs["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        try:
            self.table.update_item(**kwargs)
        except ClientError as error:
            if error_code(error) != "ConditionalCheckFailedException":
                raise
            raise _ConditionFailed(_day_state(error.response.get("Item") or {})) from None


def _too_many_at_once() -> RateLimited:
    return RateLimited("Too many requests at once; try again.", retry_after_seconds=1)


class _ConditionFailed(Exception):
    def __init__(self, state: DayState) -> None:
        super().__init__("condition failed")
        self.state = state


class _Expression:
    """The parts of one UpdateItem, with values named :v0, :v1, ... in the order they are added."""

    def __init__(self) -> None:
        self.conditions: list[str] = []
        self.sets: list[str] = []
        self.adds: list[str] = []
        self.values: dict[str, Any] = {}

    def value(self, number: float) -> str:
        name = f":v{len(self.values)}"
        # Milliseconds are precise enough and keep DynamoDB's decimals short.
        self.values[name] = Decimal(number) if isinstance(number, int) else Decimal(f"{number:.3f}")
        return name

    def copy(self) -> _Expression:
        twin = _Expression()
        twin.conditions = list(self.conditions)
        twin.sets = list(self.sets)
        twin.adds = list(self.adds)
        twin.values = dict(self.values)
        return twin


def _key(owner: str, now: float) -> dict[str, str]:
    return {"pk": f"USER#{owner}", "sk": f"LIMIT#{limits.day_of(now)}"}


def _day_state(raw_item: dict[str, Any]) -> DayState:
    """The state in a ConditionalCheckFailed response's item (low-level attribute values)."""
    deserialize = TypeDeserializer().deserialize
    item = {name: deserialize(value) for name, value in raw_item.items()}
    return DayState(
        requests_full_at=float(item.get("requests_full_at", 0)),
        tokens_full_at=float(item.get("tokens_full_at", 0)),
        tokens_used=int(item.get("tokens_used", 0)),
    )
