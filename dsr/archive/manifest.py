"""The MANIFEST.sha256 of a record folder (sha256sum format) and the check of a folder against it."""

from __future__ import annotations

import hashlib
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from dsr.archive.names import check_relative
from dsr.errors import ArchiveError

MANIFEST = "MANIFEST.sha256"
_LINE = re.compile(r"^([0-9a-f]{64})  (.+)$")
_CHUNK = 1 << 20


@dataclass(frozen=True)
class FileRef:
    """One file named by a manifest or a ledger row: a relative POSIX path and its SHA-256."""

    path: str
    sha256: str


def hash_file(path: Path) -> str:
    """Lower-case hex SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _sort_key(rel: str) -> bytes:
    return rel.encode("utf-8")  # byte order, as `LC_ALL=C sort` would give


def _walk(folder: Path) -> list[str]:
    """Every non-directory entry below a folder as relative POSIX paths; symlinks count as entries."""
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        base = Path(dirpath)
        for name in dirnames:
            if (base / name).is_symlink():
                filenames.append(name)  # os.walk would not descend into it; report it as an entry
        for name in filenames:
            found.append((base / name).relative_to(folder).as_posix())
    return sorted(found, key=_sort_key)


def list_files(folder: Path) -> tuple[FileRef, ...]:
    """Hash every file of a folder, refusing symlinks, devices and names unsafe for a manifest."""
    refs = []
    for rel in _walk(folder):
        check_relative("文件名", rel)
        mode = os.lstat(folder / rel).st_mode
        if not stat.S_ISREG(mode):
            raise ArchiveError(f"档案文件夹只能包含普通文件：{rel}")
        refs.append(FileRef(rel, hash_file(folder / rel)))
    return tuple(refs)


def build_manifest(refs: tuple[FileRef, ...]) -> bytes:
    """sha256sum-compatible text: `<hex>  <path>` per line, sorted by path bytes."""
    lines = [f"{r.sha256}  {r.path}\n" for r in sorted(refs, key=lambda r: _sort_key(r.path))]
    return "".join(lines).encode("utf-8")


def parse_manifest(data: bytes) -> tuple[tuple[FileRef, ...], tuple[int, ...]]:
    """The entries of a manifest and the 1-based numbers of lines that are not well formed."""
    refs, bad = [], []
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return (), (1,)
    for number, line in enumerate(text.splitlines(), start=1):
        match = _LINE.match(line)
        if match is None or not _safe(match.group(2)):
            bad.append(number)  # a path like ../x in a forged manifest must never be opened
        else:
            refs.append(FileRef(match.group(2), match.group(1)))
    return tuple(refs), tuple(bad)


def _safe(rel: str) -> bool:
    try:
        check_relative("文件名", rel)
    except ArchiveError:
        return False
    return True


@dataclass(frozen=True)
class FolderCheck:
    """A record folder compared with its manifest: what is missing, extra, changed or malformed."""

    path: str
    manifest_found: bool
    malformed_lines: tuple[int, ...] = ()
    missing: tuple[str, ...] = ()
    extra: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()
    unsorted: bool = False

    @property
    def ok(self) -> bool:
        """True only when the manifest exists, is well formed, sorted, and matches every file."""
        return self.manifest_found and not (
            self.malformed_lines or self.missing or self.extra or self.changed or self.unsorted
        )

    def problems(self) -> tuple[str, ...]:
        """One Chinese line per finding, naming the folder and the file."""
        where = f"文件夹 {self.path}"
        if not self.manifest_found:
            return (f"{where} 缺少 {MANIFEST}",)
        out = [f"{where} 的 {MANIFEST} 第 {n} 行格式不符" for n in self.malformed_lines]
        out += [f"{where} 缺少清单所列文件：{p}" for p in self.missing]
        out += [f"{where} 有清单外文件：{p}" for p in self.extra]
        out += [f"{where} 文件哈希不符：{p}" for p in self.changed]
        if self.unsorted:
            out.append(f"{where} 的 {MANIFEST} 未按路径排序或有重复")
        return tuple(out)


def verify_folder(path: Path, label: str | None = None) -> FolderCheck:
    """Compare a folder's files with its MANIFEST.sha256; extra, missing or changed files fail."""
    path = Path(path)
    label = label or path.name
    manifest = path / MANIFEST
    if not manifest.is_file() or manifest.is_symlink():
        return FolderCheck(label, manifest_found=False)
    refs, malformed = parse_manifest(manifest.read_bytes())
    listed = {r.path: r.sha256 for r in refs}
    on_disk = set(_walk(path)) - {MANIFEST}
    missing = tuple(p for p in listed if p not in on_disk)
    changed = tuple(p for p in listed if p in on_disk and not _same(path / p, listed[p]))
    extra = tuple(sorted(on_disk - set(listed), key=_sort_key))
    names = [r.path for r in refs]
    unsorted = names != sorted(set(names), key=_sort_key)
    return FolderCheck(label, True, malformed, missing, extra, changed, unsorted)


def _same(path: Path, sha256: str) -> bool:
    """A listed entry matches only if it is a regular file (not a symlink) with that hash."""
    if path.is_symlink() or not path.is_file():
        return False
    return hash_file(path) == sha256
