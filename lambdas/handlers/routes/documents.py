"""The caller's documents: presigned upload, list, read status, delete."""

from __future__ import annotations

from typing import Annotated, Literal

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Body
from pydantic import Field

from lambdas.handlers.identity import owner_from_request_context
from lambdas.handlers.schemas import ApiModel, DomainView, ResourceId, UploadRequest
from lambdas.wiring import get_services

router = Router()


class DocumentOut(DomainView):
    id: str
    filename: str
    content_type: str
    size_bytes: int
    status: Literal["PENDING", "PROCESSING", "READY", "FAILED"]
    reason: str = Field(description="Why ingestion failed; empty unless status is FAILED.")
    chunk_count: int
    chunks_total: int = Field(description="Chunks the ingestion in progress embeds; 0 before chunking.")
    chunks_embedded: int = Field(description="Chunks embedded so far, of chunks_total: the progress.")
    created_at: str
    updated_at: str


class PresignedUploadOut(ApiModel):
    url: str = Field(description="POST a multipart form here: every field below, then the file as `file`.")
    fields: dict[str, str]
    expires_in_seconds: int


class UploadResponse(ApiModel):
    document: DocumentOut
    upload: PresignedUploadOut


class DocumentList(ApiModel):
    documents: list[DocumentOut]


def _owner() -> str:
    return owner_from_request_context(router.current_event.raw_event.get("requestContext") or {})


@router.post(
    "/v1/documents", summary="Start an upload: returns a presigned form", tags=["documents"], status_code=201
)
def create_upload(request: Annotated[UploadRequest, Body()]) -> Response[UploadResponse]:
    ticket = get_services().rag.documents.create_upload(
        _owner(), request.filename, request.content_type, request.size_bytes
    )
    body = UploadResponse(
        document=DocumentOut.of(ticket.document),
        upload=PresignedUploadOut(
            url=ticket.upload.url,
            fields=dict(ticket.upload.fields),
            expires_in_seconds=ticket.upload.expires_in_seconds,
        ),
    )
    return Response(status_code=201, content_type=content_types.APPLICATION_JSON, body=body)


@router.get("/v1/documents", summary="List documents with their ingestion status", tags=["documents"])
def list_documents() -> DocumentList:
    documents = get_services().rag.documents.list_for(_owner())
    return DocumentList(documents=[DocumentOut.of(d) for d in documents])


@router.get("/v1/documents/<document_id>", summary="One document and its status", tags=["documents"])
def get_document(document_id: ResourceId) -> DocumentOut:
    return DocumentOut.of(get_services().rag.documents.get(_owner(), document_id))


@router.delete(
    "/v1/documents/<document_id>",
    summary="Delete a document, its file and its chunks",
    tags=["documents"],
    status_code=204,
)
def delete_document(document_id: ResourceId) -> Response[None]:
    get_services().rag.documents.delete(_owner(), document_id)
    return Response(status_code=204)
