"""IAM policy evaluation for one request: actions, resources and conditions, as AWS documents it.

Scope: identity policies of one role, plus KMS key policies (a key is usable when its policy
allows the role itself, or allows the account root so that IAM policies decide). An explicit
Deny wins; otherwise an Allow whose action, resource and every condition match is needed.
Conditions use the request's real context values; a condition key the request lacks fails
every operator except the negated ones, `...IfExists` and `Null` (as in IAM).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

ContextValue = str | Sequence[str]


@dataclass(frozen=True)
class Request:
    action: str
    resource: str
    context: Mapping[str, ContextValue] = field(default_factory=dict)

    def __str__(self) -> str:
        context = f" with {dict(self.context)}" if self.context else ""
        return f"{self.action} on {self.resource}{context}"


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@lru_cache(maxsize=4096)
def _pattern(wildcard: str, *, ignore_case: bool) -> re.Pattern[str]:
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in wildcard)
    return re.compile(f"^{regex}$", re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def matches(wildcard: str, value: str, *, ignore_case: bool = False) -> bool:
    return bool(_pattern(wildcard, ignore_case=ignore_case).match(value))


def _arn_like(pattern: str, arn: str) -> bool:
    """ArnLike compares each of the six colon-separated parts on its own."""
    wanted, actual = pattern.split(":", 5), arn.split(":", 5)
    return len(wanted) == len(actual) == 6 and all(matches(w, a) for w, a in zip(wanted, actual, strict=True))


_OPERATORS = {
    "StringEquals": lambda wanted, actual: wanted == actual,
    "StringEqualsIgnoreCase": lambda wanted, actual: wanted.lower() == actual.lower(),
    "StringLike": matches,
    "ArnEquals": lambda wanted, actual: wanted == actual,
    "ArnLike": _arn_like,
    "Bool": lambda wanted, actual: wanted.lower() == actual.lower(),
    "NumericEquals": lambda wanted, actual: float(wanted) == float(actual),
    "NumericLessThan": lambda wanted, actual: float(actual) < float(wanted),
    "NumericLessThanEquals": lambda wanted, actual: float(actual) <= float(wanted),
    "NumericGreaterThan": lambda wanted, actual: float(actual) > float(wanted),
    "NumericGreaterThanEquals": lambda wanted, actual: float(actual) >= float(wanted),
}
_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
    "NumericNotEquals": "NumericEquals",
}


def condition_holds(operator: str, key: str, wanted: Any, context: Mapping[str, ContextValue]) -> bool:
    lowered = {name.lower(): value for name, value in context.items()}
    present = key.lower() in lowered
    if operator == "Null":
        return (str(wanted).lower() == "true") == (not present)
    qualifier, _, operator = operator.rpartition(":")
    if_exists = operator.endswith("IfExists")
    operator = operator.removesuffix("IfExists")
    negated = operator in _NEGATED
    test = _OPERATORS[_NEGATED.get(operator, operator)]
    if not present:
        return if_exists or negated
    actual_values = [str(item) for item in as_list(lowered[key.lower()])]
    wanted_values = [str(item) for item in as_list(wanted)]

    def one(actual: str) -> bool:
        hit = any(test(candidate, actual) for candidate in wanted_values)
        return not hit if negated else hit

    if qualifier == "ForAllValues":
        return all(one(actual) for actual in actual_values)
    # Single-valued keys and ForAnyValue: some value of the request satisfies the operator.
    return any(one(actual) for actual in actual_values)


def statement_applies(statement: Mapping[str, Any], request: Request) -> bool:
    """Do the statement's action, resource and conditions all cover the request?"""
    if "Action" in statement:
        action_hit = any(matches(a, request.action, ignore_case=True) for a in as_list(statement["Action"]))
    else:
        action_hit = not any(
            matches(a, request.action, ignore_case=True) for a in as_list(statement["NotAction"])
        )
    if not action_hit:
        return False
    if "Resource" in statement:
        resource_hit = any(matches(r, request.resource) for r in as_list(statement["Resource"]))
    else:
        resource_hit = not any(matches(r, request.resource) for r in as_list(statement["NotResource"]))
    if not resource_hit:
        return False
    return all(
        condition_holds(operator, key, wanted, request.context)
        for operator, keys in statement.get("Condition", {}).items()
        for key, wanted in keys.items()
    )


def identity_decision(statements: Iterable[Mapping[str, Any]], request: Request) -> bool:
    """Allowed by these identity-policy statements (explicit Deny wins)?"""
    applying = [statement for statement in statements if statement_applies(statement, request)]
    if any(statement["Effect"] == "Deny" for statement in applying):
        return False
    return any(statement["Effect"] == "Allow" for statement in applying)


def key_policy_decision(
    key_statements: Iterable[Mapping[str, Any]],
    identity_statements: Sequence[Mapping[str, Any]],
    request: Request,
    *,
    principal_arn: str,
    account: str,
) -> bool:
    """A KMS request by `principal_arn`: the key policy must allow the principal, or allow the
    account (root), in which case the principal's IAM policies must allow it too."""
    root = f"arn:aws:iam::{account}:root"
    direct = delegated = False
    for statement in key_statements:
        principals = (
            as_list(statement.get("Principal", {}).get("AWS", []))
            if isinstance(statement.get("Principal"), dict)
            else as_list(statement.get("Principal", []))
        )
        if not statement_applies(statement, request):
            continue
        names_principal = principal_arn in principals or "*" in principals
        names_account = root in principals or account in principals
        if statement["Effect"] == "Deny" and (names_principal or names_account):
            return False
        direct = direct or names_principal
        delegated = delegated or names_account
    return direct or (delegated and identity_decision(identity_statements, request))
