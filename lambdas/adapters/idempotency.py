"""Idempotent calls with Powertools' idempotency utility, recorded in the usage table.

  idempotency  pk=USER#<owner>  sk=IDEMPOTENCY#<scope>#<md5 of the key>
               status, data (the stored result), validation (md5 of the request), expires_at (TTL)

Records sit in their owner's partition, so one user's keys never meet another's and the
load spreads like the users do. The request body is hashed and compared on every repeat.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, cast

from lambdas.core.errors import Conflict, InvalidRequest
from lambdas.core.ports import RemainingTime

DEFAULT_EXPIRY_SECONDS = 3600


class DynamoDBIdempotency:
    def __init__(
        self,
        table_name: str,
        client_factory: Callable[[], Any],
        *,
        scope: str,
        expires_after_seconds: int = DEFAULT_EXPIRY_SECONDS,
    ) -> None:
        """`client_factory` returns a boto3 DynamoDB client, on first use; `scope` names the
        operation, so the same key sent to two operations means two calls."""
        self._table_name = table_name
        self._client_factory = client_factory
        self._client: Any = None
        self._scope = scope
        self._expires_after_seconds = expires_after_seconds

    def once(
        self,
        owner: str,
        key: str,
        request: Mapping[str, Any],
        compute: Callable[[], dict[str, Any]],
        *,
        time_left: RemainingTime | None = None,
    ) -> dict[str, Any]:
        # Imported here: the idempotency utility is only needed by requests that carry a key,
        # and the API Lambda's cold start is measured without it.
        from aws_lambda_powertools.utilities.idempotency import (
            DynamoDBPersistenceLayer,
            IdempotencyConfig,
            idempotent_function,
        )
        from aws_lambda_powertools.utilities.idempotency.exceptions import (
            IdempotencyAlreadyInProgressError,
            IdempotencyValidationError,
        )

        if self._client is None:
            self._client = self._client_factory()
        persistence = DynamoDBPersistenceLayer(
            table_name=self._table_name,
            key_attr="pk",
            sort_key_attr="sk",
            static_pk_value=f"USER#{owner}",
            expiry_attr="expires_at",
            boto3_client=self._client,
        )
        config = IdempotencyConfig(
            event_key_jmespath="key",
            payload_validation_jmespath="request",
            raise_on_no_idempotency_key=True,
            expires_after_seconds=self._expires_after_seconds,
        )
        if time_left is not None:
            config.register_lambda_context(cast(Any, time_left))

        def run(call: dict[str, Any]) -> dict[str, Any]:
            return compute()

        idempotent_run = idempotent_function(
            run,
            data_keyword_argument="call",
            persistence_store=persistence,
            config=config,
            key_prefix=f"IDEMPOTENCY#{self._scope}",
        )
        try:
            return cast(dict[str, Any], idempotent_run(call={"key": key, "request": dict(request)}))
        except IdempotencyValidationError:
            raise InvalidRequest(
                "this Idempotency-Key was already used with a different request; send a new key",
                field="Idempotency-Key",
            ) from None
        except IdempotencyAlreadyInProgressError:
            raise Conflict(
                "a request with this Idempotency-Key is still being answered; retry when it has finished"
            ) from None
