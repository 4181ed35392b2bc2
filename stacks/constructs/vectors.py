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

from aws_cdk import CustomResource, Fn, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_opensearchserverless as aoss
from aws_cdk import aws_s3vectors as s3vectors
from constructs import Construct

from stacks.config import DeploymentConfig

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


class VectorAccess(Construct):
    """OpenSearch Serverless data-access policy naming only the roles that use the chunks (readers
    read, deleters also delete a document's chunks, the ingestion role writes them and manages the
    index), and the index itself, created by a custom resource running as the ingestion role.

    Contract with `lambdas.handlers.vector_index_resource.handler`: CloudFormation invokes the
    function directly (the service token is the function's ARN, no provider framework), so the
    handler answers by PUTting the custom-resource response to the event's `ResponseURL` itself,
    on success and on failure alike. `ResourceProperties` carry `Endpoint` (collection endpoint,
    `https://...`), `IndexName`, `Dimensions` (a number as a string) and `RetainOnDelete`
    (`"true"` | `"false"`). Create makes the index if it is absent (knn_vector of `Dimensions`,
    HNSW, text fields for BM25, owner and document keyword fields); Update with a changed name
    creates the new index and returns its name as the new physical id, so CloudFormation deletes
    the old one afterwards. Update with a changed dimension under the same name fails, since a
    knn_vector field cannot change its dimension: a new dimension needs a new `opensearchIndex`
    name (and the documents ingested again into that empty index). Delete removes the index
    unless `RetainOnDelete` is `"true"`.
    The data-access policy is created just before and takes up to a minute to apply, so the
    handler retries 403 answers for a while before failing.
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
        ingestion_role: iam.IRole,
        index_function: lambda_.IFunction,
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
                        "Principal": [ingestion_role.role_arn],
                    },
                ]
            ),
        )
        self.index = CustomResource(
            self,
            "Index",
            service_token=index_function.function_arn,
            resource_type="Custom::VectorIndex",
            properties={
                "Endpoint": store.collection.attr_collection_endpoint,
                "IndexName": config.opensearch_index,
                "Dimensions": config.embedding_dimensions,
                "RetainOnDelete": "true" if config.is_prod else "false",
            },
        )
        self.index.node.add_dependency(self.policy)
