"""Document records in the documents DynamoDB table (partition key `pk`, sort key `sk`).

Item layout, a user's documents in one partition:
  pk=USER#<owner>  sk=DOC#<document id>
  attributes: document_id, filename, content_type, size_bytes, status (PENDING | PROCESSING |
  READY | FAILED), reason, chunk_count, chunks_total, chunks_embedded (ingestion progress),
  created_at, updated_at (ISO 8601 UTC).
The ingestion state machine's MarkReady / MarkFailed UpdateItem states write `status`,
`chunk_count` / `reason` and `updated_at` on this same key.
"""

from __future__ import annotations

from typing import Any, cast

from boto3.dynamodb.conditions import Attr, Key
from botocore.exceptions import ClientError

from lambdas.adapters.aws_errors import error_code
from lambdas.core.models import Document, DocumentStatus
from lambdas.core.ports import Clock


def user_key(owner: str) -> str:
    return f"USER#{owner}"


def document_key(document_id: str) -> str:
    return f"DOC#{document_id}"


class DynamoDBDocumentStore:
    def __init__(self, table: Any, clock: Clock) -> None:
        """`table` is a boto3 DynamoDB Table resource."""
        self._table = table
        self._clock = clock

    def put(self, document: Document) -> None:
        self._table.put_item(
            Item={
                "pk": user_key(document.owner),
                "sk": document_key(document.id),
                "document_id": document.id,
                "filename": document.filename,
                "content_type": document.content_type,
                "size_bytes": document.size_bytes,
                "status": document.status,
                "reason": document.reason,
                "chunk_count": document.chunk_count,
                "created_at": document.created_at,
                "updated_at": document.updated_at,
            }
        )

    def get(self, owner: str, document_id: str) -> Document | None:
        item = self._table.get_item(
            Key={"pk": user_key(owner), "sk": document_key(document_id)}, ConsistentRead=True
        ).get("Item")
        return _document(owner, item) if item else None

    def list_for(self, owner: str) -> list[Document]:
        condition = Key("pk").eq(user_key(owner)) & Key("sk").begins_with("DOC#")
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {"KeyConditionExpression": condition}
        while True:
            page = self._table.query(**kwargs)
            items.extend(page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                return [_document(owner, item) for item in items]
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def update_status(
        self,
        owner: str,
        document_id: str,
        status: DocumentStatus,
        *,
        reason: str = "",
        chunk_count: int | None = None,
    ) -> None:
        """Set the status; a document deleted meanwhile stays deleted (no item is re-created)."""
        assignments = ["#status = :status", "reason = :reason", "updated_at = :now"]
        values: dict[str, Any] = {":status": status, ":reason": reason, ":now": self._clock.now_iso()}
        if chunk_count is not None:
            assignments.append("chunk_count = :chunks")
            values[":chunks"] = chunk_count
        # `status` is a DynamoDB reserved word.
        self._update_existing(
            owner, document_id, "SET " + ", ".join(assignments), values, {"#status": "status"}
        )

    def start_progress(self, owner: str, document_id: str, chunks_total: int) -> None:
        self._update_existing(
            owner,
            document_id,
            "SET chunks_total = :total, chunks_embedded = :zero, updated_at = :now",
            {":total": chunks_total, ":zero": 0, ":now": self._clock.now_iso()},
        )

    def add_progress(self, owner: str, document_id: str, chunks: int) -> None:
        # ADD is atomic: the Map's concurrent embed tasks each add their own batch.
        self._update_existing(
            owner,
            document_id,
            "ADD chunks_embedded :chunks SET updated_at = :now",
            {":chunks": chunks, ":now": self._clock.now_iso()},
        )

    def _update_existing(
        self,
        owner: str,
        document_id: str,
        expression: str,
        values: dict[str, Any],
        names: dict[str, str] | None = None,
    ) -> None:
        """Apply `expression`; a document deleted meanwhile stays deleted (no item is re-created)."""
        try:
            self._table.update_item(
                Key={"pk": user_key(owner), "sk": document_key(document_id)},
                UpdateExpression=expression,
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues=values,
                **({"ExpressionAttributeNames": names} if names else {}),
            )
        except ClientError as error:
            if error_code(error) != "ConditionalCheckFailedException":
                raise

    def pending_since_before(self, cutoff_iso: str) -> list[Document]:
        """A filtered Scan: run by the scheduled sweep only, over a table of small items."""
        condition = Attr("status").eq("PENDING") & Attr("updated_at").lt(cutoff_iso)
        kwargs: dict[str, Any] = {"FilterExpression": condition}
        documents: list[Document] = []
        while True:
            page = self._table.scan(**kwargs)
            documents.extend(
                _document(str(item["pk"]).removeprefix("USER#"), item)
                for item in page.get("Items", [])
                if str(item["sk"]).startswith("DOC#")
            )
            if "LastEvaluatedKey" not in page:
                return documents
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def delete(self, owner: str, document_id: str) -> bool:
        result = self._table.delete_item(
            Key={"pk": user_key(owner), "sk": document_key(document_id)}, ReturnValues="ALL_OLD"
        )
        return "Attributes" in result


def _document(owner: str, item: dict[str, Any]) -> Document:
    return Document(
        id=str(item["document_id"]),
        owner=owner,
        filename=str(item["filename"]),
        content_type=str(item["content_type"]),
        size_bytes=int(item["size_bytes"]),
        status=cast(DocumentStatus, item["status"]),
        created_at=str(item["created_at"]),
        updated_at=str(item["updated_at"]),
        chunk_count=int(item.get("chunk_count", 0)),
        reason=str(item.get("reason", "")),
        chunks_total=int(item.get("chunks_total", 0)),
        chunks_embedded=int(item.get("chunks_embedded", 0)),
    )
