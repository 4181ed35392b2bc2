"""The vector store, selected by configuration.

`opensearch`: an OpenSearch Serverless VECTORSEARCH collection (hybrid BM25 + k-NN), encrypted
with our key; dev disables standby replicas to halve the idle OCUs. `s3vectors`: an S3 Vectors
bucket and index (dense only, pay per request and storage, no idle cost).

The stateful parts (collection, its encryption and network policies, vector bucket) live in the
data stack; the data-access policy and the index itself follow the roles that use them, in
the application stack (`VectorAccess`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from aws_cdk import ArnFormat, CustomResource, Duration, Fn, RemovalPolicy, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_opensearchserverless as aoss
from aws_cdk import aws_s3vectors as s3vectors
from aws_cdk import aws_stepfunctions as sfn
from aws_cdk import custom_resources as cr
from constructs import Construct

from stacks.config import DeploymentConfig
from stacks.constructs.functions import FunctionFactory
from stacks.constructs.nag import acknowledge, logical_arn
from stacks.constructs.workflows import ENCRYPTION_CONTEXT_KEY, EXECUTION_KEY_ACTIONS

# The data-access policy takes up to a minute to apply and a new index a moment to open; the
# completion check asks every INDEX_QUERY_INTERVAL and gives up after INDEX_TOTAL_TIMEOUT.
INDEX_QUERY_INTERVAL = Duration.seconds(10)
INDEX_TOTAL_TIMEOUT = Duration.minutes(10)
# Metadata kept with each S3 vector but never used in filters (S3 Vectors limits filterable size).
S3VECTORS_NON_FILTERABLE_KEYS = ["text", "title", "heading", "chunk_id", "start", "end"]


class VectorStore(Construct):
    def __init__(
        self, scope: Construct, construct_id: str, *, config: DeploymentConfig, key: kms.IKey
    ) -> None:
        super().__init__(scope, construct_id)
        self.backend = config.vector_backend
        self.collection: aoss.CfnCollection | None = None
        self.vector_bucket: s3vectors.CfnVectorBucket | None = None
        self.vector_index: s3vectors.CfnIndex | None = None
        self.collection_name = config.deployment_name
        self._key = key
        if self.backend == "opensearch":
            self._collection(config, key)
        else:
            self._vector_bucket(config, key)

    def _collection(self, config: DeploymentConfig, key: kms.IKey) -> None:
        name = self.collection_name
        resource = [f"collection/{name}"]
        encryption = aoss.CfnSecurityPolicy(
            self,
            "EncryptionPolicy",
            name=f"{name}-enc",
            type="encryption",
            policy=Stack.of(self).to_json_string(
                {
                    "Rules": [{"ResourceType": "collection", "Resource": resource}],
                    "AWSOwnedKey": False,
                    "KmsARN": key.key_arn,
                }
            ),
        )
        # Reachable over the internet but only with SigV4 credentials the data-access policy names;
        # the functions run outside a VPC, so a VPC endpoint would add cost without a boundary.
        network = aoss.CfnSecurityPolicy(
            self,
            "NetworkPolicy",
            name=f"{name}-net",
            type="network",
            policy=json.dumps(
                [{"Rules": [{"ResourceType": "collection", "Resource": resource}], "AllowFromPublic": True}]
            ),
        )
        self.collection = aoss.CfnCollection(
            self,
            "Collection",
            name=name,
            type="VECTORSEARCH",
            description="Document chunks: text for BM25, embeddings for k-NN",
            standby_replicas="ENABLED" if config.opensearch_standby_replicas else "DISABLED",
        )
        self.collection.add_resource_dependency(encryption)
        self.collection.add_resource_dependency(network)

    def _vector_bucket(self, config: DeploymentConfig, key: kms.IKey) -> None:
        self.vector_bucket = s3vectors.CfnVectorBucket(
            self,
            "VectorBucket",
            encryption_configuration=s3vectors.CfnVectorBucket.EncryptionConfigurationProperty(
                sse_type="aws:kms", kms_key_arn=key.key_arn
            ),
        )
        self.vector_index = s3vectors.CfnIndex(
            self,
            "VectorIndex",
            vector_bucket_arn=self.vector_bucket.attr_vector_bucket_arn,
            index_name=config.s3vectors_index,
            data_type="float32",
            dimension=config.embedding_dimensions,
            distance_metric="cosine",
            metadata_configuration=s3vectors.CfnIndex.MetadataConfigurationProperty(
                non_filterable_metadata_keys=S3VECTORS_NON_FILTERABLE_KEYS
            ),
        )
        # S3 Vectors' background indexing decrypts with the bucket's key under its own principal.
        key.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[iam.ServicePrincipal("indexing.s3vectors.amazonaws.com")],
                actions=["kms:Decrypt"],
                resources=["*"],
                conditions={
                    "StringEquals": {"aws:SourceAccount": Stack.of(self).account},
                },
            )
        )

    def environment(self, config: DeploymentConfig) -> dict[str, str]:
        if self.collection is not None:
            return {
                "OPENSEARCH_ENDPOINT": self.collection.attr_collection_endpoint,
                "OPENSEARCH_INDEX": config.opensearch_index,
            }
        assert self.vector_bucket is not None
        # The ARN is arn:...:bucket/<name>; CloudFormation returns no name attribute.
        bucket_name = Fn.select(1, Fn.split("/", self.vector_bucket.attr_vector_bucket_arn))
        return {
            "S3VECTORS_BUCKET": bucket_name,
            "S3VECTORS_INDEX": config.s3vectors_index,
        }

    # Each grant names the S3 Vectors actions the adapter calls for that use; on OpenSearch the
    # data-access policy (`VectorAccess`) draws the same lines, IAM only opens the collection.
    # Callers of a KMS-encrypted vector bucket need the key themselves: decrypt to read vectors
    # and their metadata, a data key to write new ones.

    def grant_read(self, principal: iam.IGrantable) -> None:
        """Query, and fetch chunks by key (metadata filters and returned metadata need GetVectors)."""
        self._grant(principal, ["s3vectors:QueryVectors", "s3vectors:GetVectors"], ["kms:Decrypt"])

    def grant_delete(self, principal: iam.IGrantable) -> None:
        """Delete a document's vectors, which are found by fetching consecutive chunk keys."""
        self._grant(principal, ["s3vectors:GetVectors", "s3vectors:DeleteVectors"], ["kms:Decrypt"])

    def grant_write(self, principal: iam.IGrantable) -> None:
        """Replace a document's vectors: put the new ones, delete those left over."""
        self._grant(
            principal,
            [
                "s3vectors:PutVectors",
                "s3vectors:DeleteVectors",
                "s3vectors:QueryVectors",
                "s3vectors:GetVectors",
            ],
            ["kms:Decrypt", "kms:GenerateDataKey"],
        )

    def _grant(self, principal: iam.IGrantable, s3vectors_actions: list[str], key_actions: list[str]) -> None:
        if self.collection is not None:
            principal.grant_principal.add_to_principal_policy(
                iam.PolicyStatement(actions=["aoss:APIAccessAll"], resources=[self.collection.attr_arn])
            )
            return
        assert self.vector_index is not None
        principal.grant_principal.add_to_principal_policy(
            iam.PolicyStatement(actions=s3vectors_actions, resources=[self.vector_index.attr_index_arn])
        )
        self._key.grant(principal, *key_actions)


def _operator_rules(chunk_index: list[str], principals: tuple[str, ...]) -> list[dict[str, object]]:
    """Operators measuring retrieval (`make eval DEPLOYED_FUNCTION=...`) index, search and delete
    their own evaluation documents in the chunk index: no index management, no other index."""
    if not principals:
        return []
    return [
        {
            "Description": "Operators: evaluate retrieval on the chunk index",
            "Rules": [
                {
                    "ResourceType": "index",
                    "Resource": chunk_index,
                    "Permission": ["aoss:ReadDocument", "aoss:WriteDocument", "aoss:DescribeIndex"],
                }
            ],
            "Principal": list(principals),
        }
    ]


@dataclass(frozen=True, slots=True)
class IndexProviderKeys:
    """Keys of the index's provider framework: its logs, and its waiter state machine's data."""

    logs: kms.IKey
    workflow: kms.IKey


class VectorAccess(Construct):
    """OpenSearch Serverless data-access policy naming only the roles that use the chunks (readers
    read, deleters also delete a document's chunks, the index writer writes them and manages the
    index), and the index itself, a custom resource on CDK's Provider framework whose handlers run
    as the index writer.

    Contract with `lambdas.handlers.vector_index_resource`: the framework answers CloudFormation;
    `on_event` returns the physical id (the index name) and `Data.IndexName`, `is_complete` is
    called every `INDEX_QUERY_INTERVAL` until the index answers searches (or is deleted), for at
    most `INDEX_TOTAL_TIMEOUT`, a 403 meaning the data-access policy is still applying.
    `ResourceProperties` carry `Endpoint` (collection endpoint, `https://...`), `IndexName`,
    `Dimensions` (a number as a string) and `RetainOnDelete` (`"true"` | `"false"`). Create makes
    the index if it is absent (knn_vector of `Dimensions`, HNSW, text fields for BM25, owner and
    document keyword fields) and adopts one of the same dimension; Update with a changed name
    creates the new index and returns its name as the new physical id, so CloudFormation deletes
    the old one afterwards. Update with a changed dimension under the same name fails, since a
    knn_vector field cannot change its dimension: a new dimension needs a new `opensearchIndex`
    name (and the documents ingested again into that empty index). Delete removes the index
    unless `RetainOnDelete` is `"true"` or the index holds another dimension (one a failed
    Create refused to adopt).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        store: VectorStore,
        config: DeploymentConfig,
        readers: list[iam.IRole],
        deleters: list[iam.IRole],
        index_writer_role: iam.Role,
        functions: FunctionFactory,
        keys: IndexProviderKeys,
        log_retention: logs.RetentionDays,
        removal_policy: RemovalPolicy,
    ) -> None:
        super().__init__(scope, construct_id)
        assert store.collection is not None
        name = store.collection_name
        # Readers and deleters reach only the index the functions are configured with; the
        # ingestion role manages index lifecycles, so it also reaches the one a rename replaces.
        chunk_index = [f"index/{name}/{config.opensearch_index}"]
        self.policy = aoss.CfnAccessPolicy(
            self,
            "DataAccessPolicy",
            name=f"{name}-data",
            type="data",
            policy=Stack.of(self).to_json_string(
                [
                    {
                        "Description": "Chat: read chunks",
                        "Rules": [
                            {
                                "ResourceType": "index",
                                "Resource": chunk_index,
                                "Permission": ["aoss:ReadDocument", "aoss:DescribeIndex"],
                            }
                        ],
                        "Principal": [role.role_arn for role in readers],
                    },
                    {
                        # Deleting a document searches for its chunks and bulk-deletes them.
                        "Description": "API: read chunks and delete a document's chunks",
                        "Rules": [
                            {
                                "ResourceType": "index",
                                "Resource": chunk_index,
                                "Permission": [
                                    "aoss:ReadDocument",
                                    "aoss:WriteDocument",
                                    "aoss:DescribeIndex",
                                ],
                            }
                        ],
                        "Principal": [role.role_arn for role in deleters],
                    },
                    {
                        "Description": "Ingestion: create the index, write and delete chunks",
                        "Rules": [
                            {
                                "ResourceType": "index",
                                "Resource": [f"index/{name}/*"],
                                "Permission": [
                                    "aoss:CreateIndex",
                                    "aoss:DescribeIndex",
                                    "aoss:UpdateIndex",
                                    "aoss:DeleteIndex",
                                    "aoss:ReadDocument",
                                    "aoss:WriteDocument",
                                ],
                            }
                        ],
                        "Principal": [index_writer_role.role_arn],
                    },
                    *_operator_rules(chunk_index, config.search_operator_arns),
                ]
            ),
        )
        provider = self._provider(
            name=name,
            functions=functions,
            role=index_writer_role,
            keys=keys,
            log_retention=log_retention,
            removal_policy=removal_policy,
        )
        # Not "Index", the id of the resource the index function served directly: CloudFormation
        # refuses to change a custom resource's service token, so stacks deployed with that one
        # get this new resource (which adopts their index) and delete the old one.
        self.index = CustomResource(
            self,
            "ChunkIndex",
            service_token=provider.service_token,
            resource_type="Custom::VectorIndex",
            # The framework answers CloudFormation when the total timeout passes; this bounds a
            # framework that cannot answer at all to minutes rather than CloudFormation's hour.
            service_timeout=INDEX_TOTAL_TIMEOUT.plus(Duration.minutes(5)),
            properties={
                "Endpoint": store.collection.attr_collection_endpoint,
                "IndexName": config.opensearch_index,
                "Dimensions": config.embedding_dimensions,
                "RetainOnDelete": "true" if config.is_prod else "false",
            },
        )
        self.index.node.add_dependency(self.policy)

    def _provider(
        self,
        *,
        name: str,
        functions: FunctionFactory,
        role: iam.Role,
        keys: IndexProviderKeys,
        log_retention: logs.RetentionDays,
        removal_policy: RemovalPolicy,
    ) -> cr.Provider:
        handlers = "lambdas.handlers.vector_index_resource"
        on_event = functions.function(
            self,
            "IndexOnEventFunction",
            handler=f"{handlers}.on_event",
            description="Deploy time: decides the OpenSearch vector index's physical id",
            service="vector-index",
            memory_size=256,
            role=role,
        )
        is_complete = functions.function(
            self,
            "IndexIsCompleteFunction",
            handler=f"{handlers}.is_complete",
            description="Deploy time: creates or deletes the OpenSearch vector index, step by step",
            service="vector-index",
            # Up to four requests per check, each allowed 5 s to connect and 10 s to answer.
            timeout_seconds=90,
            memory_size=256,
            role=role,
        )

        def log_group(construct_id: str) -> logs.LogGroup:
            return logs.LogGroup(
                self,
                construct_id,
                encryption_key=keys.logs,
                retention=log_retention,
                removal_policy=removal_policy,
            )

        framework_logs = log_group("IndexProviderLogs")
        on_event_role = self._framework_role("IndexProviderOnEventRole", framework_logs)
        waiter_role = self._framework_role("IndexProviderWaiterRole", framework_logs)
        provider = cr.Provider(
            self,
            "IndexProvider",
            on_event_handler=on_event,
            is_complete_handler=is_complete,
            query_interval=INDEX_QUERY_INTERVAL,
            total_timeout=INDEX_TOTAL_TIMEOUT,
            log_group=framework_logs,
            framework_on_event_role=on_event_role,
            framework_complete_and_timeout_role=waiter_role,
            disable_waiter_state_machine_logging=False,
            waiter_state_machine_log_options=cr.LogOptions(
                destination=log_group("IndexWaiterLogs"), level=sfn.LogLevel.ALL, include_execution_data=False
            ),
        )
        self._encrypt_waiter(provider, f"{name}-vector-index", keys.workflow, starter=on_event_role)
        _acknowledge_framework_findings(provider, [on_event_role, waiter_role], [on_event, is_complete])
        return provider

    def _framework_role(self, construct_id: str, log_group: logs.LogGroup) -> iam.Role:
        """A role for the Provider framework's functions: instead of the AWS managed
        AWSLambdaBasicExecutionRole, writing to their own log group only."""
        role = iam.Role(
            self,
            construct_id,
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Runs the vector index's custom-resource provider framework",
        )
        role.add_to_policy(
            iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[log_group.log_group_arn, f"{log_group.log_group_arn}:log-stream:*"],
            )
        )
        acknowledge(
            role,
            f"AwsSolutions-IAM5[Resource::{logical_arn(log_group)}:log-stream:*]",
            "Log streams are created at run time inside the provider framework's own log group.",
        )
        return role

    def _encrypt_waiter(self, provider: cr.Provider, name: str, key: kms.IKey, *, starter: iam.Role) -> None:
        """Name the framework's waiter state machine and encrypt it with the workflow key, as
        `stacks.constructs.workflows` does for the application's workflows (the Provider
        framework offers neither)."""
        waiter = provider.node.find_child("waiter-state-machine")
        machine = waiter.node.default_child
        assert isinstance(machine, sfn.CfnStateMachine)
        machine.state_machine_name = name
        machine.tracing_configuration = sfn.CfnStateMachine.TracingConfigurationProperty(enabled=True)
        machine.encryption_configuration = sfn.CfnStateMachine.EncryptionConfigurationProperty(
            type="CUSTOMER_MANAGED_KMS_KEY", kms_key_id=key.key_arn, kms_data_key_reuse_period_seconds=300
        )
        stack = Stack.of(self)
        arn = stack.format_arn(
            service="states",
            resource="stateMachine",
            resource_name=name,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        waiter_role = waiter.node.find_child("Role")
        assert isinstance(waiter_role, iam.Role)
        waiter_role.add_to_policy(
            iam.PolicyStatement(
                # X-Ray accepts no resource-level permissions for trace segments and sampling.
                actions=[
                    "xray:PutTraceSegments",
                    "xray:PutTelemetryRecords",
                    "xray:GetSamplingRules",
                    "xray:GetSamplingTargets",
                ],
                resources=["*"],
            )
        )
        for principal in (waiter_role, starter):
            principal.add_to_policy(
                iam.PolicyStatement(
                    actions=list(EXECUTION_KEY_ACTIONS),
                    resources=[key.key_arn],
                    conditions={"StringEquals": {ENCRYPTION_CONTEXT_KEY: arn}},
                )
            )


def _acknowledge_framework_findings(
    provider: cr.Provider, framework_roles: list[iam.Role], handlers: list[lambda_.Function]
) -> None:
    """The cdk-nag findings on what CDK's Provider framework builds, each with why it is safe."""
    # The framework grants `lambda:InvokeFunction` through `grant_invoke`, which adds `:*`.
    for role in framework_roles:
        for handler in handlers:
            acknowledge(
                role,
                f"AwsSolutions-IAM5[Resource::{logical_arn(handler)}:*]",
                "CDK's Provider framework invokes the index handler through grant_invoke, which "
                "also names the function's versions and aliases (`:*`); no other function.",
            )
    waiter = provider.node.find_child("waiter-state-machine")
    waiter_role = waiter.node.find_child("Role")
    for framework_function in ("framework-isComplete", "framework-onTimeout"):
        acknowledge(
            waiter_role,
            f"AwsSolutions-IAM5[Resource::{logical_arn(provider.node.find_child(framework_function))}:*]",
            "The waiter invokes the provider framework's own function through grant_invoke, which "
            "also names its versions and aliases (`:*`); no other function.",
        )
    acknowledge(
        waiter_role,
        "AwsSolutions-IAM5[Resource::*]",
        "CloudWatch Logs delivery for the waiter's log group (logs:CreateLogDelivery and related, "
        "as CDK's Provider framework writes it) and X-Ray tracing accept no resource-level permissions.",
    )
