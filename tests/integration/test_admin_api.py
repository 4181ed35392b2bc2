"""/v1/admin on moto: administrators see usage per user and model and set a user's limits,
which the rate limiter applies at once; every change is audited; anyone else gets 404."""

import json

import pytest

from lambdas.core.models import Usage
from lambdas.handlers.api import handler
from lambdas.settings import Settings
from lambdas.wiring import build_services, use_services
from tests.support.events import FakeLambdaContext, rest_event
from tests.support.fakes import ScriptedModel

MODEL = "us.anthropic.claude-3-5-haiku-20241022-v1:0"
TURN = Usage(input_tokens=300, output_tokens=100)
ADMIN_PATHS = [
    ("GET", "/v1/admin/usage"),
    ("GET", "/v1/admin/users/user-b/limits"),
    ("PUT", "/v1/admin/users/user-b/limits"),
    ("GET", "/v1/admin/audit"),
]


@pytest.fixture
def api(aws):
    settings = Settings(
        llm_provider="bedrock",
        bedrock_model_id=MODEL,
        daily_token_budget=0,
        rate_limit_requests_per_minute=0,
        rate_limit_tokens_per_minute=0,
        admin_users="local-admin",
    )
    use_services(build_services(settings, model=ScriptedModel(answer="An answer.", usage=TURN)))
    yield aws
    use_services(None)


def call(method, path, *, owner="user-b", groups=None, body=None, query=None):
    event = rest_event(method, path, owner=owner, body=body)
    if groups is not None:
        event["requestContext"]["authorizer"]["claims"]["cognito:groups"] = groups
    if query:
        event["queryStringParameters"] = query
        event["multiValueQueryStringParameters"] = {k: [v] for k, v in query.items()}
    response = handler(event, FakeLambdaContext())
    return response["statusCode"], json.loads(response["body"]) if response["body"] else None


def as_admin(method, path, **kwargs):
    return call(method, path, owner="admin-1", groups="admins", **kwargs)


def chat(owner="user-b"):
    return call("POST", "/v1/chat", owner=owner, body={"message": "hello"})


@pytest.mark.parametrize(("method", "path"), ADMIN_PATHS)
def test_a_user_outside_the_admins_group_gets_not_found(api, method, path):
    status, body = call(method, path, groups="editors", body={"daily_tokens": 1} if method == "PUT" else None)

    assert status == 404
    assert body["error"]["code"] == "not_found"


def test_a_budget_set_by_an_admin_is_what_the_user_sees_and_is_enforced(api):
    status, limits = as_admin("PUT", "/v1/admin/users/user-b/limits", body={"daily_tokens": 500})

    assert status == 200
    assert limits["override"] == {"requests_per_minute": None, "tokens_per_minute": None, "daily_tokens": 500}
    assert call("GET", "/v1/limits")[1]["daily_tokens"] == 500
    assert chat()[0] == 200  # 400 tokens: some budget is left
    assert chat()[0] == 200  # 800 tokens: past it
    status, refused = chat()
    assert (status, refused["error"]["code"]) == (429, "rate_limited")
    assert "daily budget of 500 tokens" in refused["error"]["message"]
    assert chat(owner="user-c")[0] == 200  # others keep the default: no limit


def test_rate_limits_set_by_an_admin_apply_to_the_user(api):
    as_admin("PUT", "/v1/admin/users/user-b/limits", body={"requests_per_minute": 1})

    assert chat()[0] == 200
    assert chat()[0] == 429


def test_every_change_is_audited_with_who_when_old_and_new(api):
    as_admin("PUT", "/v1/admin/users/user-b/limits", body={"daily_tokens": 500})
    as_admin("PUT", "/v1/admin/users/user-b/limits", body={"daily_tokens": 800, "requests_per_minute": 0})

    status, log = as_admin("GET", "/v1/admin/audit")

    assert status == 200
    latest, first = log["entries"]
    assert (latest["actor"], latest["user"]) == ("admin-1", "user-b")
    assert latest["old"] == {"requests_per_minute": None, "tokens_per_minute": None, "daily_tokens": 500}
    assert latest["new"] == {"requests_per_minute": 0, "tokens_per_minute": None, "daily_tokens": 800}
    assert first["old"] == {"requests_per_minute": None, "tokens_per_minute": None, "daily_tokens": None}
    assert latest["at"] >= first["at"]


def test_admins_see_usage_and_cost_per_user_and_model(api):
    chat(owner="user-b")
    chat(owner="user-b")
    chat(owner="user-c")

    status, report = as_admin("GET", "/v1/admin/usage")

    assert status == 200
    assert [(u["user"], u["requests"]) for u in report["users"]] == [("user-b", 2), ("user-c", 1)]
    assert [m["model"] for m in report["users"][0]["models"]] == [MODEL]
    assert report["totals"]["input_tokens"] == 900
    assert report["totals"]["cost_usd"] == pytest.approx(3 * (0.3 * 0.0008 + 0.1 * 0.004))


def test_a_negative_limit_is_refused_and_nothing_is_stored(api):
    status, body = as_admin("PUT", "/v1/admin/users/user-b/limits", body={"daily_tokens": -5})

    assert status == 422
    assert body["error"]["field"] == "daily_tokens"
    assert as_admin("GET", "/v1/admin/audit")[1]["entries"] == []


def test_an_unknown_field_is_refused(api):
    status, _ = as_admin("PUT", "/v1/admin/users/user-b/limits", body={"daily_budget": 5})

    assert status == 422


def test_a_user_named_in_admin_users_is_an_admin_where_there_are_no_groups(api):
    status, _ = call("GET", "/v1/admin/audit", owner="local-admin")

    assert status == 200


@pytest.mark.parametrize("groups", ["admins", "editors,admins", "[editors admins]"])
def test_every_form_of_the_groups_claim_names_an_admin(api, groups):
    assert call("GET", "/v1/admin/audit", owner="admin-1", groups=groups)[0] == 200


def test_admin_users_does_not_make_an_admin_of_someone_whose_groups_leave_admins_out(api):
    assert call("GET", "/v1/admin/audit", owner="local-admin", groups="editors")[0] == 404


def test_a_change_made_meanwhile_is_not_lost(aws):
    import boto3

    from lambdas.adapters.dynamodb_overrides import DynamoDBLimitOverrides
    from lambdas.core.errors import Conflict
    from lambdas.core.limits import LimitOverride

    table = boto3.resource("dynamodb", region_name="us-east-1").Table(aws.usage_table)
    first, second = DynamoDBLimitOverrides(lambda: table), DynamoDBLimitOverrides(lambda: table)
    original_item = first._item

    def read_then_let_the_other_write(user, *, consistent):
        item = original_item(user, consistent=consistent)
        second.replace(user, LimitOverride(daily_tokens=9), actor="admin-2", at="2026-11-29T10:00:00Z")
        return item

    first._item = read_then_let_the_other_write
    with pytest.raises(Conflict):
        first.replace("user-b", LimitOverride(daily_tokens=5), actor="admin-1", at="2026-11-29T10:00:01Z")

    assert second.get("user-b") == LimitOverride(daily_tokens=9)
    assert [e.actor for e in second.audit(10)] == ["admin-2"]
