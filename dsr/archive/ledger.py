"""The hash-chained SQLite ledger of every commitment, draw, void, record, result and publish event."""

from __future__ import annotations

import datetime as dt
import json
import re
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dsr.archive.manifest import MANIFEST, FileRef, hash_file
from dsr.archive.names import check_relative
from dsr.archive.store import Archive
from dsr.core.canonical import canonical_bytes, sha256_hex
from dsr.core.model import HistoryEntry
from dsr.errors import ArchiveError

LEDGER_NAME = "ledger.sqlite3"
KINDS = ("commit", "draw", "void", "record", "result", "review", "publish")
GENESIS = "0" * 64
ROW_DOMAIN = b"dsr-ledger-row/v1\n"  # domain tag so a row hash can never collide with another dsr hash
BUSY_TIMEOUT_S = 30.0
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_REQUIRED = {
    "commit": ("commitment_hash",),
    "draw": ("commitment_hash", "brigade", "draw_id"),
    "void": ("commitment_hash", "brigade", "draw_id"),
    "record": ("brigade", "draw_id"),
}
COLUMNS = (
    "seq", "kind", "ceremony_id", "commitment_hash", "brigade", "draw_id",
    "at", "payload", "files", "prev_hash", "row_hash",
)  # fmt: skip

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    ceremony_id TEXT,
    commitment_hash TEXT,
    brigade TEXT,
    draw_id TEXT,
    at TEXT NOT NULL,
    payload TEXT NOT NULL,
    files TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    row_hash TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_draw ON events (kind, commitment_hash, brigade);
CREATE TRIGGER IF NOT EXISTS events_no_update BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'dsr ledger rows are append-only'); END;
CREATE TRIGGER IF NOT EXISTS events_no_delete BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, 'dsr ledger rows are append-only'); END;
"""


@dataclass(frozen=True)
class Event:
    """One ledger row, with payload parsed from its canonical JSON and files as FileRefs."""

    seq: int
    kind: str
    ceremony_id: str | None
    commitment_hash: str | None
    brigade: str | None
    draw_id: str | None
    at: str
    payload: Any
    files: tuple[FileRef, ...]
    prev_hash: str
    row_hash: str


def files_text(files: Iterable[FileRef]) -> str:
    """The canonical JSON stored in the `files` column: [{path, sha256}] sorted by path."""
    items = sorted(({"path": f.path, "sha256": f.sha256} for f in files), key=lambda d: d["path"].encode())
    return canonical_bytes(items).decode("utf-8")


def row_hash(row: dict[str, Any]) -> str:
    """SHA-256 over the domain tag and the canonical JSON of every column but row_hash itself."""
    body = {name: row[name] for name in COLUMNS if name != "row_hash"}
    return sha256_hex(ROW_DOMAIN + canonical_bytes(body))


def _event(row: sqlite3.Row | tuple) -> Event:
    values = dict(zip(COLUMNS, row, strict=True))
    values["payload"] = json.loads(values["payload"])
    values["files"] = tuple(FileRef(f["path"], f["sha256"]) for f in json.loads(values["files"]))
    return Event(**values)


def _check_at(at: str) -> None:
    try:
        parsed = dt.datetime.fromisoformat(at) if isinstance(at, str) else None
    except ValueError:
        parsed = None
    if parsed is None:  # a UTC offset is recommended (the CLI writes one) but not demanded
        raise ArchiveError(f"事件时间不可用：「{at}」（应为 ISO 8601 时间，如 2026-03-01T09:00:00+08:00）")


def _check_payload_shape(kind: str, payload: Any) -> None:
    if not isinstance(payload, dict):
        raise ArchiveError(f"{kind} 事件的内容应为 JSON 对象")


def check_draw_payload(payload: Any, draw_id: str) -> None:
    """A draw payload is {"draw_id", "date", "units": [{"key", "team": [cert_no, …]}, …]}."""
    _check_payload_shape("draw", payload)
    if payload.get("draw_id") != draw_id:
        raise ArchiveError(f"draw 事件内容中的 draw_id 应为「{draw_id}」")
    try:
        dt.date.fromisoformat(payload.get("date"))
    except (TypeError, ValueError):
        raise ArchiveError(f"draw 事件内容中的 date 不可用：「{payload.get('date')}」（应为 YYYY-MM-DD）") from None
    units = payload.get("units")
    if not isinstance(units, list) or not all(_unit_ok(u) for u in units):
        raise ArchiveError("draw 事件内容中的 units 应为 [{\"key\": 字符串, \"team\": [执法证号, …]}, …]")


def _unit_ok(unit: Any) -> bool:
    if not isinstance(unit, dict) or not isinstance(unit.get("key"), str) or not unit["key"]:
        return False
    team = unit.get("team", [])
    return isinstance(team, list) and all(isinstance(c, str) and c for c in team)


class Ledger:
    """An append-only, hash-chained event table in SQLite (WAL, synchronous=FULL)."""

    def __init__(self, path: Path, root: Path | None = None, *, create: bool = True):
        self.path = Path(path)
        self.root = Path(root).resolve() if root is not None else self.path.parent.resolve()
        if not create and not self.path.is_file():
            raise ArchiveError(f"账本不存在：{self.path.name}")
        self._conn = self._connect(create)

    # --- connection -------------------------------------------------------------------------

    def _connect(self, create: bool) -> sqlite3.Connection:
        if create:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # isolation_level=None: we issue BEGIN IMMEDIATE ourselves so appends serialise.
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
            conn.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")
            if create:
                self._create_schema(conn)
            self._check_schema(conn)
        except sqlite3.DatabaseError as exc:
            raise ArchiveError(f"账本文件已损坏或不是 dsr 账本，无法读取：{self.path.name}（{exc}）") from None
        return conn

    @staticmethod
    def _create_schema(conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _SCHEMA.split(";\n"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def _check_schema(self, conn: sqlite3.Connection) -> None:
        names = tuple(r[1] for r in conn.execute("PRAGMA table_info(events)"))
        if names != COLUMNS:
            raise ArchiveError(f"账本文件已损坏或不是 dsr 账本，无法读取：{self.path.name}（events 表结构不符）")

    def close(self) -> None:
        """Close the connection; the WAL is checkpointed by SQLite when the last one closes."""
        self._conn.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- appending --------------------------------------------------------------------------

    def append(
        self,
        kind: str,
        *,
        at: str,
        payload: Any = None,
        ceremony_id: str | None = None,
        commitment_hash: str | None = None,
        brigade: str | None = None,
        draw_id: str | None = None,
        files: Sequence[FileRef] = (),
    ) -> Event:
        """Validate and append one event in a single IMMEDIATE transaction; return the stored row."""
        payload = {} if payload is None else payload
        self._check_static(kind, at, payload, commitment_hash, brigade, draw_id, files)
        fields = {"kind": kind, "ceremony_id": ceremony_id, "commitment_hash": commitment_hash,
                  "brigade": brigade, "draw_id": draw_id, "at": at,
                  "payload": canonical_bytes(payload).decode("utf-8"), "files": files_text(files)}  # fmt: skip
        self._begin()
        try:
            self._check_rules(kind, payload, commitment_hash, brigade, draw_id, files)
            row = self._chain(fields)
            placeholders = ", ".join("?" * len(COLUMNS))
            self._conn.execute(f"INSERT INTO events ({', '.join(COLUMNS)}) VALUES ({placeholders})",
                               tuple(row[c] for c in COLUMNS))  # fmt: skip
            self._conn.execute("COMMIT")
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        return _event(tuple(row[c] for c in COLUMNS))

    def _begin(self) -> None:
        try:
            self._conn.execute("BEGIN IMMEDIATE")  # the write lock is taken before the chain head is read
        except sqlite3.OperationalError as exc:
            raise ArchiveError(f"账本正被其他进程写入，等待超时：{exc}") from None

    def _chain(self, fields: dict[str, Any]) -> dict[str, Any]:
        """Give the new row its seq and prev_hash from the current head, then its own hash."""
        last = self._conn.execute("SELECT seq, row_hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        row = {"seq": last[0] + 1 if last else 1, **fields, "prev_hash": last[1] if last else GENESIS}
        row["row_hash"] = row_hash(row)
        return row

    def _check_static(self, kind, at, payload, commitment_hash, brigade, draw_id, files) -> None:
        """Checks that need no other row: kind, time, field shapes, the payload's JSON form."""
        if kind not in KINDS:
            raise ArchiveError(f"未知的事件类型：「{kind}」（应为 {'、'.join(KINDS)} 之一）")
        _check_at(at)
        if commitment_hash is not None and not (isinstance(commitment_hash, str) and _HEX64.match(commitment_hash)):
            raise ArchiveError(f"承诺哈希不可用：「{commitment_hash}」（应为 64 位小写十六进制）")
        _check_payload_shape(kind, payload)
        canonical_bytes(payload)  # raises TypeError on floats and other values with no canonical form
        given = {"commitment_hash": commitment_hash, "brigade": brigade, "draw_id": draw_id}
        for name in _REQUIRED.get(kind, ()):
            if not given[name]:
                raise ArchiveError(f"{kind} 事件缺少 {name}")
        if kind == "draw":
            check_draw_payload(payload, draw_id)
        if kind == "record" and not files:
            raise ArchiveError("record 事件必须列出档案文件")

    def _check_rules(self, kind, payload, commitment_hash, brigade, draw_id, files) -> None:
        """Checks against earlier rows, run inside the write transaction so no other append interleaves."""
        for ref in files:
            self._check_file(ref)
        if kind == "draw":
            self._refuse_second_draw(commitment_hash, brigade, draw_id)
        elif kind == "void":
            self._check_void(payload, commitment_hash, brigade, draw_id)

    def _check_file(self, ref: FileRef) -> None:
        check_relative("文件路径", ref.path)
        path = (self.root / ref.path).resolve()
        if not path.is_relative_to(self.root) or not path.is_file():
            raise ArchiveError(f"事件所列文件不存在：{ref.path}")
        if hash_file(path) != ref.sha256:
            raise ArchiveError(f"事件所列文件哈希不符：{ref.path}")

    def _refuse_second_draw(self, commitment_hash: str, brigade: str, draw_id: str) -> None:
        current = self.current_draw(commitment_hash, brigade)
        if current is not None:
            raise ArchiveError(
                f"承诺 {commitment_hash} 在{brigade}已有抽取 {current.draw_id}（seq={current.seq}）且未作废；"
                "如需重新抽取，须先作废并注明理由"
            )
        used = self._conn.execute(
            "SELECT seq FROM events WHERE kind = 'draw' AND brigade = ? AND draw_id = ? LIMIT 1", (brigade, draw_id)
        ).fetchone()
        if used is not None:
            raise ArchiveError(f"{brigade}的抽取编号 {draw_id} 已被使用（seq={used[0]}），重新抽取须用新编号")

    def _check_void(self, payload: dict, commitment_hash: str, brigade: str, draw_id: str) -> None:
        reason = payload.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise ArchiveError("作废必须注明理由")
        current = self.current_draw(commitment_hash, brigade)
        if current is None:
            raise ArchiveError(f"承诺 {commitment_hash} 在{brigade}没有可作废的抽取")
        if payload.get("voided_seq") != current.seq or draw_id != current.draw_id:
            raise ArchiveError(f"作废对象不符：当前有效抽取为 {current.draw_id}（seq={current.seq}）")

    def void(self, commitment_hash: str, brigade: str, reason: str, *, at: str) -> Event:
        """Void the current draw of a commitment in a brigade, with a reason the next record will show."""
        if not isinstance(reason, str) or not reason.strip():
            raise ArchiveError("作废必须注明理由")
        current = self.current_draw(commitment_hash, brigade)
        if current is None:
            raise ArchiveError(f"承诺 {commitment_hash} 在{brigade}没有可作废的抽取")
        return self.append(
            "void",
            at=at,
            payload={"reason": reason.strip(), "voided_seq": current.seq},
            ceremony_id=current.ceremony_id,
            commitment_hash=commitment_hash,
            brigade=brigade,
            draw_id=current.draw_id,
        )

    def append_record(self, folder_refs: Sequence[FileRef], *, at: str, brigade: str, draw_id: str,
                      payload: Any = None, ceremony_id: str | None = None,
                      commitment_hash: str | None = None) -> Event:  # fmt: skip
        """Append the `record` row for a folder already renamed into place (refs from Archive.folder_refs)."""
        if not any(Path(r.path).name == MANIFEST for r in folder_refs):
            raise ArchiveError(f"record 事件必须包含档案文件夹的 {MANIFEST}")
        return self.append("record", at=at, payload=payload, ceremony_id=ceremony_id,
                           commitment_hash=commitment_hash, brigade=brigade, draw_id=draw_id,
                           files=folder_refs)  # fmt: skip

    def verify(self, archive_root: Path | None = None, expect_head: tuple[int, str] | None = None):
        """Check the chain, every row hash, every named file and folder; see dsr.archive.verify."""
        from dsr.archive.verify import verify_ledger  # here, not on top: verify imports this module

        return verify_ledger(self, Archive(archive_root or self.root), expect_head)

    # --- queries ----------------------------------------------------------------------------

    def events(self, kind: str | None = None) -> tuple[Event, ...]:
        """Every event in chain order, or only those of one kind."""
        sql = f"SELECT {', '.join(COLUMNS)} FROM events"
        rows = self._conn.execute(sql + (" WHERE kind = ?" if kind else "") + " ORDER BY seq", (kind,) if kind else ())
        return tuple(_event(r) for r in rows)

    def head(self) -> tuple[int, str] | None:
        """(seq, row_hash) of the last row: the value to publish so truncation can be detected later."""
        row = self._conn.execute("SELECT seq, row_hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
        return (row[0], row[1]) if row else None

    def current_draw(self, commitment_hash: str, brigade: str) -> Event | None:
        """The latest draw of a commitment in a brigade if no void followed it, else None."""
        row = self._conn.execute(
            f"SELECT {', '.join(COLUMNS)} FROM events WHERE kind = 'draw' AND commitment_hash = ? AND brigade = ?"
            " ORDER BY seq DESC LIMIT 1",
            (commitment_hash, brigade),
        ).fetchone()
        if row is None:
            return None
        draw = _event(row)
        return None if draw.seq in self._voided_seqs() else draw

    def _voided_seqs(self) -> set[int]:
        return {e.payload.get("voided_seq") for e in self.events("void")}

    def voids_for(self, commitment_hash: str, brigade: str) -> tuple[Event, ...]:
        """Every void of a commitment in a brigade, oldest first."""
        return tuple(e for e in self.events("void") if (e.commitment_hash, e.brigade) == (commitment_hash, brigade))

    def last_void_reason(self, commitment_hash: str, brigade: str) -> str | None:
        """The reason of the latest void of a commitment in a brigade, for the next record to show."""
        voids = self.voids_for(commitment_hash, brigade)
        return voids[-1].payload["reason"] if voids else None

    def history(self, year: int, brigade: str | None = None) -> tuple[HistoryEntry, ...]:
        """Units drawn in non-voided draws dated in `year` (optionally one brigade), with their teams."""
        voided = self._voided_seqs()
        out = []
        for draw in self.events("draw"):
            if draw.seq in voided or (brigade is not None and draw.brigade != brigade):
                continue
            date = dt.date.fromisoformat(draw.payload["date"])
            if date.year != year:
                continue
            for unit in draw.payload["units"]:
                out.append(HistoryEntry(unit["key"], draw.draw_id, date, tuple(unit.get("team", ()))))
        return tuple(out)

    def registered_folders(self) -> frozenset[str]:
        """Root-relative folders whose MANIFEST.sha256 some ledger row names."""
        found = set()
        for event in self.events():
            for ref in event.files:
                if Path(ref.path).name == MANIFEST:
                    found.add(Path(ref.path).parent.as_posix())
        return frozenset(found)

    def raw_rows(self) -> tuple[tuple, ...]:
        """Every row as stored, unparsed, in seq order: what verification reads."""
        try:
            return tuple(self._conn.execute(f"SELECT {', '.join(COLUMNS)} FROM events ORDER BY seq"))
        except sqlite3.DatabaseError as exc:
            raise ArchiveError(f"账本文件已损坏，无法读取：{self.path.name}（{exc}）") from None
