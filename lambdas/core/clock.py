"""Default Clock and IdGenerator implementations (standard library only)."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime


class SystemClock:
    def now_iso(self) -> str:
        return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")

    def monotonic_ms(self) -> float:
        return time.perf_counter() * 1000


class UuidGenerator:
    def new_id(self) -> str:
        return uuid.uuid4().hex
