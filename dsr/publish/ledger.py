"""The thin adapter between results review and a ledger: the archive's SQLite Ledger, or a JSON-lines log."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from dsr.core.canonical import canonical_bytes, sha256_hex
from dsr.publish.errors import PublishError

RESULT = "result"
PUBLISH = "publish"
_GENESIS = "0" * 64


class EventLog(Protocol):
    """What the review state machine needs of a ledger."""

    def append(self, kind: str, payload: dict[str, Any]) -> None:
        """Append one event."""

    def payloads(self, kind: str) -> list[dict[str, Any]]:
        """The payloads of every event of `kind`, oldest first."""


@dataclass(frozen=True)
class JsonlLog:
    """An append-only, hash-chained JSON-lines event file."""

    path: Path

    def _lines(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        events, prev = [], _GENESIS
        for number, line in enumerate(self.path.read_text("utf-8").splitlines(), start=1):
            event = json.loads(line)
            body = {k: event[k] for k in ("kind", "payload", "prev")}
            if event["prev"] != prev or event["hash"] != sha256_hex(canonical_bytes(body)):
                raise PublishError(f"结果台账 {self.path.name} 第 {number} 行的哈希链断裂，台账可能被改动")
            events.append(event)
            prev = event["hash"]
        return events

    def append(self, kind: str, payload: dict[str, Any]) -> None:
        """Append one event chained to the last."""
        events = self._lines()
        body = {"kind": kind, "payload": payload, "prev": events[-1]["hash"] if events else _GENESIS}
        line = dict(body, hash=sha256_hex(canonical_bytes(body)))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(line, ensure_ascii=False, sort_keys=True) + "\n")

    def payloads(self, kind: str) -> list[dict[str, Any]]:
        """The payloads of every event of `kind`, oldest first, after checking the chain."""
        return [e["payload"] for e in self._lines() if e["kind"] == kind]


@dataclass(frozen=True)
class ArchiveLog:
    """The EventLog over dsr.archive's SQLite Ledger: each payload's `at` and `draw_id` fill its columns."""

    ledger: Any  # dsr.archive.ledger.Ledger

    def append(self, kind: str, payload: dict[str, Any]) -> None:
        """Append one event to the archive ledger."""
        self.ledger.append(kind, at=payload["at"], payload=payload, draw_id=payload.get("draw_id"))

    def payloads(self, kind: str) -> list[dict[str, Any]]:
        """The payloads of every event of `kind`, in chain order."""
        return [e.payload for e in self.ledger.events(kind)]
