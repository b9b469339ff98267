"""Fixture builders for the adversarial suite: a small committed ceremony, copies of it, edits and snapshots."""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import yaml
from openpyxl import load_workbook

from batch_helpers import CEREMONY_ID, write_ceremony

REPO = Path(__file__).resolve().parents[2]
UNITS = "检查对象名录库"
INSPECTORS = "执法检查人员名录库"
ITEMS = "随机抽查事项清单"
CONFLICTS = "利害关系登记"
EXCLUSIONS = "不列入随机抽查名单"
NEW_ID = "TEST-2026-12B"  # the bad-input cases are a next ceremony on an archive that already holds one


def build_base(base: Path) -> Path:
    """A small three-brigade ceremony under `base` with its commitment posted into `base/root`."""
    from dsr.ceremony.batch import run_batch
    from dsr.ceremony.config import load_ceremony

    path = write_ceremony(base)
    run_batch(load_ceremony(path, base), base / "root", workers=1, commit_only=True)
    return path


def copy_base(base: Path, target: Path, ceremony_id: str | None = NEW_ID) -> Path:
    """A private copy of the base ceremony and its archive; optionally under a new ceremony id."""
    shutil.copytree(base, target, symlinks=True)
    if ceremony_id is not None:
        edit_yaml(target / "ceremony.yaml", lambda d: d.update(ceremony_id=ceremony_id))
        if (target / "entropy.yaml").exists():
            edit_yaml(target / "entropy.yaml", lambda d: d.update(ceremony_id=ceremony_id))
    return target


def snapshot(root: Path) -> dict[str, str]:
    """Every path under root (files, folders) with the SHA-256 of each file's bytes.

    The batch lock file is listed but its bytes are not compared: it holds the PID of the last batch that ran.
    """
    out: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames:
            out[os.path.relpath(os.path.join(dirpath, name), root) + "/"] = "dir"
        for name in filenames:
            p = os.path.join(dirpath, name)
            rel = os.path.relpath(p, root)
            out[rel] = "lock" if rel == ".lock" else hashlib.sha256(Path(p).read_bytes()).hexdigest()
    return out


def run_cli(cwd: Path, *argv: str) -> tuple[int, str, str]:
    """Run `dsr argv…` in-process with `cwd` as the working folder; return (exit code, stdout, stderr)."""
    from dsr.cli import main

    out, err = io.StringIO(), io.StringIO()
    old = Path.cwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(list(argv))
            except SystemExit as exc:  # argparse
                code = int(exc.code or 0)
    finally:
        os.chdir(old)
    return code, out.getvalue(), err.getvalue()


def edit_yaml(path: Path, change: Callable[[dict], object]) -> None:
    """Load a YAML file, let `change` edit the dict in place, write it back."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def book(case: Path, title: str) -> Path:
    """The workbook of one input in a case copy."""
    return case / "data" / f"{title}.xlsx"


def edit_book(path: Path, change: Callable) -> None:
    """Open a workbook with openpyxl, let `change(ws)` edit its data sheet, save it."""
    wb = load_workbook(path)
    ws = wb[path.stem]
    change(ws)
    wb.save(path)


def column(ws, header: str) -> int:
    """1-based column index of a header in row 1."""
    for cell in ws[1]:
        if cell.value == header:
            return cell.column
    raise KeyError(header)


def set_cell(path: Path, header: str, row: int, value: object, data_type: str | None = None) -> None:
    """Set one cell (by header and Excel row number) of a workbook's data sheet."""
    def change(ws):
        cell = ws.cell(row=row, column=column(ws, header))
        cell.value = value
        if data_type:
            cell.data_type = data_type
    edit_book(path, change)


def cell(path: Path, header: str, row: int) -> object:
    """Read one cell (by header and Excel row number)."""
    wb = load_workbook(path, read_only=True)
    ws = wb[path.stem]
    headers = [c.value for c in next(ws.iter_rows(min_row=1, max_row=1))]
    value = list(ws.iter_rows(min_row=row, max_row=row, values_only=True))[0][headers.index(header)]
    wb.close()
    return value


def replace_input(case: Path, old: Path, new: Path) -> None:
    """Point the case's ceremony at `new` instead of `old`."""
    rel_old, rel_new = old.relative_to(case).as_posix(), new.relative_to(case).as_posix()
    edit_yaml(case / "ceremony.yaml",
              lambda d: d.update(inputs=[rel_new if p == rel_old else p for p in d["inputs"]]))


__all__ = ["CEREMONY_ID", "NEW_ID", "REPO", "build_base", "copy_base", "snapshot", "run_cli"]
