"""Each synthesized variant deployed on paper, and its user journeys run once per session."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import jwt
import pytest

from tests.contract.cloud import Cloud
from tests.contract.deployment import Deployment
from tests.contract.journeys import (
    CognitoIdentity,
    Journeys,
    Outcome,
    cfn_event,
    completion_event,
    pre_sign_up_event,
)
from tests.infra.conftest import ACCOUNT, REGION

VARIANTS = ("dev", "s3vectors", "prod", "federation")


@dataclass
class Journal:
    """The outcomes of every journey of one variant, by journey name."""

    deployment: Deployment
    outcomes: dict[str, Outcome] = field(default_factory=dict)


@pytest.fixture(scope="session", params=VARIANTS)
def deployment(request: pytest.FixtureRequest) -> Deployment:
    return Deployment(request.getfixturevalue(request.param), account=ACCOUNT, region=REGION)


def cognito_identity(deployment: Deployment) -> CognitoIdentity:
    pool_stack, pool_id, _ = deployment.one("AWS::Cognito::UserPool")
    client_stack, client_id, _ = deployment.one("AWS::Cognito::UserPoolClient", "WebClient")
    return CognitoIdentity(
        deployment.region, deployment.ref(pool_stack, pool_id), deployment.ref(client_stack, client_id)
    )


@pytest.fixture(scope="session")
def journal(deployment: Deployment) -> Journal:
    """Every journey of the variant, run once; tests assert on what each showed.

    The stand-in for the user pool's key endpoint is in place only while the journeys run, not
    for the tests that follow in the session.
    """
    journeys = Journeys(deployment)
    journal = Journal(deployment)
    identity = cognito_identity(deployment)
    patches = pytest.MonkeyPatch()
    original_fetch = jwt.PyJWKClient.fetch_data

    def fetch_jwks(client: jwt.PyJWKClient) -> Any:
        # Only the pool the template names serves these keys; any other URL would be the
        # verifier looking in the wrong place.
        if client.uri != identity.jwks_url:
            return original_fetch(client)
        return identity.jwks()

    patches.setattr(jwt.PyJWKClient, "fetch_data", fetch_jwks)
    try:
        journal.outcomes["chat"] = journeys.run(journeys.chat)
        journal.outcomes["upload"] = journeys.run(journeys.upload)
        journal.outcomes["lifecycle"] = journeys.run(journeys.lifecycle)

        def connect(cloud: Cloud, outcome: Outcome) -> None:
            outcome.results["authorizer"] = journeys.connect(cloud, outcome, identity)

        journal.outcomes["connect"] = journeys.run(connect)
        journal.outcomes["mcp"] = journeys.run(lambda cloud, outcome: journeys.mcp(cloud, outcome, identity))
        journal.outcomes["stream"] = journeys.run(journeys.stream)
        journal.outcomes["upload_sweep"] = journeys.run(journeys.upload_sweep)
        modules = {function.module for function in deployment.functions}
        if "lambdas.handlers.vector_index_resource" in modules:
            stack, _logical_id, resource = deployment.one("Custom::VectorIndex")
            properties = deployment.resolve(stack, resource["Properties"])

            def vector_index(cloud: Cloud, outcome: Outcome) -> None:
                # As CDK's Provider framework calls the handlers: onEvent, then isComplete.
                event = cfn_event("Create", deployment, properties)
                handlers = "lambdas.handlers.vector_index_resource"
                started = journeys.call(cloud, outcome, f"{handlers}.on_event", event)
                outcome.results["started"] = started
                outcome.results["complete"] = journeys.call(
                    cloud, outcome, f"{handlers}.is_complete", completion_event(event, started)
                )

            journal.outcomes["vector_index"] = journeys.run(vector_index)
        if "lambdas.handlers.pre_sign_up" in modules:
            stack, pool_id, _ = deployment.one("AWS::Cognito::UserPool")
            domain = deployment.config.allowed_email_domains[0]

            def sign_up(cloud: Cloud, outcome: Outcome) -> None:
                event = pre_sign_up_event(deployment.ref(stack, pool_id), f"new.user@{domain}")
                outcome.results["admitted"] = journeys.call(
                    cloud, outcome, "lambdas.handlers.pre_sign_up", event
                )

            journal.outcomes["pre_sign_up"] = journeys.run(sign_up)
    finally:
        patches.undo()
    return journal
