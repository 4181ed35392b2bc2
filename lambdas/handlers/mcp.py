"""MCP endpoint Lambda: the official MCP SDK's Streamable HTTP transport, one request per invocation.

API Gateway sends a REST proxy event; Mangum turns it into one ASGI request to a Starlette app
built from the SDK's parts: a stateless session manager answering in JSON (no session survives
the invocation), and, when a Cognito user pool is configured, the SDK's bearer authentication
in front of it. The function is the OAuth protected resource: it verifies Cognito access tokens
against the pool's JWKS and publishes its RFC 9728 metadata naming the pool as the
authorization server, so an unauthenticated client is told where to sign in (`WWW-Authenticate:
Bearer resource_metadata=...`). Without a pool (local mode) the caller is the one the local
server puts in the authorizer claims.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import jwt
from aws_lambda_powertools.utilities.typing import LambdaContext
from mangum import Mangum
from mcp.server.auth.handlers.metadata import ProtectedResourceMetadataHandler
from mcp.server.auth.middleware.auth_context import AuthContextMiddleware
from mcp.server.auth.middleware.bearer_auth import BearerAuthBackend, RequireAuthMiddleware
from mcp.server.auth.provider import AccessToken
from mcp.server.mcpserver import MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from mcp.shared.auth import ProtectedResourceMetadata
from mcp.types import INVALID_REQUEST
from pydantic import AnyHttpUrl
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, ExceptionHandler

from lambdas.handlers.cognito_keys import pool_issuer, pool_keys
from lambdas.handlers.mcp_tools import build_server, request_context
from lambdas.handlers.observability import logger
from lambdas.settings import Settings

MCP_PATH = "/mcp"
METADATA_PATH = "/.well-known/oauth-protected-resource/mcp"
NOT_POST = "send MCP messages with POST: this server keeps no sessions and offers no event stream"
ACCESS_TOKEN_USE = "access"  # noqa: S105 - a claim value, not a secret
ACCESS_TOKEN_CLAIMS = ["exp", "iat", "iss", "sub", "token_use", "client_id"]
# Scopes the pool's app client grants; offered to clients in the metadata document.
SCOPES_SUPPORTED = ["openid", "email", "profile"]


@dataclass(frozen=True, slots=True)
class CognitoAccessTokens:
    """The SDK's TokenVerifier for Cognito access tokens: RS256 signature against the pool's
    JWKS, issuer, expiry, `token_use` = access and an allowed app client (access tokens carry
    `client_id` instead of `aud`)."""

    issuer: str
    client_ids: frozenset[str]
    jwks: jwt.PyJWKClient

    async def verify_token(self, token: str) -> AccessToken | None:
        try:
            key = self.jwks.get_signing_key_from_jwt(token).key
            claims = jwt.decode(
                token, key, algorithms=["RS256"], issuer=self.issuer, options={"require": ACCESS_TOKEN_CLAIMS}
            )
        except jwt.PyJWTError as error:
            logger.info("token refused", extra={"reason": type(error).__name__})
            return None
        if claims["token_use"] != ACCESS_TOKEN_USE or claims["client_id"] not in self.client_ids:
            logger.info("token refused", extra={"reason": "not an access token of this application"})
            return None
        return AccessToken(
            token=token,
            client_id=claims["client_id"],
            scopes=str(claims.get("scope", "")).split(),
            expires_at=int(claims["exp"]),
            subject=str(claims["sub"]),
            claims={"iss": claims["iss"]},
        )


@dataclass(frozen=True, slots=True)
class Authorization:
    """Where tokens come from and how they are checked."""

    issuer: str
    verifier: CognitoAccessTokens


@lru_cache(maxsize=1)
def _authorization() -> Authorization | None:
    """One per container, so the JWKS client keeps the pool's keys; None in local mode."""
    settings = Settings()
    if not settings.cognito_user_pool_id:
        return None
    if not settings.cognito_app_client_id:
        raise RuntimeError("COGNITO_APP_CLIENT_ID must be set with COGNITO_USER_POOL_ID")
    issuer = pool_issuer(settings, settings.cognito_user_pool_id)
    verifier = CognitoAccessTokens(issuer, frozenset({settings.cognito_app_client_id}), pool_keys(issuer))
    return Authorization(issuer, verifier)


@lru_cache(maxsize=1)
def _server() -> MCPServer:
    return build_server()


def public_base_url(event: Mapping[str, Any]) -> str:
    """The API's URL as the client called it: scheme, host and any stage or base-path prefix."""
    context = event.get("requestContext") or {}
    headers = {name.lower(): value for name, value in (event.get("headers") or {}).items()}
    host = context.get("domainName") or headers.get("host", "localhost")
    scheme = headers.get("x-forwarded-proto", "https")
    full_path = str(context.get("path") or event.get("path") or "")
    prefix = full_path.removesuffix(str(event.get("path") or "")).rstrip("/")
    return f"{scheme}://{host}{prefix}"


def asgi_app(server: MCPServer, authorization: Authorization | None, base_url: str) -> Starlette:
    """A Starlette app for one request: the SDK's session manager runs only once per instance."""
    transport = server.streamable_http_app(
        streamable_http_path=MCP_PATH,
        stateless_http=True,
        json_response=True,
        transport_security=_transport_security(authorization),
    )

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        async with transport.router.lifespan_context(transport):
            yield

    if authorization is None:
        return Starlette(
            routes=[_post_only(transport)], exception_handlers=EXCEPTION_HANDLERS, lifespan=lifespan
        )
    resource = f"{base_url}{MCP_PATH}"
    metadata = ProtectedResourceMetadata(
        resource=AnyHttpUrl(resource),
        authorization_servers=[AnyHttpUrl(authorization.issuer)],
        scopes_supported=SCOPES_SUPPORTED,
        resource_name="Serverless GenAI Chat knowledge base",
    )
    protected: ASGIApp = RequireAuthMiddleware(transport, [], AnyHttpUrl(f"{base_url}{METADATA_PATH}"))
    return Starlette(
        routes=[
            Route(METADATA_PATH, ProtectedResourceMetadataHandler(metadata).handle, methods=["GET"]),
            _post_only(protected),
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[
            Middleware(AuthenticationMiddleware, backend=BearerAuthBackend(authorization.verifier)),
            Middleware(AuthContextMiddleware),
        ],
        lifespan=lifespan,
    )


def _post_only(app: ASGIApp) -> Route:
    """POST carries every message. A stateless server offers no SSE stream (GET) and no session to
    end (DELETE): 405, as the transport specifies, where the SDK would hold a GET open until the
    function timed out."""
    return Route(MCP_PATH, app, methods=["POST"])


async def _method_not_allowed(_: Request, error: Exception) -> Response:
    headers = getattr(error, "headers", None) or {"Allow": "POST"}
    body = {"jsonrpc": "2.0", "id": None, "error": {"code": INVALID_REQUEST, "message": NOT_POST}}
    return JSONResponse(body, status_code=405, headers=dict(headers))


EXCEPTION_HANDLERS: Mapping[Any, ExceptionHandler] = {405: _method_not_allowed}


def _transport_security(authorization: Authorization | None) -> TransportSecuritySettings | None:
    if authorization is None:
        # Local mode: the SDK's default for a loopback server (Host and Origin must be loopback).
        return None
    # Behind API Gateway the Host is the API's own domain and callers hold bearer tokens: the
    # SDK's DNS-rebinding check guards servers on a user's machine, not this one.
    return TransportSecuritySettings(enable_dns_rebinding_protection=False)


@logger.inject_lambda_context(correlation_id_path="requestContext.requestId")
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    app = asgi_app(_server(), _authorization(), public_base_url(event))
    with request_context(event.get("requestContext") or {}):
        # Powertools' and Mangum's LambdaContext types describe the same runtime object.
        response: dict[str, Any] = Mangum(app, lifespan="on")(event, context)  # type: ignore[arg-type]
    return response
