"""The AWS side of local mode: moto in-process for the whole server lifetime.

Every AWS call the handlers make (DynamoDB, S3) is served by moto inside this process. The
one exception is Bedrock, when the user asks for it (`LLM_PROVIDER=bedrock`): then only
`bedrock-runtime` passes through to real AWS with the user's own credentials, and every
other service is still mocked. Without Bedrock the process gets dummy credentials, so
nothing can reach a real account by accident.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

from moto import mock_aws
from moto.core.models import botocore_stubber

REGION = "us-east-1"
DUMMY_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_SECURITY_TOKEN": "testing",
}
PASSTHROUGH_SERVICES = ["bedrock-runtime"]


@dataclass(frozen=True, slots=True)
class LocalResources:
    conversations_table: str = "conversations"
    documents_table: str = "documents"
    usage_table: str = "usage"
    documents_bucket: str = "documents"

    @property
    def tables(self) -> tuple[str, ...]:
        return (self.conversations_table, self.documents_table, self.usage_table)

    def environment(self) -> dict[str, str]:
        """The variables `lambdas.settings.Settings` reads to find these resources."""
        return {
            "CONVERSATIONS_TABLE": self.conversations_table,
            "DOCUMENTS_TABLE": self.documents_table,
            "USAGE_TABLE": self.usage_table,
            "DOCUMENTS_BUCKET": self.documents_bucket,
        }


def uses_real_bedrock(environ: MutableMapping[str, str]) -> bool:
    return environ.get("LLM_PROVIDER", "").lower() == "bedrock"


def prepare_environment(environ: MutableMapping[str, str], resources: LocalResources) -> None:
    """Point the application at the local resources, keeping the user's LLM_* / BEDROCK_* choices."""
    environ.setdefault("AWS_DEFAULT_REGION", environ.get("AWS_REGION", REGION))
    environ.setdefault("AWS_REGION", environ["AWS_DEFAULT_REGION"])
    if not uses_real_bedrock(environ):
        environ.update(DUMMY_CREDENTIALS)
        # A profile would make boto3 look for real credentials files first.
        environ.pop("AWS_PROFILE", None)
    environ.update(resources.environment())


def start_moto(environ: MutableMapping[str, str]) -> Any:
    """Start moto for the process lifetime and return the mock (call `.stop()` to end it)."""
    if uses_real_bedrock(environ):
        config: Any = {"core": {"mock_credentials": False, "passthrough": {"services": PASSTHROUGH_SERVICES}}}
        mock = mock_aws(config=config)
    else:
        mock = mock_aws()
    mock.start()
    serialise_moto()
    return mock


_MOTO_LOCK = threading.RLock()
"""Re-entrant: a moto backend that itself calls AWS (through boto3) must not wait for itself."""


def serialise_moto() -> None:
    """Let one AWS call at a time into moto (idempotent).

    moto's backends are plain dicts without locks: concurrent requests raced (a
    `transact_write_items` iterating a table another thread was writing to). Every call
    the process makes goes through moto's one request dispatcher, so a lock around it
    serialises all local state access; a moto call takes about a millisecond, so the
    lock costs little next to the rest of a turn (figures in docs/decisions.md).
    """
    dispatch: Callable[..., Any] = botocore_stubber.process_request
    if getattr(dispatch, "serialised", False):
        return

    @functools.wraps(dispatch)
    def one_at_a_time(request: Any) -> Any:
        with _MOTO_LOCK:
            return dispatch(request)

    one_at_a_time.serialised = True  # type: ignore[attr-defined]
    # An instance attribute shadows the method that BotocoreStubber.__call__ looks up.
    botocore_stubber.process_request = one_at_a_time  # type: ignore[method-assign]


def create_resources(resources: LocalResources, region: str) -> None:
    import boto3

    dynamodb = boto3.client("dynamodb", region_name=region)
    existing = set(dynamodb.list_tables()["TableNames"])
    for table in resources.tables:
        if table in existing:
            continue
        dynamodb.create_table(
            TableName=table,
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
    s3 = boto3.client("s3", region_name=region)
    buckets = {bucket["Name"] for bucket in s3.list_buckets().get("Buckets", [])}
    if resources.documents_bucket not in buckets:
        s3.create_bucket(Bucket=resources.documents_bucket)
