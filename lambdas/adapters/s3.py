"""The documents bucket on S3: presigned uploads, originals, and the ingestion work files."""

from __future__ import annotations

import json
from typing import Any

from lambdas.core.ports import PresignedUpload

_DELETE_BATCH = 1000  # the most keys one DeleteObjects call accepts


class S3ObjectStore:
    def __init__(self, client: Any, bucket: str, *, presign_client: Any | None = None) -> None:
        """`client` is a boto3 S3 client. `presign_client` signs browser uploads when browsers
        reach the bucket elsewhere than `client` does (local mode: the local server)."""
        self._client = client
        self._presign_client = presign_client or client
        self._bucket = bucket

    @property
    def bucket(self) -> str:
        return self._bucket

    def presigned_upload(
        self, key: str, *, content_type: str, size_bytes: int, expires_in_seconds: int
    ) -> PresignedUpload:
        # S3 itself enforces the conditions: a file of another size than the one declared (and
        # recorded) or another content type is refused.
        post = self._presign_client.generate_presigned_post(
            Bucket=self._bucket,
            Key=key,
            Fields={"Content-Type": content_type},
            Conditions=[{"Content-Type": content_type}, ["content-length-range", size_bytes, size_bytes]],
            ExpiresIn=expires_in_seconds,
        )
        return PresignedUpload(
            url=post["url"], fields=dict(post["fields"]), expires_in_seconds=expires_in_seconds
        )

    def get_bytes(self, key: str) -> bytes:
        body = self._client.get_object(Bucket=self._bucket, Key=key)["Body"]
        data: bytes = body.read()
        return data

    def put_json(self, key: str, value: Any) -> None:
        self._client.put_object(
            Bucket=self._bucket,
            Key=key,
            Body=json.dumps(value, separators=(",", ":")).encode(),
            ContentType="application/json",
        )

    def get_json(self, key: str) -> Any:
        return json.loads(self.get_bytes(key))

    def has_objects_under(self, prefix: str) -> bool:
        listed = self._client.list_objects_v2(Bucket=self._bucket, Prefix=prefix, MaxKeys=1)
        return bool(listed.get("KeyCount", 0))

    def delete_prefix(self, prefix: str) -> None:
        paginator = self._client.get_paginator("list_objects_v2")
        keys = [
            item["Key"]
            for page in paginator.paginate(Bucket=self._bucket, Prefix=prefix)
            for item in page.get("Contents", [])
        ]
        for start in range(0, len(keys), _DELETE_BATCH):
            batch = keys[start : start + _DELETE_BATCH]
            self._client.delete_objects(
                Bucket=self._bucket, Delete={"Objects": [{"Key": key} for key in batch], "Quiet": True}
            )
