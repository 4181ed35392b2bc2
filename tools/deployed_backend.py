"""The retrieval settings of a deployed chat function, read from its Lambda configuration.

Only what retrieval needs is taken (vector backend and its names, embedding and rerank
models, chunking and retrieval settings, the chat model that rewrites questions first, the
function's Region); everything else keeps its default, and nothing is read from this
machine's environment.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.exceptions import ClientError, NoCredentialsError, NoRegionError
from pydantic import ValidationError

from lambdas.adapters.aws_errors import error_code, error_message
from lambdas.adapters.opensearch import OpenSearchError
from lambdas.core.errors import ModelUnavailable
from lambdas.settings import GivenSettings, Settings

RETRIEVAL_SETTINGS = frozenset(
    {
        "VECTOR_BACKEND",
        "OPENSEARCH_ENDPOINT",
        "OPENSEARCH_INDEX",
        "S3VECTORS_BUCKET",
        "S3VECTORS_INDEX",
        "EMBEDDING_MODEL_ID",
        "EMBEDDING_DIMENSIONS",
        "RERANK_MODEL_ID",
        "CHUNKING_STRATEGY",
        "CHUNK_MAX_CHARS",
        "CHUNK_OVERLAP_CHARS",
        "RETRIEVAL_TOP_K",
        # Query rewriting, which also sets the fusion's weights (see Settings.rewrites_queries).
        "LLM_PROVIDER",
        "BEDROCK_MODEL_ID",
        "BEDROCK_FALLBACK_MODEL_ID",
        "BEDROCK_GUARDRAIL_ID",
        "BEDROCK_GUARDRAIL_VERSION",
        "QUERY_REWRITING",
    }
)
CLOUD_BACKENDS = ("opensearch", "s3vectors")
_ACCESS_DENIED = frozenset({"AccessDeniedException", "AccessDenied", "UnauthorizedOperation"})


class DeployedBackendError(Exception):
    """The deployed function's settings cannot be had; the message says why and what to do."""


def deployed_settings(lambda_client: Any, function_name: str) -> Settings:
    """The retrieval settings of `function_name`, via lambda:GetFunctionConfiguration."""
    try:
        configuration = lambda_client.get_function_configuration(FunctionName=function_name)
    except (NoCredentialsError, NoRegionError) as error:
        raise DeployedBackendError(
            f"no AWS credentials or Region to read {function_name!r} with ({error}); "
            "set AWS_PROFILE or the AWS_* variables, and AWS_REGION"
        ) from error
    except ClientError as error:
        raise _lambda_error(error, function_name, lambda_client.meta.region_name) from error
    return settings_from_configuration(configuration)


def settings_from_configuration(configuration: Mapping[str, Any]) -> Settings:
    """`Settings` from a GetFunctionConfiguration response: its retrieval variables and Region."""
    name = configuration.get("FunctionName", "the function")
    variables: Mapping[str, str] = configuration.get("Environment", {}).get("Variables", {})
    backend = variables.get("VECTOR_BACKEND")
    if backend not in CLOUD_BACKENDS:
        raise DeployedBackendError(
            f"{name} has no vector backend in its environment (VECTOR_BACKEND is {backend!r}, "
            f"expected one of {', '.join(CLOUD_BACKENDS)}): name one of the stack's chat functions"
        )
    # Lambda reserves AWS_REGION (never in the configured variables): the ARN names the Region.
    region = str(configuration["FunctionArn"]).split(":")[3]
    values = {key.lower(): value for key, value in variables.items() if key in RETRIEVAL_SETTINGS}
    try:
        return GivenSettings.model_validate({**values, "aws_region": region})
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part).upper() for part in problem['loc']) or 'settings'}: {problem['msg']}"
            for problem in error.errors(include_url=False)
        )
        raise DeployedBackendError(f"{name}'s retrieval settings are invalid: {problems}") from None


def _lambda_error(error: ClientError, function_name: str, region: str | None) -> DeployedBackendError:
    code = error_code(error)
    if code == "ResourceNotFoundException":
        return DeployedBackendError(
            f"Lambda function {function_name!r} not found in {region}: give the chat function's name "
            "or ARN and the Region it is deployed in (AWS_REGION)"
        )
    if code in _ACCESS_DENIED:
        return DeployedBackendError(
            f"access denied: your principal needs lambda:GetFunctionConfiguration on {function_name!r}"
        )
    message = error_message(error)
    return DeployedBackendError(f"reading {function_name!r} failed: {code} {message}".rstrip())


def describe(settings: Settings) -> str:
    """The deployed backend in one line: where the chunks are and which models retrieval calls."""
    if settings.vector_backend == "opensearch":
        where = f"OpenSearch Serverless {settings.opensearch_endpoint} index {settings.opensearch_index}"
    else:
        where = f"S3 Vectors bucket {settings.s3vectors_bucket} index {settings.s3vectors_index}"
    rerank = f", rerank {settings.rerank_model_id}" if settings.rerank_model_id else ""
    return (
        f"{where}, {settings.embedding_model_id} at {settings.embedding_dimensions} dimensions{rerank}, "
        f"{settings.aws_region}"
    )


def access_failure(error: BaseException) -> str | None:
    """What the operator's principal lacks, when `error` is a refusal of the deployed backend."""
    if isinstance(error, OpenSearchError) and error.status in (401, 403):
        return (
            f"OpenSearch Serverless refused access ({error}): deploy with your principal's ARN in the "
            "searchOperatorArns context key (the collection's data-access policy) and allow "
            "aoss:APIAccessAll on the collection in your IAM policy"
        )
    cause = error.__cause__
    if (
        isinstance(error, ModelUnavailable)
        and isinstance(cause, ClientError)
        and error_code(cause) in _ACCESS_DENIED
    ):
        return f"{error.message} Your principal needs bedrock:InvokeModel on that model."
    if isinstance(error, ClientError) and error_code(error) in _ACCESS_DENIED:
        operation = error.operation_name
        return (
            f"access denied on {operation} ({error_message(error)}): S3 Vectors "
            "needs s3vectors:PutVectors, GetVectors, QueryVectors and DeleteVectors on the index, and "
            "kms:GenerateDataKey and kms:Decrypt on the vectors key"
        )
    return None
