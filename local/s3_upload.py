"""Local stand-in for S3's browser upload endpoint: `POST /local-s3/<bucket>` with a presigned form.

In AWS the browser posts the presigned form straight to S3, which checks the policy and
emits the "Object Created" event that starts ingestion. Locally the presigned URL points
here (UPLOAD_ENDPOINT_URL), and this endpoint does what S3 would: verify the SigV4
signature of the policy, its expiry and every condition (bucket, exact key under
uploads/, content type, size range), store the object in moto's S3, and start ingestion.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import escape

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from lambdas.core.documents import UPLOADS_PREFIX

UPLOAD_PATH = "/local-s3"
MAX_FORM_BYTES = 64 * 1024 * 1024


class UploadRefused(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def upload_route(
    *,
    s3_client: Callable[[], Any],
    secret_key: Callable[[], str],
    on_uploaded: Callable[[str, str], object],
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> Route:
    """`s3_client` and `secret_key` are called per upload (moto and credentials exist by then)."""

    async def receive(request: Request) -> Response:
        bucket = request.path_params["bucket"]
        try:
            form = await request.form(max_part_size=MAX_FORM_BYTES)
            upload = form.get("file")
            if not isinstance(upload, UploadFile):
                raise UploadRefused(400, "InvalidArgument", "the form has no file field named 'file'")
            fields = {name: value for name, value in form.items() if isinstance(value, str)}
            data = await upload.read()
            check_upload(bucket, fields, len(data), secret_key=secret_key(), now=now())
        except UploadRefused as refused:
            return _s3_error(refused)
        content_type = fields.get("Content-Type", "application/octet-stream")
        s3_client().put_object(Bucket=bucket, Key=fields["key"], Body=data, ContentType=content_type)
        on_uploaded(bucket, fields["key"])
        return Response(status_code=204)

    return Route(f"{UPLOAD_PATH}/{{bucket}}", receive, methods=["POST"])


def process_secret_key() -> str:
    """The secret presigned forms are signed with: this process's own (local, dummy) credentials."""
    import boto3

    credentials = boto3.Session().get_credentials()
    return str(credentials.get_frozen_credentials().secret_key) if credentials else ""


def check_upload(
    bucket: str, fields: Mapping[str, str], size: int, *, secret_key: str, now: datetime
) -> None:
    """Raise UploadRefused unless the form is signed, unexpired, and satisfies every condition."""
    policy_b64 = fields.get("policy", "")
    _check_signature(policy_b64, fields, secret_key)
    try:
        policy = json.loads(base64.b64decode(policy_b64))
        expires = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    except (ValueError, KeyError, TypeError) as error:
        raise UploadRefused(400, "InvalidPolicyDocument", "the policy is not valid") from error
    if now >= expires:
        raise UploadRefused(403, "AccessDenied", "the upload form has expired")
    values = {**{name.lower(): value for name, value in fields.items()}, "bucket": bucket}
    for condition in policy.get("conditions", []):
        _check_condition(condition, values, size)
    if not fields.get("key", "").startswith(UPLOADS_PREFIX):
        raise UploadRefused(403, "AccessDenied", f"uploads must go under {UPLOADS_PREFIX}")


def _check_signature(policy_b64: str, fields: Mapping[str, str], secret_key: str) -> None:
    if fields.get("x-amz-algorithm") != "AWS4-HMAC-SHA256":
        raise UploadRefused(400, "InvalidArgument", "only AWS4-HMAC-SHA256 signed forms are accepted")
    try:
        _, date, region, service, _ = fields["x-amz-credential"].split("/")
        signature = fields["x-amz-signature"]
    except (KeyError, ValueError) as error:
        raise UploadRefused(
            400, "InvalidArgument", "the form's credential or signature is missing"
        ) from error
    key = f"AWS4{secret_key}".encode()
    for part in (date, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    expected = hmac.new(key, policy_b64.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        raise UploadRefused(403, "SignatureDoesNotMatch", "the policy signature does not match")


def _check_condition(condition: Any, values: Mapping[str, str], size: int) -> None:
    if isinstance(condition, dict):
        for name, expected in condition.items():
            if values.get(name.lower()) != expected:
                raise UploadRefused(
                    403, "AccessDenied", f"policy condition failed: {name} must be {expected!r}"
                )
        return
    operator, *arguments = condition
    if operator == "content-length-range":
        low, high = (int(a) for a in arguments)
        if size < low:
            raise UploadRefused(400, "EntityTooSmall", f"the file must be at least {low} bytes")
        if size > high:
            raise UploadRefused(400, "EntityTooLarge", f"the file must be at most {high} bytes")
        return
    name, expected = str(arguments[0]).removeprefix("$").lower(), str(arguments[1])
    actual = values.get(name, "")
    if (operator == "eq" and actual != expected) or (
        operator == "starts-with" and not actual.startswith(expected)
    ):
        raise UploadRefused(403, "AccessDenied", f"policy condition failed: {operator} {name} {expected!r}")


def _s3_error(refused: UploadRefused) -> Response:
    body = (
        f"<?xml version='1.0' encoding='UTF-8'?>\n<Error><Code>{refused.code}</Code>"
        f"<Message>{escape(refused.message)}</Message></Error>"
    )
    return Response(body, status_code=refused.status, media_type="application/xml")
