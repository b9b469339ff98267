"""Write-once record folders under outputs/<year>/<brigade>/<draw id>/, each with a hash manifest."""

from __future__ import annotations

import errno
import fcntl
import os
import shutil
import stat
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from dsr.archive.manifest import MANIFEST, FileRef, FolderCheck, build_manifest, list_files, verify_folder
from dsr.archive.names import check_relative, check_segment
from dsr.errors import ArchiveError

__all__ = ["Archive", "BatchLock", "FileRef", "FolderCheck", "acquire_lock", "verify_folder"]

STAGING = ".staging"
ORPHANS = ".orphans"
LOCK = ".lock"
YEAR_MIN, YEAR_MAX = 2000, 2999


def _fsync_dir(path: Path) -> None:
    """Flush a directory entry so a rename or create inside it survives power loss."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_bytes(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "xb") as fh:  # "x": a producer writing one name twice is a bug, not an update
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _seal(folder: Path) -> None:
    """Make every file read-only and every directory unwritable (write-once, on the filesystem too)."""
    for dirpath, dirnames, filenames in os.walk(folder, topdown=False):
        for name in filenames:
            os.chmod(Path(dirpath) / name, 0o444)
        os.chmod(dirpath, 0o555)


def unseal(folder: Path) -> None:
    """Give back owner write permission so a folder can be moved or removed (quarantine, cleanup)."""
    for dirpath, _dirnames, _filenames in os.walk(folder):
        os.chmod(dirpath, os.stat(dirpath).st_mode | stat.S_IWUSR)


def _remove_tree(path: Path) -> None:
    if path.exists():
        unseal(path)
        shutil.rmtree(path)


@dataclass(frozen=True)
class BatchLock:
    """An exclusive lock on <root>/.lock held for the life of one batch (released by the kernel on death)."""

    path: Path
    fd: int

    def release(self) -> None:
        """Drop the lock; the file stays so the next batch can reuse it."""
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        os.close(self.fd)


def _lock_holder(path: Path) -> str:
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return "未知"
    return text if text.isdigit() else "未知"


def acquire_lock(root: Path, wait: float = 0.0) -> BatchLock:
    """Take the batch lock, polling up to `wait` seconds; refuse clearly when another batch holds it."""
    root.mkdir(parents=True, exist_ok=True)
    path = root / LOCK
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                holder = _lock_holder(path)
                os.close(fd)
                raise ArchiveError(f"另一批次正在运行（进程 PID {holder}），请稍后再试") from None
            time.sleep(0.05)
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode("ascii"), 0)
    return BatchLock(path, fd)


@dataclass(frozen=True)
class _Stage:
    path: Path
    fd: int  # flock held on the staging directory itself: a live owner keeps it, a dead one cannot


class Archive:
    """The outputs tree: write-once record folders, staging, orphans and the batch lock."""

    def __init__(self, root: Path):
        self.root = Path(root).resolve()
        self._lock: BatchLock | None = None

    # --- paths -----------------------------------------------------------------------------

    def record_dir(self, year: int, brigade: str, draw_id: str) -> Path:
        """The final folder of one record, after checking that no input escapes the root."""
        if not isinstance(year, int) or isinstance(year, bool) or not YEAR_MIN <= year <= YEAR_MAX:
            raise ArchiveError(f"年份不可用：「{year}」（应为 {YEAR_MIN}–{YEAR_MAX} 的整数）")
        check_segment("大队名称", brigade)
        check_segment("抽取编号", draw_id)
        return self._inside(self.root / str(year) / brigade / draw_id)

    def _inside(self, path: Path) -> Path:
        resolved = path.resolve()
        if not resolved.is_relative_to(self.root) or resolved == self.root:
            raise ArchiveError(f"路径越出档案根目录：{path}")
        return resolved

    def relative(self, path: Path) -> str:
        """A path inside the root written as the ledger stores it: relative, POSIX separators."""
        return self._inside(Path(path)).relative_to(self.root).as_posix()

    def resolve(self, rel: str) -> Path:
        """The absolute path of a ledger-style relative path, refused if it would leave the root."""
        check_relative("文件路径", rel)
        return self._inside(self.root / rel)

    # --- the batch lock --------------------------------------------------------------------

    @contextmanager
    def batch_lock(self, wait: float = 0.0) -> Iterator[BatchLock]:
        """Hold <root>/.lock for one batch; a second batch refuses (or waits up to `wait` seconds)."""
        lock = acquire_lock(self.root, wait)
        self._lock = lock
        try:
            yield lock
        finally:
            self._lock = None
            lock.release()

    def _require_lock(self) -> None:
        if self._lock is None:
            raise ArchiveError("写入档案前须先取得批次锁")

    @property
    def locked(self) -> bool:
        """Whether this Archive object currently holds the batch lock."""
        return self._lock is not None

    # --- writing ---------------------------------------------------------------------------

    def write_record(self, year: int, brigade: str, draw_id: str, files: Mapping[str, bytes | Path]) -> Path:
        """Write a record folder from bytes or existing files, atomically and once; return its path."""
        if not files:
            raise ArchiveError("档案文件夹不能为空")
        names = {check_relative("文件名", name): src for name, src in files.items()}
        with self.staging(year, brigade, draw_id) as stage:
            for name, src in sorted(names.items()):
                data = src if isinstance(src, bytes) else Path(src).read_bytes()
                _write_bytes(stage / name, data)
        return self.record_dir(year, brigade, draw_id)

    @contextmanager
    def staging(self, year: int, brigade: str, draw_id: str) -> Iterator[Path]:
        """Yield an empty staging folder; on success add the manifest and rename it into place."""
        self._require_lock()
        target = self.record_dir(year, brigade, draw_id)
        self._refuse_existing(target)
        stage = self._new_stage(draw_id)
        try:
            yield stage.path
            self._commit(stage.path, target)
        except BaseException:
            _remove_tree(stage.path)
            raise
        finally:
            os.close(stage.fd)

    def _refuse_existing(self, target: Path) -> None:
        if target.exists() or target.is_symlink():
            raise ArchiveError(f"档案文件夹已存在，不得覆盖：{self.relative(target)}")

    def _new_stage(self, draw_id: str) -> _Stage:
        base = self.root / STAGING
        base.mkdir(parents=True, exist_ok=True)
        path = base / f"{draw_id}-{os.getpid()}-{time.monotonic_ns()}"
        path.mkdir()
        fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return _Stage(path, fd)

    def _commit(self, stage: Path, target: Path) -> None:
        """Manifest, fsync, rename: the final path holds either nothing or a complete folder."""
        refs = list_files(stage)  # refuses symlinks and odd names
        if any(r.path == MANIFEST for r in refs):
            raise ArchiveError(f"生成者不得自行写入 {MANIFEST}")
        if not refs:
            raise ArchiveError("档案文件夹不能为空")
        for ref in refs:
            _fsync_file(stage / ref.path)
        _write_bytes(stage / MANIFEST, build_manifest(refs))
        for dirpath, _dirs, _files in os.walk(stage):
            _fsync_dir(Path(dirpath))
        target.parent.mkdir(parents=True, exist_ok=True)
        self._rename_once(stage, target)
        _seal(target)
        _fsync_dir(target.parent)
        _fsync_dir(stage.parent)

    def _rename_once(self, stage: Path, target: Path) -> None:
        self._refuse_existing(target)
        try:
            # Onto an existing non-empty folder rename fails (ENOTEMPTY): write-once even in a race.
            os.rename(stage, target)
        except OSError as exc:
            if exc.errno in (errno.ENOTEMPTY, errno.EEXIST, errno.EISDIR, errno.ENOTDIR):
                raise ArchiveError(f"档案文件夹已存在，不得覆盖：{self.relative(target)}") from None
            raise

    # --- reading and housekeeping ------------------------------------------------------------

    def folder_refs(self, folder: Path) -> tuple[FileRef, ...]:
        """Every file of a committed folder (manifest included) as root-relative FileRefs."""
        folder = self._inside(folder)
        refs = list_files(folder)
        return tuple(FileRef(self.relative(folder / r.path), r.sha256) for r in refs)

    def record_folders(self) -> tuple[Path, ...]:
        """Every folder (or symlink to one) at <year>/<brigade>/<draw id> depth, hidden names left out."""
        found = []
        for year in sorted(self.root.glob("[0-9][0-9][0-9][0-9]")):
            for folder in sorted(year.glob("*/*")):
                if folder.is_dir() and not any(p.startswith(".") for p in folder.relative_to(self.root).parts):
                    found.append(folder)
        return tuple(found)

    def clean_staging(self) -> tuple[str, ...]:
        """Remove staging folders left by dead processes; a live owner's flock keeps its folder."""
        base = self.root / STAGING
        if not base.is_dir():
            return ()
        removed = []
        for path in sorted(base.iterdir()):
            if self._owner_dead(path):
                _remove_tree(path)
                removed.append(path.name)
        return tuple(removed)

    @staticmethod
    def _owner_dead(path: Path) -> bool:
        try:
            fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
        except NotADirectoryError:
            return True
        except FileNotFoundError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            return False
        finally:
            os.close(fd)  # closing drops our probe lock too

    def quarantine(self, folder: Path) -> Path:
        """Move a folder that no ledger row names to <root>/.orphans/, keeping it for inspection."""
        self._require_lock()
        rel = Path(self.relative(folder))
        dest = self.root / ORPHANS / rel.parent / f"{rel.name}-{time.time_ns()}"
        dest.parent.mkdir(parents=True, exist_ok=True)
        unseal(folder)
        os.rename(folder, dest)
        _seal(dest)
        _fsync_dir(folder.parent)
        _fsync_dir(dest.parent)
        return dest
