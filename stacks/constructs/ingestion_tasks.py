"""The ingestion workflow's task functions and the role that writes the vector index.

Each task gets the objects, tables and models of its own step only. The index task and the
vector-index custom resource share one role: the vector store's data-access policy names one
principal that manages the index and writes its chunks.
"""

from __future__ import annotations

from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from stacks.constructs.data import BATCHES_PREFIX, UPLOADS_PREFIX, Data
from stacks.constructs.documents import DocumentObjects, allow_items
from stacks.constructs.functions import FunctionFactory
from stacks.constructs.models import ModelAccess
from stacks.constructs.vectors import VectorStore


class IngestionTasks(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: FunctionFactory,
        store: Data,
        documents: DocumentObjects,
        vectors: VectorStore,
        models: ModelAccess,
    ) -> None:
        super().__init__(scope, construct_id)
        self.index_writer_role = iam.Role(
            self,
            "IndexWriterRole",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description="Writes the vector index: index task and index custom resource",
        )
        self.extract = functions.function(
            self,
            "ExtractFunction",
            handler="lambdas.handlers.ingest_extract.handler",
            description="Ingestion: extract text and chunk into batches",
            service="ingestion",
            timeout_seconds=300,
            memory_size=1024,
        )
        self.embed = functions.function(
            self,
            "EmbedFunction",
            handler="lambdas.handlers.ingest_embed.handler",
            description="Ingestion: embed one batch of chunks",
            service="ingestion",
            timeout_seconds=300,
        )
        self.index = functions.function(
            self,
            "IndexFunction",
            handler="lambdas.handlers.ingest_index.handler",
            description="Ingestion: replace the document's chunks in the vector index",
            service="ingestion",
            timeout_seconds=300,
            role=self.index_writer_role,
        )
        # Extract: read the upload and its document record, mark it PROCESSING, replace the
        # batches of any earlier run (list + delete), write the new batches.
        documents.allow(self.extract, UPLOADS_PREFIX, "s3:GetObject")
        documents.allow(self.extract, BATCHES_PREFIX, "s3:PutObject", "s3:DeleteObject")
        documents.allow_listing(self.extract, BATCHES_PREFIX)
        allow_items(store.documents_table, self.extract, "GetItem", "UpdateItem")
        # Embed: read a batch, embed it, write its vectors, add its tokens to the owner's usage
        # and its chunks to the document's progress.
        documents.allow(self.embed, BATCHES_PREFIX, "s3:GetObject", "s3:PutObject")
        models.grant_embeddings(self.embed)
        allow_items(store.usage_table, self.embed, "UpdateItem")
        allow_items(store.documents_table, self.embed, "UpdateItem")
        # Index: check the document still exists, read batches and vectors, replace its chunks.
        documents.allow(self.index, BATCHES_PREFIX, "s3:GetObject")
        allow_items(store.documents_table, self.index, "GetItem")
        vectors.grant_write(self.index)

    @property
    def functions(self) -> dict[str, lambda_.Function]:
        """Monitoring name -> task function."""
        return {"IngestExtract": self.extract, "IngestEmbed": self.embed, "IngestIndex": self.index}
