"""The MCP tools and resources: the knowledge base and the assistant, run as the caller.

Each tool calls the same domain services as the REST API (`get_services()`), so isolation,
rate limits, the daily budget, the injection guard and usage records are those of chat.
Domain errors reach the model as tool errors carrying their message.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Annotated, Any, TypeVar

from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceError, ToolError
from mcp.types import ToolAnnotations
from pydantic import BaseModel, Field

from lambdas.core.errors import DomainError, RateLimited
from lambdas.core.models import ChatCommand
from lambdas.handlers.identity import owner_from_request_context
from lambdas.handlers.observability import record_turn
from lambdas.handlers.routes.documents import DocumentOut
from lambdas.handlers.schemas import MAX_MESSAGE_CHARS, ChatResponse, ResourceId
from lambdas.wiring import get_services

SERVER_NAME = "serverless-genai-chat"
MAX_TOP_K = 20
INSTRUCTIONS = (
    "Tools over the caller's own document library. Use search_documents to find passages and "
    "read them yourself; use ask to get an answer written by the application's assistant, with "
    "numbered citations. Documents are uploaded through the web app; list_documents and "
    "get_document_status show what is there and whether it is searchable yet (status READY)."
)

_request_context: contextvars.ContextVar[Mapping[str, Any] | None] = contextvars.ContextVar(
    "mcp_request_context", default=None
)
_T = TypeVar("_T")


@contextmanager
def request_context(context: Mapping[str, Any]) -> Iterator[None]:
    """Make the API Gateway request context (and the authorizer claims in it) the caller's."""
    token = _request_context.set(context)
    try:
        yield
    finally:
        _request_context.reset(token)


def caller() -> str:
    """The verified bearer token's subject, else the authorizer's claims (local mode)."""
    access_token = get_access_token()
    if access_token is not None and access_token.subject:
        return access_token.subject
    return owner_from_request_context(_request_context.get() or {})


class PassageOut(BaseModel):
    document_id: str = Field(description="The document the passage comes from (see get_document_status).")
    title: str = Field(description="The document's title or file name.")
    heading: str = Field(description="The section heading above the passage; empty when there is none.")
    snippet: str = Field(description="The passage text.")
    score: float = Field(description="Relevance; higher is closer to the query. Compare within one result.")


class SearchResult(BaseModel):
    passages: list[PassageOut] = Field(description="Best first; empty when nothing matches.")


class DocumentList(BaseModel):
    documents: list[DocumentOut] = Field(description="Newest first.")


def _domain_call(call: Callable[[], _T]) -> _T:
    """Run a domain call, turning its refusals into tool errors the model can read and act on."""
    try:
        return call()
    except RateLimited as error:
        raise ToolError(f"{error.message} Retry after {error.retry_after_seconds} seconds.") from None
    except DomainError as error:
        raise ToolError(error.message) from None


def search_documents(
    query: Annotated[
        str,
        Field(
            min_length=1,
            max_length=MAX_MESSAGE_CHARS,
            description="What to look for, in natural language or keywords.",
        ),
    ],
    top_k: Annotated[int, Field(ge=1, le=MAX_TOP_K, description="How many passages to return.")] = 5,
) -> SearchResult:
    """Search the caller's documents and return the most relevant passages, best first.

    Use it to read the sources yourself; call `ask` instead for a written answer. Only the
    caller's own READY documents are searched."""
    owner = caller()
    passages = _domain_call(lambda: get_services().chat.search(owner, query, top_k))
    return SearchResult(
        passages=[
            PassageOut(
                document_id=p.document_id, title=p.title, heading=p.heading, snippet=p.text, score=p.score
            )
            for p in passages
        ]
    )


def ask(
    question: Annotated[
        str,
        Field(min_length=1, max_length=MAX_MESSAGE_CHARS, description="The question, in natural language."),
    ],
    conversation_id: Annotated[
        ResourceId | None,
        Field(
            description="Continue this conversation (the `conversation_id` of an earlier answer); "
            "omit to start a new one."
        ),
    ] = None,
) -> ChatResponse:
    """Ask the application's assistant: it answers from the caller's documents, with citations.

    The answer cites passages as [n], listed in `citations`; `usage` and `cost_usd` are what the
    turn consumed from the caller's daily budget. The turn is saved in the caller's chat
    history. When `blocked` is true, `answer` is a refusal and `reason` says why."""
    command = ChatCommand(owner=caller(), message=question, conversation_id=conversation_id)
    result = _domain_call(lambda: get_services().chat.answer(command))
    record_turn(result, command.owner)
    return ChatResponse.of(result)


def list_documents() -> DocumentList:
    """List the caller's documents with their ingestion status, newest first.

    Only documents with status READY are searched by `search_documents` and `ask`."""
    owner = caller()
    documents = _domain_call(lambda: get_services().rag.documents.list_for(owner))
    return DocumentList(documents=[DocumentOut.of(d) for d in documents])


def get_document_status(
    id: Annotated[ResourceId, Field(description="The document id, as listed by list_documents.")],
) -> DocumentOut:
    """One of the caller's documents and its ingestion status.

    PENDING and PROCESSING are transient; READY means searchable; FAILED comes with a `reason`."""
    owner = caller()
    return DocumentOut.of(_domain_call(lambda: get_services().rag.documents.get(owner, id)))


def document_resource(document_id: str) -> str:
    """A document's record (file name, type, size, status, chunk count) as JSON."""
    owner = caller()
    try:
        document = get_services().rag.documents.get(owner, document_id)
    except DomainError as error:
        raise ResourceError(error.message) from None
    return DocumentOut.of(document).model_dump_json()


def build_server() -> MCPServer:
    # WARNING: the SDK logs failed calls at INFO with their messages, which may quote user input.
    server = MCPServer(SERVER_NAME, instructions=INSTRUCTIONS, log_level="WARNING")
    read_only = ToolAnnotations(read_only_hint=True, open_world_hint=False)
    server.add_tool(search_documents, title="Search documents", annotations=read_only)
    server.add_tool(
        ask,
        title="Ask the assistant",
        # Each call stores a turn in the caller's history and spends from the daily budget.
        annotations=ToolAnnotations(read_only_hint=False, destructive_hint=False, open_world_hint=False),
    )
    server.add_tool(list_documents, title="List documents", annotations=read_only)
    server.add_tool(get_document_status, title="Document status", annotations=read_only)
    server.resource(
        "document://{document_id}",
        name="document",
        title="Document",
        description="One of the caller's documents and its ingestion status.",
        mime_type="application/json",
    )(document_resource)
    return server
