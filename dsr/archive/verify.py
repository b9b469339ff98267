"""`dsr ledger verify`: the chain, each row's hash, every file it names, and the folders on disk."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dsr.archive.ledger import COLUMNS, GENESIS, KINDS, Ledger, files_text, row_hash
from dsr.archive.manifest import MANIFEST, FileRef, hash_file, verify_folder
from dsr.archive.names import check_relative
from dsr.archive.store import ORPHANS, Archive
from dsr.core.canonical import canonical_bytes
from dsr.errors import ArchiveError


@dataclass(frozen=True)
class Check:
    """One line of the verification report: a name, a verdict and what was found."""

    name: str
    ok: bool
    detail: str
    position: int | None = None  # 1-based position of the first bad row, when a row is to blame


@dataclass(frozen=True)
class LedgerCheck:
    """Every check of one ledger and archive; `ok` only when all pass."""

    rows: int
    head: tuple[int, str] | None
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        """The bottom line."""
        return all(c.ok for c in self.checks)

    @property
    def first_bad(self) -> str | None:
        """The detail of the failing check whose row comes first (row problems before folder ones)."""
        bad = [c for c in self.checks if not c.ok]
        if not bad:
            return None
        return min(bad, key=lambda c: (c.position is None, c.position or 0)).detail


def _where(position: int, row: dict[str, Any]) -> str:
    return f"第 {position} 条记录（seq={row['seq']}）"


@dataclass
class _Finder:
    """Keeps the first failure of one check while the rows stream past."""

    name: str
    passed: str
    detail: str | None = None
    position: int | None = None

    def fail(self, position: int | None, detail: str) -> None:
        if self.detail is None:
            self.detail, self.position = detail, position

    def result(self) -> Check:
        if self.detail is None:
            return Check(self.name, True, self.passed)
        return Check(self.name, False, self.detail, self.position)


def _format_problem(row: dict[str, Any]) -> str | None:
    """Why a stored row is not in the form dsr writes, or None."""
    if row["kind"] not in KINDS:
        return f"未知的事件类型「{row['kind']}」"
    try:
        payload = json.loads(row["payload"])
        files = json.loads(row["files"])
        if canonical_bytes(payload).decode("utf-8") != row["payload"]:
            return "payload 不是规范 JSON"
        if files_text(_refs(files)) != row["files"]:
            return "files 不是规范 JSON"
    except (ValueError, TypeError, KeyError, AttributeError):
        return "payload 或 files 无法解析"
    return None


def _refs(files: list[dict[str, str]]) -> list[FileRef]:
    return [FileRef(f["path"], f["sha256"]) for f in files]


def _file_problem(root: Path, ref: dict[str, str]) -> str | None:
    rel = ref.get("path", "")
    try:
        check_relative("文件路径", rel)
    except ArchiveError:
        return f"所列文件路径不可用：{rel}"
    path = (root / rel).resolve()
    if not path.is_relative_to(root):
        return f"所列文件路径越出档案根目录：{rel}"
    if not path.is_file():
        return f"所列文件缺失：{rel}"
    if hash_file(path) != ref.get("sha256"):
        return f"所列文件哈希不符：{rel}"
    return None


class _Rules:
    """Replays the draw/void rules so a rewritten-but-rehashed ledger cannot hide a second draw."""

    def __init__(self) -> None:
        self.current: dict[tuple[str, str], int] = {}

    def problem(self, row: dict[str, Any]) -> str | None:
        key = (row["commitment_hash"], row["brigade"])
        payload = json.loads(row["payload"])
        if row["kind"] == "draw":
            if key in self.current:
                return f"同一承诺的第二次抽取，之前的抽取（seq={self.current[key]}）未作废"
            self.current[key] = row["seq"]
        elif row["kind"] == "void":
            if not str(payload.get("reason", "")).strip():
                return "作废未注明理由"
            if self.current.get(key) != payload.get("voided_seq"):
                return "作废的不是当前有效抽取"
            del self.current[key]
        return None


def verify_ledger(ledger: Ledger, archive: Archive, expect_head: tuple[int, str] | None = None) -> LedgerCheck:
    """Walk every row once, then the folders; report the first failure of each check."""
    rows = [dict(zip(COLUMNS, r, strict=True)) for r in ledger.raw_rows()]
    seq = _Finder("序号", f"共 {len(rows)} 条记录，序号 1–{len(rows)} 连续" if rows else "账本为空")
    hashes = _Finder("行哈希", "每条记录的哈希与内容一致")
    chain = _Finder("哈希链", "每条记录都链接到前一条")
    form = _Finder("格式", "事件类型与 JSON 格式正确")
    rules = _Finder("规则", "无未作废的重复抽取，作废均有理由")
    files = _Finder("所列文件", "所列文件都在且哈希一致")
    folders = _Finder("文件夹清单", "档案文件夹与各自的清单一致")
    replay = _Rules()
    prev = GENESIS
    for position, row in enumerate(rows, start=1):
        where = _where(position, row)
        if row["seq"] != position:
            seq.fail(position, f"{where}序号不连续：应为 seq={position}")
        if row_hash(row) != row["row_hash"]:
            hashes.fail(position, f"{where}哈希不符：内容被修改")
        if row["prev_hash"] != prev:
            chain.fail(position, f"{where}前一哈希不符：链条断裂（记录被删除、插入或调换）")
        prev = row["row_hash"]
        problem = _format_problem(row)
        if problem:
            form.fail(position, f"{where}格式不符：{problem}")
            continue  # the checks below read the JSON columns
        problem = replay.problem(row)
        if problem:
            rules.fail(position, f"{where}违反规则：{problem}")
        _check_row_files(archive, row, position, where, files, folders)
    checks = [f.result() for f in (seq, hashes, chain, form, rules, files, folders)]
    checks.append(_unregistered(_registered(rows), archive, ledger))
    if expect_head is not None:
        checks.append(_head_check(rows, expect_head))
    head = (rows[-1]["seq"], rows[-1]["row_hash"]) if rows else None
    return LedgerCheck(len(rows), head, tuple(checks))


def _check_row_files(archive: Archive, row, position: int, where: str, files: _Finder, folders: _Finder) -> None:
    for ref in json.loads(row["files"]):
        problem = _file_problem(archive.root, ref)
        if problem:
            files.fail(position, f"{where}{problem}")
        elif Path(ref["path"]).name == MANIFEST:
            rel = Path(ref["path"]).parent.as_posix()
            check = verify_folder(archive.root / rel, label=rel)
            if not check.ok:
                folders.fail(position, f"{where}：{check.problems()[0]}")


def _registered(rows: list[dict[str, Any]]) -> frozenset[str]:
    """Folders whose manifest some row names, read from the raw rows: a row broken by hand is skipped,
    not raised (the format check has already named it)."""
    found = set()
    for row in rows:
        try:
            refs = json.loads(row["files"])
        except (TypeError, ValueError):
            continue
        for ref in refs if isinstance(refs, list) else ():
            path = ref.get("path") if isinstance(ref, dict) else None
            if isinstance(path, str) and Path(path).name == MANIFEST:
                found.add(Path(path).parent.as_posix())
    return frozenset(found)


# A batch renames a record folder into place, then appends its ledger row (dsr.ceremony.batch): a verify running
# beside it can list the folder before the row exists. Such a folder is looked for again in the rows appended
# since, for about a second in all; a folder left by a dead batch stays unregistered and is reported.
RECHECKS = (0.05, 0.1, 0.15, 0.3, 0.4)  # seconds to wait before each re-read of the ledger


def _unregistered(registered: frozenset[str], archive: Archive, ledger: Ledger | None = None) -> Check:
    # relative_to, not resolve: a planted symlink is reported as a stray, not followed
    names = [f.relative_to(archive.root).as_posix() for f in archive.record_folders()]
    strays = [name for name in names if name not in registered]
    for pause in RECHECKS if ledger is not None else ():
        if not strays:
            break
        time.sleep(pause)
        now = _registered([dict(zip(COLUMNS, r, strict=True)) for r in ledger.raw_rows()])
        strays = [name for name in strays if name not in now]
    if not strays:
        return Check("未登记文件夹", True, "档案中的每个文件夹都有账本记录")
    return Check(
        "未登记文件夹", False,
        f"文件夹 {strays[0]} 无账本记录（共 {len(strays)} 个；若为中断的批次，下次运行会移入 {ORPHANS}）",
    )  # fmt: skip


def _head_check(rows: list[dict[str, Any]], expect_head: tuple[int, str]) -> Check:
    seq, digest = expect_head
    found = rows[seq - 1] if 0 < seq <= len(rows) else None
    if found is None or found["seq"] != seq or found["row_hash"] != digest:
        return Check("公布的账本头", False, f"公布的账本头 seq={seq} 哈希 {digest} 不在账本中（记录被截断或改写）", seq)
    return Check("公布的账本头", True, f"公布的账本头 seq={seq} 在账本中")
