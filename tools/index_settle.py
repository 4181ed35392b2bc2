"""Bounded waits for an index's writes and deletions to show in its searches.

OpenSearch Serverless makes writes searchable only after a few seconds, and its
`delete_document` finds a document's chunks by searching: an evaluation asks its questions
once every chunk is found, and deletes again until none is.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from lambdas.core.ports import ChunkIndex, ChunkLookup

LOOKUP_BATCH = 100


class IndexNotSettled(Exception):
    """Indexed chunks were still not searchable when the wait ended."""


@dataclass(frozen=True)
class Settle:
    timeout_seconds: float = 120.0
    interval_seconds: float = 2.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic

    def until_searchable(self, index: ChunkIndex, owner: str, chunk_ids: Mapping[str, Sequence[str]]) -> None:
        """Return once every chunk is found; an index that cannot look chunks up is taken as settled."""
        if not isinstance(index, ChunkLookup):
            return
        wanted = [chunk_id for ids in chunk_ids.values() for chunk_id in ids]
        missing = self._poll(lambda: len(wanted) - _found(index, owner, wanted))
        if missing:
            raise IndexNotSettled(
                f"{missing} of {len(wanted)} indexed chunks were still not searchable after "
                f"{self.timeout_seconds:g} s"
            )

    def delete(self, index: ChunkIndex, owner: str, chunk_ids: Mapping[str, Sequence[str]]) -> int:
        """Delete each document, again while any of its chunks is found; never raises, so an error
        being handled is not hidden. Returns how many chunks were left, after saying which on stderr."""
        pending = dict(chunk_ids)

        def left() -> int:
            for document_id in pending:
                index.delete_document(owner, document_id)
            if not isinstance(index, ChunkLookup):
                pending.clear()
                return 0
            found = {document_id: _found(index, owner, ids) for document_id, ids in pending.items()}
            for document_id, count in found.items():
                if not count:
                    del pending[document_id]
            return sum(found.values())

        try:
            remaining = self._poll(left)
        except Exception as error:  # reported with what is left; an error being handled wins
            print(f"error: deleting the evaluation's documents failed: {error}", file=sys.stderr)
            remaining = sum(len(ids) for ids in pending.values()) or 1
        if remaining:
            print(
                f"error: chunks of owner {owner} are left in the index (documents: {', '.join(pending)}); "
                "no user's search finds them, but delete them by that owner and document id",
                file=sys.stderr,
            )
        return remaining

    def _poll(self, outstanding: Callable[[], int]) -> int:
        deadline = self.clock() + self.timeout_seconds
        while True:
            remaining = outstanding()
            if not remaining or self.clock() >= deadline:
                return remaining
            self.sleep(self.interval_seconds)


def _found(index: ChunkLookup, owner: str, chunk_ids: Sequence[str]) -> int:
    return sum(
        len(index.get_chunks(owner, chunk_ids[start : start + LOOKUP_BATCH]))
        for start in range(0, len(chunk_ids), LOOKUP_BATCH)
    )
