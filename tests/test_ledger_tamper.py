"""Hand edits of the ledger or the archive: every one is caught by verify, naming the first bad row."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from archive_helpers import AT, BRIGADE, C1, filled, tamper
from dsr.archive import LEDGER_NAME, Archive, Ledger, recover
from dsr.archive.ledger import COLUMNS, row_hash
from dsr.errors import ArchiveError


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A six-row archive (records at seq 3 and 6), closed so the test can edit it by hand."""
    _archive, ledger = filled(tmp_path)
    ledger.close()
    return tmp_path


def _verify(root: Path, expect_head=None):
    with Ledger(root / LEDGER_NAME, create=False) as ledger:
        return ledger.verify(expect_head=expect_head)


def _failed(result) -> dict[str, str]:
    return {c.name: c.detail for c in result.checks if not c.ok}


def _rows(root: Path) -> list[dict]:
    with Ledger(root / LEDGER_NAME, create=False) as ledger:
        return [dict(zip(COLUMNS, r, strict=True)) for r in ledger.raw_rows()]


def test_untouched_archive_passes(root: Path):
    """The baseline: no check fails."""
    assert _failed(_verify(root)) == {}


def test_edited_payload_byte_names_the_row(root: Path):
    """One changed character in a payload breaks that row's hash."""
    tamper(root / LEDGER_NAME, "UPDATE events SET payload = replace(payload, 'U2', 'U9') WHERE seq = 2")
    result = _verify(root)
    assert _failed(result) == {"行哈希": "第 2 条记录（seq=2）哈希不符：内容被修改"}
    assert result.first_bad == "第 2 条记录（seq=2）哈希不符：内容被修改"


def test_edited_time_column_names_the_row(root: Path):
    """Columns outside the payload are covered by the hash too."""
    tamper(root / LEDGER_NAME, "UPDATE events SET at = '2026-02-28T09:00:00+08:00' WHERE seq = 4")
    assert _verify(root).first_bad == "第 4 条记录（seq=4）哈希不符：内容被修改"


def test_deleted_row_breaks_sequence_and_chain(root: Path):
    """Deleting a middle row leaves a seq gap and a broken link at the row after it."""
    tamper(root / LEDGER_NAME, "DELETE FROM events WHERE seq = 4")
    result = _verify(root)
    failed = _failed(result)
    assert failed["序号"] == "第 4 条记录（seq=5）序号不连续：应为 seq=4"
    assert failed["哈希链"] == "第 4 条记录（seq=5）前一哈希不符：链条断裂（记录被删除、插入或调换）"
    assert result.first_bad == "第 4 条记录（seq=5）序号不连续：应为 seq=4"


def test_deleted_record_row_leaves_its_folder_unregistered(root: Path):
    """Deleting the last row, a record, shows up as a folder with no ledger row."""
    tamper(root / LEDGER_NAME, "DELETE FROM events WHERE seq = 6")
    assert _failed(_verify(root)) == {
        "未登记文件夹": "文件夹 2026/文峰区/D-002 无账本记录（共 1 个；若为中断的批次，下次运行会移入 .orphans）"
    }


def test_truncated_tail_is_caught_against_the_published_head(root: Path):
    """Cutting rows off the end leaves a valid shorter chain; the published head exposes it."""
    head = (6, _rows(root)[5]["row_hash"])
    tamper(root / LEDGER_NAME, "DELETE FROM events WHERE seq >= 5")
    failed = _failed(_verify(root, expect_head=head))
    assert set(failed) == {"未登记文件夹", "公布的账本头"}  # the cut record row also orphans its folder
    assert failed["公布的账本头"] == f"公布的账本头 seq=6 哈希 {head[1]} 不在账本中（记录被截断或改写）"


def test_swapped_contents_of_two_rows_name_the_first(root: Path):
    """Exchanging two rows' contents while keeping seq breaks the hash at the earlier one."""
    cols = [c for c in COLUMNS if c != "seq"]
    sets = ", ".join(f"{c} = (SELECT {c} FROM events AS o WHERE o.seq = 5 - events.seq)" for c in cols)
    tamper(root / LEDGER_NAME, "CREATE TABLE copy AS SELECT * FROM events",
           f"UPDATE events SET {sets.replace('FROM events AS o', 'FROM copy AS o')} WHERE seq IN (2, 3)")  # fmt: skip
    result = _verify(root)
    assert result.first_bad == "第 2 条记录（seq=2）哈希不符：内容被修改"
    assert _failed(result)["哈希链"] == "第 2 条记录（seq=2）前一哈希不符：链条断裂（记录被删除、插入或调换）"


def test_renumbered_rows_are_caught(root: Path):
    """Swapping the seq of two whole rows (each keeping its own hash) reorders the chain and is caught."""
    tamper(root / LEDGER_NAME, "UPDATE events SET seq = 100 WHERE seq = 2",
           "UPDATE events SET seq = 2 WHERE seq = 3", "UPDATE events SET seq = 3 WHERE seq = 100")  # fmt: skip
    result = _verify(root)
    assert result.first_bad == "第 2 条记录（seq=2）哈希不符：内容被修改"
    assert _failed(result)["哈希链"] == "第 2 条记录（seq=2）前一哈希不符：链条断裂（记录被删除、插入或调换）"


def test_edit_with_recomputed_row_hash_breaks_the_next_link(root: Path):
    """An editor who recomputes the edited row's hash still breaks the link of the row after it."""
    row = _rows(root)[1]
    row["payload"] = row["payload"].replace("U2", "U9")
    new_hash = row_hash(row)
    tamper(root / LEDGER_NAME, "UPDATE events SET payload = ?, row_hash = ? WHERE seq = 2",
           params=(row["payload"], new_hash))  # fmt: skip
    assert _verify(root).first_bad == "第 3 条记录（seq=3）前一哈希不符：链条断裂（记录被删除、插入或调换）"


def test_full_rewrite_is_caught_against_the_published_head(root: Path):
    """Rehashing every row after an edit keeps the chain whole; only the published head can tell."""
    head = (6, _rows(root)[5]["row_hash"])
    rows = _rows(root)
    rows[1]["payload"] = rows[1]["payload"].replace("U2", "U9")
    prev = "0" * 64
    for row in rows:
        row["prev_hash"] = prev
        row["row_hash"] = prev = row_hash(row)
    tamper(root / LEDGER_NAME, "DELETE FROM events")
    for row in rows:
        tamper(root / LEDGER_NAME, f"INSERT INTO events VALUES ({', '.join('?' * len(COLUMNS))})",
               params=tuple(row[c] for c in COLUMNS))  # fmt: skip
    assert _verify(root).ok  # the documented limit: a chain alone cannot detect a complete rewrite
    failed = _failed(_verify(root, expect_head=head))
    assert list(failed) == ["公布的账本头"]


def test_forged_second_draw_with_valid_hashes_breaks_the_rules(root: Path):
    """A correctly hashed but forbidden second draw of one commitment is caught by replaying the rules."""
    last = _rows(root)[-1]
    row = {"seq": 7, "kind": "draw", "ceremony_id": None, "commitment_hash": C1, "brigade": BRIGADE,
           "draw_id": "D-009", "at": AT, "payload": '{"date":"2026-03-01","draw_id":"D-009","units":[]}',
           "files": "[]", "prev_hash": last["row_hash"]}  # fmt: skip
    row["row_hash"] = row_hash(row)
    tamper(root / LEDGER_NAME, f"INSERT INTO events VALUES ({', '.join('?' * len(COLUMNS))})",
           params=tuple(row[c] for c in COLUMNS))  # fmt: skip
    result = _verify(root)
    assert _failed(result) == {"规则": "第 7 条记录（seq=7）违反规则：同一承诺的第二次抽取，之前的抽取（seq=2）未作废"}


def test_non_canonical_payload_is_caught(root: Path):
    """A payload rewritten with spaces (same meaning, other bytes) fails the format check."""
    tamper(root / LEDGER_NAME, "UPDATE events SET payload = replace(payload, ',', ', ') WHERE seq = 2")
    failed = _failed(_verify(root))
    assert failed["格式"] == "第 2 条记录（seq=2）格式不符：payload 不是规范 JSON"


def test_changed_file_on_disk_names_row_and_file(root: Path):
    """A record file altered after the fact is named with the row that lists it."""
    folder = root / "2026" / BRIGADE / "D-001"
    os.chmod(folder / "record.pdf", 0o644)
    (folder / "record.pdf").write_bytes(b"%PDF forged")
    failed = _failed(_verify(root))
    assert failed["所列文件"] == "第 3 条记录（seq=3）所列文件哈希不符：2026/文峰区/D-001/record.pdf"
    assert failed["文件夹清单"] == "第 3 条记录（seq=3）：文件夹 2026/文峰区/D-001 文件哈希不符：record.pdf"


def test_missing_file_names_row_and_file(root: Path):
    """A deleted record file is named."""
    folder = root / "2026" / BRIGADE / "D-002"
    os.chmod(folder, 0o755)
    (folder / "record.pdf").unlink()
    assert _verify(root).first_bad == "第 6 条记录（seq=6）所列文件缺失：2026/文峰区/D-002/record.pdf"


def test_unlisted_file_in_a_record_folder_is_caught(root: Path):
    """A file slipped into a sealed folder is not in its manifest and is named."""
    folder = root / "2026" / BRIGADE / "D-001"
    os.chmod(folder, 0o755)
    (folder / "extra.txt").write_text("补充")
    result = _verify(root)
    assert _failed(result) == {"文件夹清单": "第 3 条记录（seq=3）：文件夹 2026/文峰区/D-001 有清单外文件：extra.txt"}


def test_forged_path_in_files_column_is_not_followed(root: Path):
    """A files entry edited to point outside the root is reported, never opened."""
    forged = "2026/文峰区/D-001/record.pdf/../../../../../etc/passwd"  # still sorts last: stays canonical
    tamper(root / LEDGER_NAME, f"UPDATE events SET files = replace(files, '2026/文峰区/D-001/record.pdf', "
                               f"'{forged}') WHERE seq = 3")  # fmt: skip
    failed = _failed(_verify(root))
    assert failed["所列文件"] == f"第 3 条记录（seq=3）所列文件路径不可用：{forged}"


def test_corrupted_database_file_is_refused_clearly(root: Path):
    """Garbage over the SQLite header cannot be read at all: a clear ArchiveError, not a traceback."""
    with open(root / LEDGER_NAME, "r+b") as fh:
        fh.write(b"\x00" * 100)
    for suffix in ("-wal", "-shm"):
        (root / (LEDGER_NAME + suffix)).unlink(missing_ok=True)
    with pytest.raises(ArchiveError) as err:
        _verify(root)
    assert str(err.value).startswith("账本文件已损坏或不是 dsr 账本，无法读取：ledger.sqlite3（")


def test_planted_symlink_folder_is_reported_not_followed(root: Path, tmp_path_factory):
    """A symlink posing as a record folder is an unregistered folder, and recovery refuses to move it."""
    outside = tmp_path_factory.mktemp("outside")
    (root / "2026" / BRIGADE / "D-666").symlink_to(outside, target_is_directory=True)
    assert _failed(_verify(root)) == {
        "未登记文件夹": "文件夹 2026/文峰区/D-666 无账本记录（共 1 个；若为中断的批次，下次运行会移入 .orphans）"
    }
    archive = Archive(root)
    with archive.batch_lock(), Ledger(root / LEDGER_NAME) as ledger, pytest.raises(ArchiveError) as err:
        recover(archive, ledger)
    assert str(err.value) == f"路径越出档案根目录：{root.resolve() / '2026' / BRIGADE / 'D-666'}"


def test_a_folder_whose_row_comes_a_moment_later_is_not_a_stray(tmp_path: Path):
    """A batch renames a record folder into place, then appends its row: a verify in between waits for the row
    (up to about a second), so `dsr ledger verify` beside a running batch passes; a folder whose row never comes
    is still reported."""
    import threading

    from archive_helpers import C2, draw_payload

    archive, ledger = filled(tmp_path)
    with archive.batch_lock():
        ledger.append("draw", at=AT, commitment_hash=C2, brigade="北关区", draw_id="D-003",
                      payload=draw_payload("D-003"), ceremony_id="CER-1")  # fmt: skip
        folder = archive.write_record(2026, "北关区", "D-003", {"record.pdf": b"%PDF D-003"})
        def append_late() -> None:  # a connection of its own, as the batch's process has
            with Ledger(tmp_path / LEDGER_NAME) as other:
                other.append_record(archive.folder_refs(folder), at=AT, brigade="北关区", draw_id="D-003",
                                    commitment_hash=C2)

        late = threading.Timer(0.2, append_late)
        late.start()
        try:
            assert _failed(_verify(tmp_path)) == {}
        finally:
            late.join()
        archive.write_record(2026, "北关区", "D-004", {"record.pdf": b"%PDF D-004"})  # no row will come
    assert _failed(_verify(tmp_path)) == {
        "未登记文件夹": "文件夹 2026/北关区/D-004 无账本记录（共 1 个；若为中断的批次，下次运行会移入 .orphans）"
    }
    ledger.close()
