"""Small builders shared by the archive and ledger tests: a filled archive and raw SQL tampering."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

from dsr.archive import LEDGER_NAME, Archive, Ledger

AT = "2026-03-01T09:00:00+08:00"
BRIGADE = "文峰区"
# A non-ASCII, emoji-bearing commitment source, so encodings are exercised end to end.
C1 = hashlib.sha256("承诺一🎲".encode()).hexdigest()
C2 = hashlib.sha256("承诺二".encode()).hexdigest()


def draw_payload(draw_id: str, date: str = "2026-03-01", keys: tuple[str, ...] = ("U1", "U2")) -> dict:
    """The documented draw payload with a two-person team per unit."""
    return {"draw_id": draw_id, "date": date, "units": [{"key": k, "team": ["J001", "J002"]} for k in keys]}


def filled(root: Path) -> tuple[Archive, Ledger]:
    """An archive with commit, draw, record, commit, draw, record (6 rows; records are seq 3 and 6)."""
    archive, ledger = Archive(root), Ledger(root / LEDGER_NAME)
    with archive.batch_lock():
        for c, draw_id in ((C1, "D-001"), (C2, "D-002")):
            ledger.append("commit", at=AT, commitment_hash=c, ceremony_id="CER-1")
            ledger.append("draw", at=AT, commitment_hash=c, brigade=BRIGADE, draw_id=draw_id,
                          payload=draw_payload(draw_id), ceremony_id="CER-1")  # fmt: skip
            folder = archive.write_record(2026, BRIGADE, draw_id, {"record.pdf": f"%PDF {draw_id}".encode()})
            ledger.append_record(archive.folder_refs(folder), at=AT, brigade=BRIGADE, draw_id=draw_id,
                                 commitment_hash=c)  # fmt: skip
    return archive, ledger


def tamper(db: Path, *statements: str, params: tuple = ()) -> None:
    """Run SQL on the ledger as a hand editor would, after dropping the append-only triggers."""
    conn = sqlite3.connect(db)
    conn.execute("DROP TRIGGER IF EXISTS events_no_update")
    conn.execute("DROP TRIGGER IF EXISTS events_no_delete")
    for statement in statements:
        conn.execute(statement, params) if params else conn.execute(statement)
    conn.commit()
    conn.close()
