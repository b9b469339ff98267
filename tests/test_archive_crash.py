"""Real subprocesses: kill -9 during a batch, two batches at once, racing appenders."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from archive_helpers import AT, BRIGADE, C1, draw_payload
from dsr.archive import LEDGER_NAME, Archive, Ledger, recover, verify_folder

WORKER = Path(__file__).with_name("archive_worker.py")
REPO = Path(__file__).resolve().parents[1]


def _start(*args: str) -> subprocess.Popen:
    """Start the worker script with the repository importable."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, (str(REPO), os.environ.get("PYTHONPATH")))))
    cmd = [sys.executable, str(WORKER), *args]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _finish(proc: subprocess.Popen, timeout: float = 120) -> tuple[int, str, str]:
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def _kill_mid_batch(root: Path, rng: random.Random) -> None:
    """Start an endless batch and SIGKILL it at a random moment after it took the lock.

    Every other run pauses between steps, so kills also land after a rename and before its row.
    """
    pause = rng.choice(("0", "0.03"))
    proc = _start("batch", str(root), "1000000", "--pause", pause)
    assert proc.stdout.readline() == "locked\n"
    time.sleep(rng.uniform(0.0, 0.3))
    os.kill(proc.pid, signal.SIGKILL)
    assert _finish(proc)[0] == -signal.SIGKILL


def _assert_nothing_half_done(root: Path) -> None:
    """After a kill: every ledger row's files are there and every final folder is complete."""
    with Ledger(root / LEDGER_NAME, create=False) as ledger:
        result = ledger.verify()
    failing = {c.name for c in result.checks if not c.ok}
    assert failing <= {"未登记文件夹"}, result.first_bad  # a folder renamed just before the kill, not yet ledgered
    for folder in Archive(root).record_folders():
        assert verify_folder(folder).ok, folder


def _rerun_to_completion(root: Path) -> int:
    """Rerun the batch past what the killed run reached; it must finish and leave a clean archive."""
    with Ledger(root / LEDGER_NAME, create=False) as ledger:
        count = len(ledger.events("draw")) + 2
    code, _out, err = _finish(_start("batch", str(root), str(count)))
    assert (code, err) == (0, "")
    with Ledger(root / LEDGER_NAME, create=False) as ledger:
        result = ledger.verify()
        assert result.ok, result.first_bad
        assert len(ledger.events("draw")) == len(ledger.events("record")) == count
    assert list((root / ".staging").iterdir()) == []
    return count


def _kill_and_rerun(root: Path, kills: int, seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(kills):
        _kill_mid_batch(root, rng)
        _assert_nothing_half_done(root)
        _rerun_to_completion(root)


def test_kill_9_during_batch_then_rerun(tmp_path: Path):
    """Five kills at random moments: never a row without files, never a half folder; reruns complete."""
    _kill_and_rerun(tmp_path, kills=5, seed=20260301)


@pytest.mark.slow
@pytest.mark.soak
def test_kill_9_fifty_times(tmp_path: Path):
    """Fifty kills at random moments on one archive, each followed by a clean rerun."""
    _kill_and_rerun(tmp_path, kills=50, seed=3797)


def test_folder_without_ledger_row_is_quarantined_and_redone(tmp_path: Path):
    """The window between rename and ledger row, forced: the next run moves the folder to .orphans."""
    archive = Archive(tmp_path)
    with archive.batch_lock(), Ledger(tmp_path / LEDGER_NAME) as ledger:
        ledger.append("draw", at=AT, commitment_hash=C1, brigade=BRIGADE, draw_id="D-001",
                      payload=draw_payload("D-001"))  # fmt: skip
        archive.write_record(2026, BRIGADE, "D-001", {"record.pdf": b"killed before its row"})
    with archive.batch_lock(), Ledger(tmp_path / LEDGER_NAME) as ledger:
        recovery = recover(archive, ledger)
        assert [src for src, _dest in recovery.quarantined] == ["2026/文峰区/D-001"]
        assert recovery.quarantined[0][1].startswith(".orphans/2026/文峰区/D-001-")
        folder = archive.write_record(2026, BRIGADE, "D-001", {"record.pdf": b"redone"})
        ledger.append_record(archive.folder_refs(folder), at=AT, brigade=BRIGADE, draw_id="D-001")
        assert ledger.verify().ok


def test_recover_clears_dead_staging(tmp_path: Path):
    """A staging folder nobody holds is removed by recovery; registered folders stay."""
    archive = Archive(tmp_path)
    (tmp_path / ".staging" / "D-001-4242-1").mkdir(parents=True)
    with archive.batch_lock(), Ledger(tmp_path / LEDGER_NAME) as ledger:
        assert recover(archive, ledger).staging_removed == ("D-001-4242-1",)


def test_recover_needs_the_batch_lock(tmp_path: Path):
    """Quarantining without the lock could steal a live batch's folder, so it is refused."""
    from dsr.errors import ArchiveError

    with Ledger(tmp_path / LEDGER_NAME) as ledger, pytest.raises(ArchiveError) as err:
        recover(Archive(tmp_path), ledger)
    assert str(err.value) == "恢复中断的批次前须先取得批次锁"


def test_second_batch_refuses_while_first_runs(tmp_path: Path):
    """The second batch exits 1 at once naming the first's PID; a kill -9 of the first frees the lock."""
    first = _start("batch", str(tmp_path), "2", "--linger", "30")
    assert first.stdout.readline() == "locked\n"
    code, _out, err = _finish(_start("batch", str(tmp_path), "2"))
    assert (code, err) == (1, f"另一批次正在运行（进程 PID {first.pid}），请稍后再试\n")
    os.kill(first.pid, signal.SIGKILL)
    _finish(first)
    assert _finish(_start("batch", str(tmp_path), "3"))[0] == 0


def test_two_batches_started_at_once(tmp_path: Path):
    """Started together, exactly one runs and the other refuses clearly; the ledger stays whole."""
    procs = [_start("batch", str(tmp_path), "4", "--linger", "2") for _ in range(2)]
    results = sorted(_finish(p) for p in procs)
    (ok_code, _o, ok_err), (refused_code, _o2, refused_err) = results
    assert (ok_code, ok_err) == (0, "")
    winner = next(p for p in procs if p.returncode == 0)
    assert (refused_code, refused_err) == (1, f"另一批次正在运行（进程 PID {winner.pid}），请稍后再试\n")
    with Ledger(tmp_path / LEDGER_NAME, create=False) as ledger:
        assert ledger.verify().ok
        assert len(ledger.events("draw")) == 4


def test_waiting_batch_runs_after_the_first(tmp_path: Path):
    """With --wait the second batch waits for the lock, then finds the work done and adds nothing twice."""
    first = _start("batch", str(tmp_path), "3", "--linger", "1")
    assert first.stdout.readline() == "locked\n"
    second = _start("batch", str(tmp_path), "3", "--wait", "60")
    assert _finish(first)[0] == 0
    assert _finish(second)[0] == 0
    with Ledger(tmp_path / LEDGER_NAME, create=False) as ledger:
        assert ledger.verify().ok
        assert len(ledger.events("draw")) == len(ledger.events("record")) == 3


def test_concurrent_appends_never_fork_the_chain(tmp_path: Path):
    """Two processes appending at once without the batch lock: all rows land, one unbroken chain."""
    Ledger(tmp_path / LEDGER_NAME).close()  # create the schema first so both start on the same file
    procs = [_start("append", str(tmp_path), "60", "--tag", tag) for tag in ("a", "b")]
    assert [_finish(p)[0] for p in procs] == [0, 0]
    with Ledger(tmp_path / LEDGER_NAME, create=False) as ledger:
        result = ledger.verify()
        assert result.ok, result.first_bad
        assert [e.seq for e in ledger.events()] == list(range(1, 121))
