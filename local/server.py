"""The local server: the same Lambda handlers behind a Starlette app, AWS services from moto.

Start-up order matters: environment and moto first, then the handlers are imported, so
every boto3 client they create lazily talks to moto.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles

from local.aws import LocalResources, create_resources, prepare_environment, start_moto
from local.console import (
    LOCAL_LOG_LEVEL,
    LOCAL_SERVICE_NAME,
    follow_indexing,
    startup_block,
    use_console_logs,
)
from local.events import DEV_USER_SUB
from local.lambda_bridge import Bridge
from local.origins import LocalOrigins, OriginGuard
from local.persistence import StateSnapshot
from local.s3_upload import UPLOAD_PATH
from local.websocket_protocol import WebSocketProtocol

HOST = "127.0.0.1"
FRONTEND_DIR = Path(__file__).resolve().parent.parent / "frontend"
DEFAULT_STREAM_DELAY_MS = 30
SWEEP_INTERVAL_SECONDS = 60
HTTP_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"]


@dataclass(frozen=True, slots=True)
class LocalOptions:
    port: int = 8000
    persist: bool = False
    state_dir: Path = Path(".local-state")
    samples: bool = True
    """Index the project's docs as sample documents (LOCAL_SAMPLES=0 starts empty)."""
    extra_origins: tuple[str, ...] = ()
    """Other origins whose pages may use this server (LOCAL_ALLOWED_ORIGINS, comma-separated)."""

    @classmethod
    def from_environment(cls, *, persist_flag: bool = False) -> LocalOptions:
        env = os.environ
        return cls(
            port=int(env.get("PORT", "8000")),
            persist=persist_flag or env.get("LOCAL_PERSIST", "").lower() in {"1", "true", "yes"},
            state_dir=Path(env.get("LOCAL_STATE_DIR", ".local-state")),
            samples=env.get("LOCAL_SAMPLES", "1").lower() not in {"0", "false", "no"},
            extra_origins=tuple(env.get("LOCAL_ALLOWED_ORIGINS", "").split(",")),
        )

    @property
    def origins(self) -> LocalOrigins:
        return LocalOrigins.serving(HOST, self.port, self.extra_origins)


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


def startup_tasks(options: LocalOptions) -> list[Callable[[], None]]:
    """Run once moto and the tables exist, before the server accepts requests
    (for example ingesting the sample corpus)."""
    from local.ingestion import ingest_sample_corpus

    return [ingest_sample_corpus] if options.samples else []


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


def build_app(bridge: Bridge, origins: LocalOrigins) -> Starlette:
    routes: list[BaseRoute] = [
        Route("/config.json", runtime_config, methods=["GET"]),
        # Every method reaches the API, which answers an undeclared one with 405 and Allow.
        Route("/v1/{path:path}", bridge.rest, methods=HTTP_METHODS),
        Route("/mcp", replace(bridge, rest_handler=_mcp_handler()).rest, methods=["GET", "POST", "DELETE"]),
        WebSocketRoute("/ws", bridge.websocket),
        *extra_routes(),
        Mount("/", StaticFiles(directory=FRONTEND_DIR, html=True), name="frontend"),
    ]
    return Starlette(
        routes=routes,
        middleware=[Middleware(OriginGuard, origins=origins)],
        exception_handlers={404: not_found},
    )


async def not_found(request: Request, exc: Exception) -> Response:
    """A path no route matches (one with a line break, say): the API's JSON error under /v1,
    the static files' plain answer elsewhere."""
    if request.url.path.startswith("/v1/"):
        error = {"code": "not_found", "message": "no such resource", "field": "path"}
        return JSONResponse({"error": error}, status_code=404)
    return PlainTextResponse("Not Found", status_code=404)


def run(options: LocalOptions) -> None:
    resources = LocalResources()
    prepare_environment(os.environ, resources)
    # Browsers post presigned uploads to this server, which plays S3's part (local/s3_upload.py).
    os.environ.setdefault("UPLOAD_ENDPOINT_URL", f"http://{HOST}:{options.port}{UPLOAD_PATH}")
    os.environ.setdefault("POWERTOOLS_SERVICE_NAME", LOCAL_SERVICE_NAME)
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", LOCAL_LOG_LEVEL)
    # Metrics are EMF lines that only CloudWatch reads; locally they would flood the console.
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    use_console_logs(os.environ["POWERTOOLS_SERVICE_NAME"])
    if options.persist:
        os.environ.setdefault("LOCAL_INDEX_PATH", str(options.state_dir / "index.sqlite3"))
    # Offline answers arrive word by word at a readable pace, like a model's would.
    os.environ.setdefault("LOCAL_STREAM_DELAY_MS", str(DEFAULT_STREAM_DELAY_MS))
    # The development user runs the instance, so it may open the admin view.
    os.environ.setdefault("ADMIN_USERS", DEV_USER_SUB)
    # moto stays on until the process ends: an ingestion still running at Ctrl-C must not
    # reach for real AWS (with real credentials in Bedrock mode) while the process exits.
    start_moto(os.environ)
    snapshot: StateSnapshot | None = None
    try:
        create_resources(resources, os.environ["AWS_REGION"])
        state = "in memory, gone when the server stops (make run ARGS=--persist keeps it)"
        if options.persist:
            snapshot = StateSnapshot(options.state_dir, resources, os.environ["AWS_REGION"])
            state = f"{'restored from' if snapshot.restore() else 'kept in'} {snapshot.path}"
        for task in startup_tasks(options):
            task()
        app = build_app(_bridge(options, snapshot), options.origins)
        _every(SWEEP_INTERVAL_SECONDS, _sweep_abandoned_uploads)
        settled, total = sample_progress()
        samples = f"{settled}/{total} project documents indexed; the page says when all are ready"
        about = [
            ("Answers", _answers_line()),
            ("State", state),
            ("Samples", samples if options.samples else "none (LOCAL_SAMPLES=0)"),
        ]
        asyncio.run(_serve(app, options.port, about, follow=options.samples))
    except KeyboardInterrupt:
        # uvicorn re-raises Ctrl-C once it has shut down gracefully: that is a normal stop.
        print("Stopped.", flush=True)
    finally:
        if snapshot is not None:
            snapshot.save()


def sample_progress() -> tuple[int, int]:
    """(settled, total) documents of the local development user, the sample corpus among them."""
    from lambdas.wiring import get_services

    documents = get_services().rag.documents.list_for(DEV_USER_SUB)
    return sum(d.status in ("READY", "FAILED") for d in documents), len(documents)


def _answers_line() -> str:
    from lambdas.wiring import get_services

    provider = get_services().settings.provider
    if provider == "extractive":
        return "extractive: quoted passages, no model (set LLM_BASE_URL for one)"
    return f"{provider} ({get_services().catalog.default_model_id})"


def _sweep_abandoned_uploads() -> None:
    """The cloud's scheduled sweep, run here by a timer: uploads that never arrived end FAILED."""
    from lambdas.wiring import get_services

    get_services().rag.documents.fail_abandoned_uploads()


def _every(seconds: float, action: Callable[[], None]) -> None:
    def repeat() -> None:
        while True:
            time.sleep(seconds)
            try:
                action()
            except Exception:  # a failed sweep is retried at the next tick
                logging.getLogger(__name__).exception("periodic %s failed", action.__name__)

    threading.Thread(target=repeat, name=action.__name__, daemon=True).start()


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


async def _serve(app: Any, port: int, about: list[tuple[str, str]], *, follow: bool) -> None:
    config = uvicorn.Config(app, host=HOST, port=port, log_level="warning", ws=WebSocketProtocol)
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    while not server.started and not serving.done():
        await asyncio.sleep(0.05)
    if server.started:
        print(startup_block(about, f"http://{HOST}:{port}/"), flush=True)
        if follow:
            follow_indexing(sample_progress)
    await serving
