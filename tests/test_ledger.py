"""The ledger: chained appends, the draw/void rules, file checks and the history it gives the next draw."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest

from dsr.archive import LEDGER_NAME, Archive, FileRef, Ledger
from dsr.archive.ledger import GENESIS, ROW_DOMAIN
from dsr.core.canonical import canonical_bytes, sha256_hex
from dsr.core.model import HistoryEntry
from dsr.errors import ArchiveError
from archive_helpers import AT, BRIGADE, C1, C2, draw_payload, filled


@pytest.fixture
def ledger(tmp_path: Path):
    """An empty ledger in a fresh archive root."""
    with Ledger(tmp_path / LEDGER_NAME) as led:
        yield led


def _draw(ledger: Ledger, c: str = C1, draw_id: str = "D-001", brigade: str = BRIGADE, **kw):
    return ledger.append("draw", at=AT, commitment_hash=c, brigade=brigade, draw_id=draw_id,
                         payload=draw_payload(draw_id, **kw))  # fmt: skip


def test_ledger_uses_wal_and_full_sync(ledger: Ledger):
    """The journal is WAL and every commit is fsynced (synchronous=FULL is 2)."""
    conn = ledger._conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2


def test_first_row_chains_to_zeros_and_hash_follows_the_documented_encoding(ledger: Ledger):
    """row_hash = SHA-256(domain tag ‖ canonical JSON of every other column), prev of row 1 = 64 zeros."""
    event = ledger.append("commit", at=AT, commitment_hash=C1, ceremony_id="CER-1", payload={"说明": "首次"})
    body = {"seq": 1, "kind": "commit", "ceremony_id": "CER-1", "commitment_hash": C1, "brigade": None,
            "draw_id": None, "at": AT, "payload": '{"说明":"首次"}', "files": "[]", "prev_hash": GENESIS}  # fmt: skip
    assert ROW_DOMAIN == b"dsr-ledger-row/v1\n"
    assert event.row_hash == sha256_hex(ROW_DOMAIN + canonical_bytes(body))
    assert (event.seq, event.prev_hash) == (1, GENESIS)


def test_each_row_carries_the_hash_of_the_one_before(ledger: Ledger):
    """Appends form a chain with contiguous seq."""
    events = [ledger.append("commit", at=AT, commitment_hash=c) for c in (C1, C2, C1)]
    assert [e.seq for e in events] == [1, 2, 3]
    assert [e.prev_hash for e in events[1:]] == [events[0].row_hash, events[1].row_hash]
    assert ledger.head() == (3, events[2].row_hash)
    assert ledger.events() == tuple(events)


def test_rows_cannot_be_updated_or_deleted_through_sqlite(ledger: Ledger):
    """Triggers stop casual edits; deliberate ones are caught by verify (see the tamper tests)."""
    ledger.append("commit", at=AT, commitment_hash=C1)
    conn = sqlite3.connect(ledger.path)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("UPDATE events SET kind = 'draw'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("DELETE FROM events")
    conn.close()


def test_unknown_kind_is_refused(ledger: Ledger):
    """Only the documented kinds may be appended."""
    with pytest.raises(ArchiveError) as err:
        ledger.append("erase", at=AT)
    assert str(err.value) == "未知的事件类型：「erase」（应为 commit、draw、void、record、result、review、publish 之一）"


def test_generic_result_event_is_accepted(ledger: Ledger):
    """The results engineer's result events go through the same generic append."""
    event = ledger.append("result", at="2026-09-20T09:30:00", draw_id="D-001", payload={"state": "entered"})
    assert (event.kind, event.payload) == ("result", {"state": "entered"})


def test_bad_time_is_refused(ledger: Ledger):
    """`at` must be an ISO 8601 time; the ledger has no clock of its own."""
    with pytest.raises(ArchiveError) as err:
        ledger.append("commit", at="三月一日", commitment_hash=C1)
    assert str(err.value) == "事件时间不可用：「三月一日」（应为 ISO 8601 时间，如 2026-03-01T09:00:00+08:00）"


def test_bad_commitment_hash_is_refused(ledger: Ledger):
    """A commitment is 64 lower-case hex digits."""
    with pytest.raises(ArchiveError) as err:
        ledger.append("commit", at=AT, commitment_hash="ABC")
    assert str(err.value) == "承诺哈希不可用：「ABC」（应为 64 位小写十六进制）"


def test_floats_in_payload_are_refused(ledger: Ledger):
    """The payload must have a canonical encoding, which floats do not."""
    with pytest.raises(TypeError):
        ledger.append("commit", at=AT, commitment_hash=C1, payload={"ratio": 0.1})
    assert ledger.events() == ()


def test_draw_payload_shape_is_checked(ledger: Ledger):
    """A draw names its units and teams in the documented shape."""
    with pytest.raises(ArchiveError) as err:
        ledger.append("draw", at=AT, commitment_hash=C1, brigade=BRIGADE, draw_id="D-001",
                      payload={"draw_id": "D-001", "date": "2026-03-01", "units": ["U1"]})  # fmt: skip
    assert str(err.value) == 'draw 事件内容中的 units 应为 [{"key": 字符串, "team": [执法证号, …]}, …]'


def test_second_draw_of_a_commitment_is_refused(ledger: Ledger):
    """A re-draw without a void is refused with the earlier draw named."""
    _draw(ledger)
    with pytest.raises(ArchiveError) as err:
        _draw(ledger, draw_id="D-002")
    assert str(err.value) == (
        f"承诺 {C1} 在文峰区已有抽取 D-001（seq=1）且未作废；如需重新抽取，须先作废并注明理由"
    )


def test_same_commitment_in_another_brigade_is_a_separate_draw(ledger: Ledger):
    """The rule is per commitment and brigade."""
    _draw(ledger)
    assert _draw(ledger, brigade="北关区").seq == 2


def test_void_without_reason_is_refused(ledger: Ledger):
    """A blank reason is no reason."""
    _draw(ledger)
    with pytest.raises(ArchiveError) as err:
        ledger.void(C1, BRIGADE, "  ", at=AT)
    assert str(err.value) == "作废必须注明理由"
    with pytest.raises(ArchiveError) as err:
        ledger.append("void", at=AT, commitment_hash=C1, brigade=BRIGADE, draw_id="D-001",
                      payload={"voided_seq": 1})  # fmt: skip
    assert str(err.value) == "作废必须注明理由"


def test_void_without_a_draw_is_refused(ledger: Ledger):
    """Nothing to void, nothing appended."""
    with pytest.raises(ArchiveError) as err:
        ledger.void(C1, BRIGADE, "见证人缺席", at=AT)
    assert str(err.value) == f"承诺 {C1} 在文峰区没有可作废的抽取"
    assert ledger.events() == ()


def test_void_must_name_the_current_draw(ledger: Ledger):
    """A hand-built void pointing at the wrong row is refused."""
    _draw(ledger)
    with pytest.raises(ArchiveError) as err:
        ledger.append("void", at=AT, commitment_hash=C1, brigade=BRIGADE, draw_id="D-001",
                      payload={"reason": "x", "voided_seq": 7})  # fmt: skip
    assert str(err.value) == "作废对象不符：当前有效抽取为 D-001（seq=1）"


def test_void_then_redraw_with_a_new_id(ledger: Ledger):
    """After a void the commitment may be drawn again; the reason is there for the next record."""
    _draw(ledger)
    void = ledger.void(C1, BRIGADE, " 见证人缺席 ", at=AT)
    assert void.payload == {"reason": "见证人缺席", "voided_seq": 1}
    assert void.draw_id == "D-001"
    assert ledger.current_draw(C1, BRIGADE) is None
    redraw = _draw(ledger, draw_id="D-001R")
    assert ledger.current_draw(C1, BRIGADE) == redraw
    assert ledger.last_void_reason(C1, BRIGADE) == "见证人缺席"
    assert ledger.voids_for(C1, BRIGADE) == (void,)


def test_redraw_may_not_reuse_a_draw_id(ledger: Ledger):
    """The voided draw's folder is write-once, so its id cannot be drawn again."""
    _draw(ledger)
    ledger.void(C1, BRIGADE, "见证人缺席", at=AT)
    with pytest.raises(ArchiveError) as err:
        _draw(ledger)
    assert str(err.value) == "文峰区的抽取编号 D-001 已被使用（seq=1），重新抽取须用新编号"


def test_last_void_reason_is_none_without_voids(ledger: Ledger):
    """A first draw shows no void."""
    assert ledger.last_void_reason(C1, BRIGADE) is None


def test_history_lists_units_of_non_voided_draws_of_the_year(ledger: Ledger):
    """Voided draws and other years do not count as 'drawn earlier this year'."""
    _draw(ledger, keys=("U1",))
    ledger.void(C1, BRIGADE, "见证人缺席", at=AT)
    _draw(ledger, draw_id="D-002", keys=("U2",), date="2026-04-01")
    _draw(ledger, c=C2, draw_id="D-003", keys=("U3",), date="2025-12-30")
    _draw(ledger, c=C2, draw_id="D-004", keys=("U4",), brigade="北关区", date="2026-05-01")
    team = ("J001", "J002")
    assert ledger.history(2026) == (
        HistoryEntry("U2", "D-002", dt.date(2026, 4, 1), team),
        HistoryEntry("U4", "D-004", dt.date(2026, 5, 1), team),
    )
    assert ledger.history(2026, brigade=BRIGADE) == (HistoryEntry("U2", "D-002", dt.date(2026, 4, 1), team),)
    assert ledger.history(2025) == (HistoryEntry("U3", "D-003", dt.date(2025, 12, 30), team),)


def test_record_needs_its_files(ledger: Ledger):
    """A record row naming a file that is not there is refused, and nothing is appended."""
    with pytest.raises(ArchiveError) as err:
        ledger.append("record", at=AT, brigade=BRIGADE, draw_id="D-001",
                      files=[FileRef("2026/文峰区/D-001/record.pdf", "0" * 64)])  # fmt: skip
    assert str(err.value) == "事件所列文件不存在：2026/文峰区/D-001/record.pdf"
    assert ledger.events() == ()


def test_record_needs_files_at_all(ledger: Ledger):
    """A record names at least its folder's files."""
    with pytest.raises(ArchiveError) as err:
        ledger.append("record", at=AT, brigade=BRIGADE, draw_id="D-001")
    assert str(err.value) == "record 事件必须列出档案文件"


def test_record_file_hash_must_match(tmp_path: Path):
    """A record row whose hash disagrees with the file on disk is refused."""
    archive = Archive(tmp_path)
    with archive.batch_lock(), Ledger(tmp_path / LEDGER_NAME) as ledger:
        folder = archive.write_record(2026, BRIGADE, "D-001", {"record.pdf": b"x"})
        refs = [FileRef(r.path, "f" * 64) if r.path.endswith(".pdf") else r for r in archive.folder_refs(folder)]
        with pytest.raises(ArchiveError) as err:
            ledger.append_record(refs, at=AT, brigade=BRIGADE, draw_id="D-001")
    assert str(err.value) == "事件所列文件哈希不符：2026/文峰区/D-001/record.pdf"


def test_record_must_include_the_manifest(tmp_path: Path):
    """append_record insists on the manifest so verify can find and check the whole folder."""
    archive = Archive(tmp_path)
    with archive.batch_lock(), Ledger(tmp_path / LEDGER_NAME) as ledger:
        folder = archive.write_record(2026, BRIGADE, "D-001", {"record.pdf": b"x"})
        refs = [r for r in archive.folder_refs(folder) if r.path.endswith(".pdf")]
        with pytest.raises(ArchiveError) as err:
            ledger.append_record(refs, at=AT, brigade=BRIGADE, draw_id="D-001")
    assert str(err.value) == "record 事件必须包含档案文件夹的 MANIFEST.sha256"


def test_file_paths_may_not_leave_the_root(ledger: Ledger):
    """A ledger row cannot name a file outside the archive."""
    with pytest.raises(ArchiveError) as err:
        ledger.append("record", at=AT, brigade=BRIGADE, draw_id="D-001", files=[FileRef("../x", "0" * 64)])
    assert str(err.value) == "文件路径不能用作文件夹或文件名：「..」不得为 . 或 .."


def test_record_row_lists_every_file_with_its_hash(tmp_path: Path):
    """The files column is canonical JSON of root-relative paths and hashes, manifest included."""
    archive, ledger = filled(tmp_path)
    record = ledger.events("record")[0]
    stored = ledger._conn.execute("SELECT files FROM events WHERE seq = ?", (record.seq,)).fetchone()[0]
    assert [f["path"] for f in json.loads(stored)] == ["2026/文峰区/D-001/MANIFEST.sha256", "2026/文峰区/D-001/record.pdf"]
    assert ledger.registered_folders() == {"2026/文峰区/D-001", "2026/文峰区/D-002"}
    ledger.close()


def test_a_filled_archive_verifies(tmp_path: Path):
    """Everything written through the API passes every check."""
    _archive, ledger = filled(tmp_path)
    result = ledger.verify()
    assert result.ok, result.first_bad
    assert result.rows == 6
    assert [c.name for c in result.checks] == [
        "序号", "行哈希", "哈希链", "格式", "规则", "所列文件", "文件夹清单", "未登记文件夹",
    ]  # fmt: skip
    ledger.close()


def test_opening_a_missing_ledger_for_reading_is_refused(tmp_path: Path):
    """verify/show/void do not create an empty ledger by accident."""
    with pytest.raises(ArchiveError) as err:
        Ledger(tmp_path / LEDGER_NAME, create=False)
    assert str(err.value) == "账本不存在：ledger.sqlite3"
