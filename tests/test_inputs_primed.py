"""Primed readings: read_inputs reuses a reading made earlier only for the same names, bytes, detachment and date."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from dsr.errors import InputError
from dsr.inputs import load_detachment, primed
from dsr.inputs.reader import _read_all, read_inputs
from record_data import DAY, ROOT, make_ceremony


@pytest.fixture()
def books(tmp_path: Path):
    primed.forget()
    ceremony = make_ceremony(tmp_path / "c")
    yield list(ceremony.workbooks)
    primed.forget()


@pytest.fixture()
def detachment():
    return load_detachment(ROOT / "params" / "detachment.yaml")


def _copies(books: list[Path], folder: Path) -> list[Path]:
    folder.mkdir(parents=True)
    return [Path(shutil.copy(b, folder / b.name)) for b in books]


def test_a_primed_reading_is_returned_for_copies_with_the_same_names_and_bytes(books, detachment, tmp_path):
    assert primed.prime(books, detachment, DAY)
    copies = _copies(books, tmp_path / "record" / "inputs")
    got = read_inputs(copies, detachment, DAY)
    assert got is primed.recall(books, detachment, DAY)  # the kept reading itself, not a new one
    assert got == _read_all(copies, detachment, DAY, None)  # and equal to reading the files again
    assert [s.name for s in got.sources] == [b.name for b in books]


def test_any_difference_reads_the_files_again(books, detachment, tmp_path):
    assert primed.prime(books, detachment, DAY)
    kept = primed.recall(books, detachment, DAY)
    assert primed.recall(books, detachment, DAY + dt.timedelta(days=1)) is None  # another date
    assert primed.recall(books[:-1], detachment, DAY) is None  # another set of files
    renamed = tmp_path / "renamed"
    renamed.mkdir()
    moved = [Path(shutil.copy(b, renamed / ("x-" + b.name))) for b in books]
    assert primed.recall(moved, detachment, DAY) is None  # the names are part of the reading (its sources)
    changed = _copies(books, tmp_path / "changed")
    units = changed[0]
    units.write_bytes(units.read_bytes().replace("测试商贸1号".encode(), "测试商贸9号".encode()))
    assert primed.recall(changed, detachment, DAY) is None
    fresh = read_inputs(changed, detachment, DAY)
    assert fresh is not kept and fresh != kept
    assert any(u.name.endswith("测试商贸9号有限公司") for u in fresh.directory.units)
    units.unlink()
    assert primed.recall(changed, detachment, DAY) is None  # a missing file is read (and refused) as usual
    with pytest.raises(InputError):
        read_inputs(changed, detachment, DAY)


def test_nothing_primed_means_nothing_is_hashed_or_returned(books, detachment, tmp_path):
    assert primed.recall([tmp_path / "no-such.xlsx"], detachment, DAY) is None
    assert read_inputs(books, detachment, DAY) == _read_all(books, detachment, DAY, None)


def test_files_that_do_not_read_are_not_primed(books, detachment, tmp_path):
    bad = _copies(books, tmp_path / "bad")
    bad[0].write_text("单位名称\n", encoding="utf-8")  # headers missing: an InputError
    assert not primed.prime(bad, detachment, DAY)
    assert not primed.prime([tmp_path / "no-such.csv"], detachment, DAY)
    assert primed.recall(bad, detachment, DAY) is None
