"""Optional persistence of local state: a snapshot of the moto tables and bucket objects.

moto keeps everything in memory. With `--persist` (or LOCAL_PERSIST=1) the server writes a
snapshot after each mutating request and at shutdown, and restores it at start-up. The file
is written to a temporary name and renamed, so a crash mid-write never leaves a torn snapshot.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

from local.aws import LocalResources

SNAPSHOT_NAME = "snapshot.json"
SNAPSHOT_VERSION = 1


class StateSnapshot:
    def __init__(self, state_dir: Path, resources: LocalResources, region: str) -> None:
        self._path = state_dir / SNAPSHOT_NAME
        self._resources = resources
        self._region = region
        self._lock = threading.Lock()

    @property
    def path(self) -> Path:
        return self._path

    def save(self) -> None:
        with self._lock:
            state = {
                "version": SNAPSHOT_VERSION,
                "tables": {table: self._scan(table) for table in self._resources.tables},
                "objects": self._objects(),
            }
            self._path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(dir=self._path.parent, prefix=".snapshot-", suffix=".tmp")
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as tmp:
                    json.dump(state, tmp)
                os.replace(tmp_name, self._path)
            except BaseException:
                Path(tmp_name).unlink(missing_ok=True)
                raise

    def restore(self) -> bool:
        """Load the snapshot into moto; False when there is none yet."""
        if not self._path.exists():
            return False
        state = json.loads(self._path.read_text(encoding="utf-8"))
        dynamodb = self._client("dynamodb")
        for table, items in state["tables"].items():
            for item in items:
                dynamodb.put_item(TableName=table, Item=_decode_binary(item))
        s3 = self._client("s3")
        for key, stored in state["objects"].items():
            s3.put_object(
                Bucket=self._resources.documents_bucket,
                Key=key,
                Body=base64.b64decode(stored["body"]),
                ContentType=stored["content_type"],
            )
        return True

    def _scan(self, table: str) -> list[dict[str, Any]]:
        paginator = self._client("dynamodb").get_paginator("scan")
        return [
            _encode_binary(item) for page in paginator.paginate(TableName=table) for item in page["Items"]
        ]

    def _objects(self) -> dict[str, dict[str, str]]:
        s3 = self._client("s3")
        bucket = self._resources.documents_bucket
        objects: dict[str, dict[str, str]] = {}
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for summary in page.get("Contents", []):
                stored = s3.get_object(Bucket=bucket, Key=summary["Key"])
                objects[summary["Key"]] = {
                    "content_type": stored.get("ContentType", "application/octet-stream"),
                    "body": base64.b64encode(stored["Body"].read()).decode("ascii"),
                }
        return objects

    def _client(self, service: str) -> Any:
        import boto3

        return boto3.client(service, region_name=self._region)


def _encode_binary(value: Any) -> Any:
    """DynamoDB's typed JSON, with binary values (B, BS) made JSON-safe as base64 text."""
    if isinstance(value, bytes):
        return {"__b64__": base64.b64encode(value).decode("ascii")}
    if isinstance(value, dict):
        return {key: _encode_binary(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_encode_binary(item) for item in value]
    return value


def _decode_binary(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) == {"__b64__"}:
            return base64.b64decode(value["__b64__"])
        return {key: _decode_binary(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_decode_binary(item) for item in value]
    return value
