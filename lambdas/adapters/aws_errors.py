"""Reading what an AWS service said when it refused a call."""

from __future__ import annotations

from botocore.exceptions import ClientError


def error_code(error: ClientError) -> str:
    """The service's error code (`ConditionalCheckFailedException`, `AccessDenied`...), or ""."""
    return str(error.response.get("Error", {}).get("Code", ""))


def error_message(error: ClientError) -> str:
    """The service's own explanation, or ""."""
    return str(error.response.get("Error", {}).get("Message", ""))
