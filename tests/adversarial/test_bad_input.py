"""Bad input: every malformed file is refused with its exact message, and the archive and ledger stay as they were."""

from __future__ import annotations

from pathlib import Path

import pytest

from .bad_cases import CASES
from .bad_expected import EXPECTED, PREFIX_ONLY
from .builders import copy_base, run_cli, snapshot

BUGS = {
}


def _params():
    for case in CASES:
        marks = [pytest.mark.xfail(strict=True, reason=BUGS[case.id])] if case.id in BUGS else []
        yield pytest.param(case, id=case.id, marks=marks)


def test_at_least_forty_distinct_cases():
    """The suite holds at least 40 distinct malformed inputs, each with a pinned outcome."""
    assert len({c.id for c in CASES}) == len(CASES) >= 40
    assert set(EXPECTED) == {c.id for c in CASES}


@pytest.mark.parametrize("case", list(_params()))
def test_malformed_input_refused_and_nothing_written(case, base_ceremony: Path, tmp_path: Path):
    """`dsr batch` refuses the edited ceremony with the exact message, exit status and no change under root."""
    folder = copy_base(base_ceremony, tmp_path / "case", ceremony_id=None if case.draw else "TEST-2026-12B")
    case.edit(folder)
    before = snapshot(folder / "root")
    args = ["batch", "ceremony.yaml", "--root", "root"] + ([] if case.draw else ["--commit-only"])
    code, out, err = run_cli(folder, *args)
    want_code, want_err = EXPECTED[case.id]
    if case.id in PREFIX_ONLY:
        assert (code, err[:len(want_err)]) == (want_code, want_err) and len(err) > len(want_err)
    else:
        assert (code, err) == (want_code, want_err)
    assert out == ""
    assert snapshot(folder / "root") == before


def test_control_a_good_ceremony_does_write(base_ceremony: Path, tmp_path: Path):
    """The snapshot comparison can fail: the unedited next ceremony writes its commitment and a ledger row."""
    folder = copy_base(base_ceremony, tmp_path / "case")
    before = snapshot(folder / "root")
    code, _out, err = run_cli(folder, "batch", "ceremony.yaml", "--root", "root", "--commit-only")
    assert (code, err) == (0, "")
    after = snapshot(folder / "root")
    assert after["ledger.sqlite3"] != before["ledger.sqlite3"]
    assert "2026/承诺公告/TEST-2026-12B/commitment.json" in after


def test_entropy_value_error_names_its_file(base_ceremony: Path, tmp_path: Path):
    """A bad dice reading names the file it came from (entropy.yaml), as input errors name theirs."""
    case = next(c for c in CASES if c.id == "entropy-dice-11")
    folder = copy_base(base_ceremony, tmp_path / "case", ceremony_id=None)
    case.edit(folder)
    _code, _out, err = run_cli(folder, "batch", "ceremony.yaml", "--root", "root")
    assert "entropy.yaml" in err
