"""Write-once record folders: manifest, atomic commit, path safety, staging cleanup, the batch lock."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from dsr.archive import MANIFEST, Archive, verify_folder
from dsr.archive.manifest import hash_file
from dsr.errors import ArchiveError


@pytest.fixture
def archive(tmp_path: Path):
    """An archive whose batch lock is held for the whole test."""
    arch = Archive(tmp_path / "outputs")
    with arch.batch_lock():
        yield arch


def test_write_record_places_files_and_a_sorted_manifest(archive: Archive):
    """The folder lands at <year>/<brigade>/<draw id> with a sha256sum manifest sorted by path bytes."""
    folder = archive.write_record(2026, "文峰区", "D-001", {"record.pdf": b"%PDF", "inputs/单位.csv": b"a,b\n"})
    assert folder == archive.root / "2026" / "文峰区" / "D-001"
    assert (folder / "record.pdf").read_bytes() == b"%PDF"
    expected = (
        f"{hash_file(folder / 'inputs/单位.csv')}  inputs/单位.csv\n"
        f"{hash_file(folder / 'record.pdf')}  record.pdf\n"
    )
    assert (folder / MANIFEST).read_text("utf-8") == expected
    assert verify_folder(folder).ok


def test_manifest_is_accepted_by_sha256sum(archive: Archive):
    """`sha256sum -c MANIFEST.sha256` run inside the folder confirms every file."""
    folder = archive.write_record(2026, "文峰区", "D-001", {"a.txt": b"a", "b/c.txt": b"c"})
    out = subprocess.run(["sha256sum", "-c", MANIFEST], cwd=folder, capture_output=True, text=True, check=True)
    assert out.stdout == "a.txt: OK\nb/c.txt: OK\n"


def test_record_files_can_come_from_paths(archive: Archive, tmp_path: Path):
    """A Path value is copied byte for byte."""
    src = tmp_path / "made.pdf"
    src.write_bytes(b"%PDF-1.7 rendered")
    folder = archive.write_record(2026, "文峰区", "D-001", {"record.pdf": src})
    assert (folder / "record.pdf").read_bytes() == b"%PDF-1.7 rendered"


def test_files_are_read_only_after_commit(archive: Archive):
    """Committed files lose every write bit and the folder cannot be written."""
    folder = archive.write_record(2026, "文峰区", "D-001", {"record.pdf": b"x"})
    assert stat.S_IMODE(os.stat(folder / "record.pdf").st_mode) == 0o444
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o555


def test_second_write_to_the_same_folder_is_refused(archive: Archive):
    """Write-once: the existing folder is kept and the message names it."""
    archive.write_record(2026, "文峰区", "D-001", {"record.pdf": b"first"})
    with pytest.raises(ArchiveError) as err:
        archive.write_record(2026, "文峰区", "D-001", {"record.pdf": b"second"})
    assert str(err.value) == "档案文件夹已存在，不得覆盖：2026/文峰区/D-001"
    assert (archive.record_dir(2026, "文峰区", "D-001") / "record.pdf").read_bytes() == b"first"
    assert list((archive.root / ".staging").iterdir()) == []


def test_rename_onto_a_folder_made_meanwhile_is_refused(archive: Archive):
    """A target another writer fills while we stage is never replaced; our staging is discarded."""
    with pytest.raises(ArchiveError) as err:
        with archive.staging(2026, "文峰区", "D-001") as stage:
            (stage / "record.pdf").write_bytes(b"ours")
            rival = archive.record_dir(2026, "文峰区", "D-001")
            rival.mkdir(parents=True)
            (rival / "record.pdf").write_bytes(b"theirs")
    assert str(err.value) == "档案文件夹已存在，不得覆盖：2026/文峰区/D-001"
    assert (archive.record_dir(2026, "文峰区", "D-001") / "record.pdf").read_bytes() == b"theirs"


def test_staging_commits_what_a_producer_wrote(archive: Archive):
    """A producer writing into the staging folder gets a manifest and an atomic rename on success."""
    with archive.staging(2026, "北关区", "D-007") as stage:
        assert stage.parent == archive.root / ".staging"
        (stage / "record.pdf").write_bytes(b"%PDF")
    folder = archive.record_dir(2026, "北关区", "D-007")
    assert sorted(p.name for p in folder.iterdir()) == [MANIFEST, "record.pdf"]
    assert not stage.exists()


def test_staging_failure_leaves_nothing(archive: Archive):
    """An exception inside the block removes the staging folder and creates no final folder."""
    with pytest.raises(RuntimeError):
        with archive.staging(2026, "北关区", "D-007") as stage:
            (stage / "half.pdf").write_bytes(b"%PD")
            raise RuntimeError("renderer crashed")
    assert not archive.record_dir(2026, "北关区", "D-007").exists()
    assert not stage.exists()


def test_producer_may_not_write_its_own_manifest(archive: Archive):
    """Only the archive writes MANIFEST.sha256, so it always covers what is really there."""
    with pytest.raises(ArchiveError) as err:
        with archive.staging(2026, "北关区", "D-007") as stage:
            (stage / MANIFEST).write_text("forged")
    assert str(err.value) == "生成者不得自行写入 MANIFEST.sha256"


def test_symlinks_in_a_record_are_refused(archive: Archive, tmp_path: Path):
    """A symlink could point outside the archive; the commit refuses it."""
    (tmp_path / "secret").write_text("x")
    with pytest.raises(ArchiveError) as err:
        with archive.staging(2026, "北关区", "D-007") as stage:
            (stage / "link").symlink_to(tmp_path / "secret")
    assert str(err.value) == "档案文件夹只能包含普通文件：link"


def test_empty_record_is_refused(archive: Archive):
    """A folder with nothing in it is not a record."""
    with pytest.raises(ArchiveError) as err:
        archive.write_record(2026, "文峰区", "D-001", {})
    assert str(err.value) == "档案文件夹不能为空"


@pytest.mark.parametrize(
    ("brigade", "reason"),
    [
        ("..", "不得为 . 或 .."),
        ("a/b", "不得含 /、\\ 或空字符"),
        ("a\\b", "不得含 /、\\ 或空字符"),
        ("a\x00b", "不得含 /、\\ 或空字符"),
        ("a\nb", "不得含控制字符"),
        ("a\u202eb", "不得含控制字符"),
        (" 文峰区", "首尾不得有空白"),
        (".hidden", "不得以 . 开头"),
        ("", "为空"),
        ("区" * 101, "长度不得超过 100 个字符"),
    ],
)
def test_unsafe_brigade_names_are_refused(archive: Archive, brigade: str, reason: str):
    """Names from input never become path tricks: each is refused with the reason."""
    with pytest.raises(ArchiveError) as err:
        archive.record_dir(2026, brigade, "D-001")
    assert str(err.value) == f"大队名称不能用作文件夹或文件名：「{brigade}」{reason}"


def test_unsafe_draw_id_is_refused(archive: Archive):
    """The draw id gets the same check as the brigade."""
    with pytest.raises(ArchiveError) as err:
        archive.write_record(2026, "文峰区", "../../etc", {"a": b"x"})
    assert str(err.value) == "抽取编号不能用作文件夹或文件名：「../../etc」不得含 /、\\ 或空字符"


def test_unsafe_file_name_is_refused(archive: Archive):
    """File names inside a record cannot climb out either."""
    with pytest.raises(ArchiveError) as err:
        archive.write_record(2026, "文峰区", "D-001", {"../escape.txt": b"x"})
    assert str(err.value) == "文件名不能用作文件夹或文件名：「..」不得为 . 或 .."


def test_a_symlinked_brigade_folder_cannot_lead_outside(archive: Archive, tmp_path: Path):
    """Even a planted symlink at the brigade level is caught by resolving under the root."""
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (archive.root / "2026").mkdir(parents=True)
    (archive.root / "2026" / "文峰区").symlink_to(outside)
    with pytest.raises(ArchiveError) as err:
        archive.record_dir(2026, "文峰区", "D-001")
    assert str(err.value).startswith("路径越出档案根目录：")


def test_bad_year_is_refused(archive: Archive):
    """The year is a four-digit integer, never a path fragment."""
    with pytest.raises(ArchiveError) as err:
        archive.record_dir(26, "文峰区", "D-001")
    assert str(err.value) == "年份不可用：「26」（应为 2000–2999 的整数）"


def test_writing_without_the_batch_lock_is_refused(tmp_path: Path):
    """Folder writes happen only inside a batch, so recovery never races a live writer."""
    with pytest.raises(ArchiveError) as err:
        Archive(tmp_path).write_record(2026, "文峰区", "D-001", {"a": b"x"})
    assert str(err.value) == "写入档案前须先取得批次锁"


def test_second_batch_lock_is_refused_naming_the_holder(tmp_path: Path):
    """While one batch holds the lock another refuses at once, naming the holder's PID."""
    with Archive(tmp_path).batch_lock():
        with pytest.raises(ArchiveError) as err:
            with Archive(tmp_path).batch_lock():
                pass
    assert str(err.value) == f"另一批次正在运行（进程 PID {os.getpid()}），请稍后再试"


def test_batch_lock_is_free_again_after_release(tmp_path: Path):
    """Leaving the block releases the lock for the next batch."""
    with Archive(tmp_path).batch_lock():
        pass
    with Archive(tmp_path).batch_lock() as lock:
        assert lock.path == tmp_path.resolve() / ".lock"


def _dead_staging(archive: Archive, name: str) -> Path:
    """A staging folder as a killed process leaves it: no process holds its flock."""
    path = archive.root / ".staging" / name
    path.mkdir(parents=True)
    (path / "half.pdf").write_bytes(b"%PD")
    return path


def test_clean_staging_removes_folders_of_dead_processes(archive: Archive):
    """Staging left by a killed run is removed on the next run."""
    dead = _dead_staging(archive, "D-001-999999-1")
    assert archive.clean_staging() == ("D-001-999999-1",)
    assert not dead.exists()


def test_clean_staging_keeps_a_live_owners_folder(archive: Archive):
    """A staging folder whose owner is still writing (flock held) is left alone."""
    with archive.staging(2026, "文峰区", "D-001") as stage:
        (stage / "record.pdf").write_bytes(b"%PDF")
        assert archive.clean_staging() == ()
        assert stage.exists()
    assert archive.record_dir(2026, "文峰区", "D-001").is_dir()


def test_clean_staging_keeps_folder_locked_by_another_process(archive: Archive):
    """A live owner in another process keeps its staging folder even though our pid differs."""
    path = archive.root / ".staging" / "D-009-1-1"
    path.mkdir(parents=True)
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import fcntl, os, sys, time; fd = os.open(sys.argv[1], os.O_RDONLY); fcntl.flock(fd, fcntl.LOCK_EX);"
         " print('held', flush=True); time.sleep(30)", str(path)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline() == "held\n"
        assert archive.clean_staging() == ()
    finally:
        holder.kill()
        holder.wait()
    assert archive.clean_staging() == ("D-009-1-1",)


def test_verify_folder_reports_missing_extra_and_changed(archive: Archive):
    """Each kind of difference from the manifest is named with its file."""
    folder = archive.write_record(2026, "文峰区", "D-001", {"a.txt": b"a", "b.txt": b"b", "c.txt": b"c"})
    os.chmod(folder, 0o755)
    for name in ("a.txt", "b.txt"):
        os.chmod(folder / name, 0o644)
    (folder / "a.txt").unlink()
    (folder / "b.txt").write_bytes(b"B")
    (folder / "d.txt").write_bytes(b"d")
    check = verify_folder(folder, label="2026/文峰区/D-001")
    assert not check.ok
    assert check.problems() == (
        "文件夹 2026/文峰区/D-001 缺少清单所列文件：a.txt",
        "文件夹 2026/文峰区/D-001 有清单外文件：d.txt",
        "文件夹 2026/文峰区/D-001 文件哈希不符：b.txt",
    )


def test_verify_folder_without_manifest_fails(tmp_path: Path):
    """A folder with no manifest cannot pass."""
    (tmp_path / "x.txt").write_bytes(b"x")
    check = verify_folder(tmp_path, label="x")
    assert (check.ok, check.problems()) == (False, ("文件夹 x 缺少 MANIFEST.sha256",))


def test_verify_folder_never_follows_a_forged_path(tmp_path: Path):
    """A manifest line naming ../something is malformed, not opened."""
    folder = tmp_path / "rec"
    folder.mkdir()
    (tmp_path / "outside.txt").write_bytes(b"o")
    (folder / MANIFEST).write_text(f"{hash_file(tmp_path / 'outside.txt')}  ../outside.txt\n")
    check = verify_folder(folder, label="rec")
    assert check.problems() == ("文件夹 rec 的 MANIFEST.sha256 第 1 行格式不符",)


def test_quarantine_moves_a_folder_under_orphans(archive: Archive):
    """An unclaimed folder goes to .orphans with its contents intact and sealed."""
    folder = archive.write_record(2026, "文峰区", "D-001", {"record.pdf": b"x"})
    dest = archive.quarantine(folder)
    assert not folder.exists()
    assert dest.parent == archive.root / ".orphans" / "2026" / "文峰区"
    assert dest.name.startswith("D-001-")
    assert verify_folder(dest).ok
    assert archive.record_folders() == ()
