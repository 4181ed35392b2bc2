"""A DynamoDB Table resource built on first use, for the adapters that keep one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class LazyTable:
    def __init__(self, table_factory: Callable[[], Any]) -> None:
        """`table_factory` returns the boto3 Table resource; it is called on first use, so a
        container that never touches the table never builds it."""
        self._table_factory = table_factory
        self._table: Any = None

    @property
    def table(self) -> Any:
        if self._table is None:
            self._table = self._table_factory()
        return self._table
