import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from lambdas.handlers.ws_authorizer import TokenVerifier, Unauthorized, authorize

ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_pool"
CLIENT_ID = "app-client-id"
METHOD_ARN = "arn:aws:execute-api:us-east-1:123456789012:abc123/prod/$connect"
POOL_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
OTHER_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def verifier() -> TokenVerifier:
    return TokenVerifier(issuer=ISSUER, audience=CLIENT_ID, signing_key_for=lambda _: POOL_KEY.public_key())


def id_token(key: Any = POOL_KEY, algorithm: str = "RS256", **overrides: Any) -> str:
    now = int(time.time())
    claims = {
        "sub": "user-123",
        "iss": ISSUER,
        "aud": CLIENT_ID,
        "token_use": "id",
        "iat": now,
        "exp": now + 3600,
        "email": "user@example.com",
    }
    claims.update(overrides)
    claims = {name: value for name, value in claims.items() if value is not None}
    return jwt.encode(claims, key, algorithm=algorithm, headers={"kid": "key-1"})


def connect_event(token: str | None) -> dict[str, Any]:
    return {
        "type": "REQUEST",
        "methodArn": METHOD_ARN,
        "queryStringParameters": {"token": token} if token is not None else None,
        "requestContext": {"routeKey": "$connect", "eventType": "CONNECT"},
    }


def test_valid_id_token_is_allowed_to_connect_with_its_sub_as_context():
    result = authorize(connect_event(id_token()), verifier())

    assert result["principalId"] == "user-123"
    assert result["context"] == {"sub": "user-123"}
    (statement,) = result["policyDocument"]["Statement"]
    assert statement == {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": METHOD_ARN}


def test_missing_token_is_unauthorized():
    with pytest.raises(Unauthorized, match=r"^Unauthorized$"):
        authorize(connect_event(None), verifier())


def test_token_signed_by_another_key_is_unauthorized():
    with pytest.raises(Unauthorized):
        authorize(connect_event(id_token(key=OTHER_KEY)), verifier())


def test_expired_token_is_unauthorized():
    with pytest.raises(Unauthorized):
        authorize(connect_event(id_token(exp=int(time.time()) - 60)), verifier())


def test_token_of_another_app_client_is_unauthorized():
    with pytest.raises(Unauthorized):
        authorize(connect_event(id_token(aud="other-client")), verifier())


def test_token_of_another_issuer_is_unauthorized():
    with pytest.raises(Unauthorized):
        authorize(
            connect_event(id_token(iss="https://cognito-idp.us-east-1.amazonaws.com/other")), verifier()
        )


def test_access_token_is_not_accepted_in_place_of_an_id_token():
    with pytest.raises(Unauthorized):
        authorize(connect_event(id_token(token_use="access")), verifier())


def test_token_without_expiry_is_unauthorized():
    with pytest.raises(Unauthorized):
        authorize(connect_event(id_token(exp=None)), verifier())


def test_symmetrically_signed_token_is_unauthorized():
    forged = id_token(key="a-shared-secret-that-is-long-enough-for-hs256", algorithm="HS256")

    with pytest.raises(Unauthorized):
        authorize(connect_event(forged), verifier())


def test_malformed_token_is_unauthorized():
    with pytest.raises(Unauthorized):
        authorize(connect_event("not-a-jwt"), verifier())
