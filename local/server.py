"""The local server: the same Lambda handlers behind a Starlette app, AWS services from moto.

Start-up order matters: environment and moto first, then the handlers are imported, so
every boto3 client they create lazily talks to moto.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from local.aws import LocalResources, create_resources, prepare_environment, start_moto
from local.events import DEV_USER_SUB
from local.lambda_bridge import Bridge
from local.persistence import StateSnapshot
from local.s3_upload import UPLOAD_PATH

HOST = "127.0.0.1"
FRONTEND_DIR = Path(__file__).resolve().parent.parent / "frontend"
DEFAULT_STREAM_DELAY_MS = 30
HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


@dataclass(frozen=True, slots=True)
class LocalOptions:
    port: int = 8000
    persist: bool = False
    state_dir: Path = Path(".local-state")

    @classmethod
    def from_environment(cls, *, persist_flag: bool = False) -> LocalOptions:
        env = os.environ
        return cls(
            port=int(env.get("PORT", "8000")),
            persist=persist_flag or env.get("LOCAL_PERSIST", "").lower() in {"1", "true", "yes"},
            state_dir=Path(env.get("LOCAL_STATE_DIR", ".local-state")),
        )


def extra_routes() -> list[BaseRoute]:
    """Routes of other local-mode components, mounted before the static frontend.

    This is the one place to add them (for example the receiver of presigned browser
    uploads under /local-s3/).
    """
    from local.ingestion import LOCAL_INGESTION
    from local.s3_upload import process_secret_key, upload_route

    return [
        upload_route(
            s3_client=_s3_client,
            secret_key=process_secret_key,
            on_uploaded=LOCAL_INGESTION.submit,
        )
    ]


def startup_tasks() -> list[Callable[[], None]]:
    """Run once moto and the tables exist, before the server accepts requests
    (for example ingesting the sample corpus)."""
    from local.ingestion import ingest_sample_corpus

    return [ingest_sample_corpus]


def runtime_config(request: Request) -> JSONResponse:
    """What the page needs to know about its backend, in the shape the CDK app writes at deploy
    time; `mode` and `localUser` exist only here and stand in for the user pool."""
    scheme = "wss" if request.url.scheme == "https" else "ws"
    return JSONResponse(
        {
            "mode": "local",
            "apiUrl": f"{request.url.scheme}://{request.url.netloc}/v1",
            "webSocketUrl": f"{scheme}://{request.url.netloc}/ws",
            "region": os.environ["AWS_REGION"],
            "userPoolId": None,
            "userPoolClientId": None,
            "localUser": DEV_USER_SUB,
        }
    )


def build_app(bridge: Bridge) -> Starlette:
    routes: list[BaseRoute] = [
        Route("/config.json", runtime_config, methods=["GET"]),
        Route("/v1/{path:path}", bridge.rest, methods=HTTP_METHODS),
        Route("/mcp", replace(bridge, rest_handler=_mcp_handler()).rest, methods=["GET", "POST", "DELETE"]),
        WebSocketRoute("/ws", bridge.websocket),
        *extra_routes(),
        Mount("/", StaticFiles(directory=FRONTEND_DIR, html=True), name="frontend"),
    ]
    return Starlette(routes=routes)


def run(options: LocalOptions) -> None:
    resources = LocalResources()
    prepare_environment(os.environ, resources)
    # Browsers post presigned uploads to this server, which plays S3's part (local/s3_upload.py).
    os.environ.setdefault("UPLOAD_ENDPOINT_URL", f"http://{HOST}:{options.port}{UPLOAD_PATH}")
    if options.persist:
        os.environ.setdefault("LOCAL_INDEX_PATH", str(options.state_dir / "index.sqlite3"))
    # Offline answers arrive word by word at a readable pace, like a model's would.
    os.environ.setdefault("LOCAL_STREAM_DELAY_MS", str(DEFAULT_STREAM_DELAY_MS))
    # The development user runs the instance, so it may open the admin view.
    os.environ.setdefault("ADMIN_USERS", DEV_USER_SUB)
    mock = start_moto(os.environ)
    snapshot: StateSnapshot | None = None
    try:
        create_resources(resources, os.environ["AWS_REGION"])
        if options.persist:
            snapshot = StateSnapshot(options.state_dir, resources, os.environ["AWS_REGION"])
            restored = snapshot.restore()
            print(f"State {'restored from' if restored else 'will be kept in'} {snapshot.path}", flush=True)
        for task in startup_tasks():
            task()
        app = build_app(_bridge(options, snapshot))
        asyncio.run(_serve(app, options.port))
    except KeyboardInterrupt:
        # uvicorn re-raises Ctrl-C once it has shut down gracefully: that is a normal stop.
        print("Stopped.", flush=True)
    finally:
        if snapshot is not None:
            snapshot.save()
        mock.stop()


def _bridge(options: LocalOptions, snapshot: StateSnapshot | None) -> Bridge:
    # Imported only now: moto is running and the environment points at the local resources.
    from lambdas.adapters.websocket import LOCAL_CONNECTIONS
    from lambdas.handlers import api, stream

    return Bridge(
        rest_handler=api.handler,
        stream_handler=stream.handler,
        connections=LOCAL_CONNECTIONS,
        after_change=snapshot.save if snapshot else _nothing,
    )


def _mcp_handler() -> Any:
    """The MCP endpoint's Lambda handler, serving the local user like the REST routes."""
    from lambdas.handlers import mcp

    return mcp.handler


def _s3_client() -> Any:
    import boto3

    return boto3.client("s3", region_name=os.environ["AWS_REGION"])


def _nothing() -> None:
    """Without persistence there is nothing to do after a change."""


async def _serve(app: Any, port: int) -> None:
    server = uvicorn.Server(uvicorn.Config(app, host=HOST, port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    while not server.started and not serving.done():
        await asyncio.sleep(0.05)
    if server.started:
        print(f"Web chat: http://{HOST}:{port}/", flush=True)
    await serving
