"""Real `dsr batch` processes: kill -9 at random moments then rerun; two batches started at once."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from pathlib import Path

import pytest
from batch_helpers import CEREMONY_ID, dsr_command, dsr_env, run_dsr, write_ceremony

from dsr.archive import LEDGER_NAME, Archive, Ledger, verify_folder
from dsr.archive.store import acquire_lock

pytestmark = pytest.mark.slow


def _start(base: Path, *extra: str) -> subprocess.Popen:
    """Start `dsr batch ceremony.yaml --root out` in `base`."""
    return subprocess.Popen(dsr_command("batch", "ceremony.yaml", "--root", "out", *extra), cwd=base, env=dsr_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_lock(root: Path, proc: subprocess.Popen, timeout: float = 120) -> None:
    """Wait until `proc` holds the batch lock (its PID is written into <root>/.lock once taken)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        lock = root / ".lock"
        if lock.is_file() and lock.read_text(encoding="ascii").strip() == str(proc.pid):
            return
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.02)
    raise AssertionError("the batch never took the lock")


def _assert_nothing_half_written(root: Path, note: str) -> None:
    """After a kill: every ledger row's files exist with their hashes, every final folder is complete."""
    with Ledger(root / LEDGER_NAME, root, create=False) as ledger:
        result = ledger.verify()
    failing = {c.name for c in result.checks if not c.ok}
    assert failing <= {"未登记文件夹"}, (note, result.first_bad)  # renamed into place just before the kill
    for folder in Archive(root).record_folders():
        assert verify_folder(folder).ok, (note, folder)


def _assert_no_survivor(root: Path, note: str) -> None:
    """No worker of the killed batch lives on holding the lock (workers die with their batch)."""
    lock = acquire_lock(root, wait=15)
    lock.release()


def test_kill_9_at_random_moments_then_rerun_completes(tmp_path: Path):
    """Three kill -9 at random moments of a 2-brigade batch; each leaves nothing half-written; a rerun completes."""
    write_ceremony(tmp_path, brigades=("文峰区", "北关区"))
    root = tmp_path / "out"
    seed = int.from_bytes(os.urandom(4), "big")
    rng = random.Random(seed)
    # The first kill within 2 s: a 2-brigade batch from nothing now finishes in 3-5 s on a quiet machine.
    moments = sorted([rng.uniform(0.0, 2.0)] + [rng.uniform(0.0, 20.0) for _ in range(2)])
    killed = 0
    for moment in moments:
        note = f"seed {seed}, kill after {moment:.2f} s"
        proc = _start(tmp_path)
        _wait_for_lock(root, proc)
        time.sleep(moment)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            proc.communicate(timeout=60)
            assert proc.returncode == -signal.SIGKILL, note
            killed += 1
        else:  # a resumed batch may finish before its kill moment: that run must simply have succeeded
            proc.communicate(timeout=60)
            assert proc.returncode == 0, note
        _assert_no_survivor(root, note)
        _assert_nothing_half_written(root, note)
    assert killed >= 1, (seed, moments)  # the first run starts from nothing: it cannot finish within 2 s
    final = run_dsr(tmp_path, "batch", "ceremony.yaml", "--root", "out")
    assert final.returncode == 0, (seed, moments, final.stdout, final.stderr)
    assert "共 2 个大队，2 个完成，0 个失败。" in final.stdout
    verify = run_dsr(tmp_path, "ledger", "verify", "--root", "out")
    assert verify.returncode == 0, (seed, moments, verify.stdout)
    with Ledger(root / LEDGER_NAME, root, create=False) as ledger:
        kinds = [e.kind for e in ledger.events()]
        assert kinds.count("commit") == 1 and kinds.count("draw") == 2 and kinds.count("record") == 2, kinds
    assert sorted(p.relative_to(root).as_posix() for p in Archive(root).record_folders()) == [
        f"2026/北关区/{CEREMONY_ID}", "2026/承诺公告/" + CEREMONY_ID, f"2026/文峰区/{CEREMONY_ID}"]
    assert list((root / ".staging").iterdir()) == []
    assert not (root / ".work" / CEREMONY_ID).exists() or not any((root / ".work" / CEREMONY_ID).iterdir())


def test_two_batches_at_once_one_refuses_one_waits(tmp_path: Path):
    """While one batch runs, a second refuses naming the first's PID, a third with --wait finishes after it."""
    write_ceremony(tmp_path, brigades=("文峰区",))
    root = tmp_path / "out"
    first = _start(tmp_path)
    _wait_for_lock(root, first)
    second = run_dsr(tmp_path, "batch", "ceremony.yaml", "--root", "out")
    assert first.poll() is None  # the first was still running when the second was refused
    assert second.returncode == 1
    assert second.stderr.strip() == f"dsr batch: 另一批次正在运行（进程 PID {first.pid}），请稍后再试"
    third = _start(tmp_path, "--wait", "600")
    out, err = first.communicate(timeout=900)
    assert first.returncode == 0, err
    assert "文峰区" in out and "完成" in out
    out3, err3 = third.communicate(timeout=900)
    assert third.returncode == 0, err3
    assert "已存在" in out3 and "共 1 个大队，1 个完成，0 个失败。" in out3
    with Ledger(root / LEDGER_NAME, root, create=False) as ledger:
        assert [e.kind for e in ledger.events()] == ["commit", "draw", "record"]
        assert ledger.verify().ok


def _descendants(pid: int) -> set[int]:
    """Every live descendant of `pid` (Linux /proc)."""
    found, todo = set(), [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = (task / "children").read_text(encoding="ascii").split()
            except OSError:
                continue
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text(encoding="ascii").rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="needs Linux /proc")
def test_kill_9_of_the_batch_alone_ends_its_fork_server_workers_and_nurseries(tmp_path: Path):
    """Only the batch process is killed (not its group): its fork server, workers and kernel nurseries end too."""
    write_ceremony(tmp_path, brigades=("文峰区", "北关区"))
    root = tmp_path / "out"
    proc = _start(tmp_path)
    _wait_for_lock(root, proc)
    deadline = time.monotonic() + 120
    family: set[int] = set()
    while time.monotonic() < deadline and len(family) < 5:  # fork server, 2 workers, 2 nurseries (+ tracker)
        family = _descendants(proc.pid)
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.1)
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=60)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and any(_alive(p) for p in family):
        time.sleep(0.1)
    assert not [p for p in family if _alive(p)], family
