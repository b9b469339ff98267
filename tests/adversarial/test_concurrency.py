"""Real `dsr` processes at once: two batches, a results import during a batch, verifies during a batch."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook

from batch_helpers import dsr_command, dsr_env, write_ceremony

from .builders import edit_yaml

pytestmark = pytest.mark.slow
LOCKED = re.compile(r"^dsr batch: 另一批次正在运行（进程 PID \d+），请稍后再试\n$")


def _start(cwd: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen(dsr_command(*args), cwd=cwd, env=dsr_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _run(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(dsr_command(*args), cwd=cwd, env=dsr_env(), capture_output=True, text=True, timeout=900)


def _ceremony(base: Path, ceremony_id: str) -> Path:
    """A three-brigade ceremony dated just before today (so results can be entered), in its own folder."""
    path = write_ceremony(base, ceremony_id=ceremony_id)
    today = dt.date.today()
    edit_yaml(path, lambda d: d.update(commit_at=f"{today - dt.timedelta(days=4)}T09:00:00+08:00",
                                       draw_at=f"{today - dt.timedelta(days=3)}T10:00:00+08:00",
                                       inspection_date=str(today - dt.timedelta(days=2))))
    return path


def _ledger_ok(cwd: Path, root: Path) -> subprocess.CompletedProcess:
    return _run(cwd, "ledger", "verify", "--root", str(root))


def _events(root: Path, kind: str) -> list:
    from dsr.archive import LEDGER_NAME, Ledger

    with Ledger(root / LEDGER_NAME, create=False) as ledger:
        return ledger.events(kind)


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> dict:
    """Ceremony A drawn and archived in a shared root; ceremony B ready to run on the same root."""
    top = tmp_path_factory.mktemp("conc")
    a, b = top / "a", top / "b"
    _ceremony(a, "CONC-A")
    shutil.copytree(a / "data", b / "data")
    _ceremony(b, "CONC-B")
    root = top / "root"
    first = _run(a, "batch", "ceremony.yaml", "--root", str(root))
    assert first.returncode == 0, first.stderr[-2000:]
    return {"a": a, "b": b, "root": root}


def test_two_batches_at_once(tmp_path: Path):
    """Two `dsr batch` of one ceremony started together: one runs, the other refuses with the lock message."""
    _ceremony(tmp_path, "CONC-TWO")
    root = tmp_path / "root"
    procs = [_start(tmp_path, "batch", "ceremony.yaml", "--root", str(root)) for _ in range(2)]
    outs = [p.communicate(timeout=900) for p in procs]
    codes = sorted(p.returncode for p in procs)
    refused = [err for p, (_o, err) in zip(procs, outs) if p.returncode == 1]
    assert codes == [0, 1], outs
    assert LOCKED.match(refused[0]), refused
    assert _ledger_ok(tmp_path, root).returncode == 0
    assert len(_events(root, "draw")) == len(_events(root, "record")) == 3


def test_results_import_and_verify_during_a_batch(world):
    """While ceremony B's batch runs, A's results are imported and A's record verifies; afterwards all is whole."""
    a, b, root = world["a"], world["b"], world["root"]
    draw_id = "CONC-A-文峰区"
    assert _run(a, "results", "template", "--draw", draw_id, "--root", str(root), "--out", "r.xlsx").returncode == 0
    _fill(a / "r.xlsx")
    batch = _start(b, "batch", "ceremony.yaml", "--root", str(root))
    time.sleep(3)  # the batch holds the lock and is drawing or rendering by now
    during = {
        "import": _run(a, "results", "import", "r.xlsx", "--draw", draw_id, "--root", str(root), "--by", "录入员"),
        "verify": _run(a, "verify", str(root / "2026" / "文峰区" / "CONC-A")),
        "ledger": _ledger_ok(a, root),
    }
    still_running = batch.poll() is None
    out, err = batch.communicate(timeout=900)
    assert batch.returncode == 0, err[-2000:]
    assert still_running, "the batch ended before the concurrent commands ran; the test proved nothing"
    assert during["verify"].returncode == 0, during["verify"].stdout + during["verify"].stderr
    assert during["import"].returncode == 0, during["import"].stderr
    assert during["ledger"].returncode == 0, during["ledger"].stdout + during["ledger"].stderr
    assert _ledger_ok(a, root).returncode == 0
    assert len(_events(root, "draw")) == len(_events(root, "record")) == 6


def _fill(path: Path) -> None:
    """Fill every row of a results workbook as inspected yesterday with no problem found."""
    wb = load_workbook(path)
    ws = wb["检查结果"]
    head = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        if row[0].value is None:
            continue
        row[head.index("检查日期")].value = (dt.date.today() - dt.timedelta(days=1)).isoformat()
        row[head.index("检查结果")].value = "未发现问题"
        for i in range(1, 10):
            row[next(j for j, h in enumerate(head) if h.startswith(f"要点{i} "))].value = "符合"
    wb.save(path)
