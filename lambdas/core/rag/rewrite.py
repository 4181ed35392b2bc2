"""Query rewriting: the configured chat model writes a short passage that would answer the
question, and retrieval searches with the question and that passage together (query2doc).

A question worded differently from the documents ("bill" for cost, "graphics card" for GPU)
matches neither search well; the model's passage uses the documents' likely vocabulary, which
both BM25 and the vector search can then match. The question itself stays first, so an exact
match still counts. The call's tokens and cost go to the caller's usage (kind `rewrite`); when
the model fails, retrieval uses the question alone; when the question finds nothing at all
(the caller has no documents), the model is not asked. A second stage (reranking) judges the
question alone.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from typing import Protocol

from lambdas.core.budget import estimate_tokens
from lambdas.core.errors import ModelUnavailable
from lambdas.core.models import ModelInfo, ModelRequest, Passage, PromptMessage, Usage
from lambdas.core.ports import Clock, LanguageModel, QueryExpansion, Retriever, UsageStore
from lambdas.core.pricing import cost_usd

logger = logging.getLogger(__name__)

REWRITE_SYSTEM = (
    "You help a search engine. Write one short factual paragraph, of at most three sentences, that "
    "would answer the user's question in the words technical documentation would use. Write only "
    "the paragraph; if you do not know, write what such a paragraph would be about."
)
MAX_REWRITE_TOKENS = 120


class RewriteUsage(Protocol):
    def record(self, owner: str, usage: Usage) -> None: ...


class UsageStoreRewriteUsage:
    """Adds a rewrite call to the owner's daily usage at the model's price (input and output
    tokens priced apart; the aggregate's tokens count both)."""

    def __init__(self, store: UsageStore, clock: Clock, model: ModelInfo) -> None:
        self._store = store
        self._clock = clock
        self._model = model

    def record(self, owner: str, usage: Usage) -> None:
        self._store.add_embedding_usage(
            owner,
            day=self._clock.now_iso()[:10],
            model=self._model.id,
            input_tokens=usage.input_tokens + usage.output_tokens,
            cost_usd=cost_usd(self._model, usage),
            kind="rewrite",
        )


class RewritingRetriever:
    """Implements the Retriever port around another retriever."""

    def __init__(self, inner: Retriever, model: LanguageModel, model_id: str, usage: RewriteUsage) -> None:
        self._inner = inner
        self._model = model
        self._model_id = model_id
        self._usage = usage

    def retrieve(
        self, owner: str, query: str, top_k: int, *, expand: QueryExpansion | None = None
    ) -> Sequence[Passage]:
        """Passages for the question searched with the model's passage; the inner retriever
        asks for that passage only once the question alone finds something, so a caller
        without documents costs no model call. The expansion is this class's to give."""
        if expand is not None:
            raise TypeError("RewritingRetriever expands queries itself; it takes no `expand`")
        return self._inner.retrieve(owner, query, top_k, expand=functools.partial(self.passage, owner))

    def passage(self, owner: str, query: str) -> str:
        """The model's answer-like passage for the question; "" when the model fails."""
        request = ModelRequest(
            model_id=self._model_id,
            system=REWRITE_SYSTEM,
            messages=(PromptMessage("user", query),),
            temperature=0.0,
            max_tokens=MAX_REWRITE_TOKENS,
            question=query,
            owner=owner,
        )
        try:
            response = self._model.complete(request)
        except ModelUnavailable as error:
            logger.warning("query rewriting skipped: %s", error.message)
            return ""
        usage = response.usage or Usage(
            estimate_tokens(REWRITE_SYSTEM + query), estimate_tokens(response.text), estimated=True
        )
        self._usage.record(owner, usage)
        return " ".join(response.text.split())
