"""kill -9 of a real `dsr batch` (commit, draw, kernels, PDFs, signing) at random moments: nothing half-written verifies."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest

from batch_helpers import dsr_command, dsr_env, write_ceremony
from dsr.archive import LEDGER_NAME, Archive, Ledger, verify_folder

pytestmark = pytest.mark.slow
KILLS = int(os.environ.get("DSR_KILLS", "6"))  # `make soak` runs the 50
COMPLETE_EVERY = 10  # after every 10th kill the rerun is left to finish, then a new ceremony starts


def _start(base: Path, root: Path) -> subprocess.Popen:
    """`dsr batch` in its own process group, so the kill takes its workers and kernels with it (a power cut)."""
    return subprocess.Popen(dsr_command("batch", "ceremony.yaml", "--root", str(root), "--workers", "1"), cwd=base,
                            env=dsr_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)


def _kinds(root: Path) -> Counter:
    if not (root / LEDGER_NAME).exists():
        return Counter()
    with Ledger(root / LEDGER_NAME, create=False) as ledger:
        return Counter(e.kind for e in ledger.events())


def _phase(before: Counter, after: Counter, root: Path) -> str:
    """Where the kill landed, told from the ledger rows it added and what it left in staging."""
    added = after - before
    staged = any((root / ".staging").iterdir()) if (root / ".staging").exists() else False
    if not added:
        where = "before any ledger row"
    elif added["record"]:
        where = f"after {added['record']} record row(s)"
    elif added["draw"]:
        where = "after the draw rows, rendering records"
    else:
        where = "after the commit row"
    return where + (" (staging left behind)" if staged else "")


def _assert_consistent(root: Path) -> None:
    """No ledger row lacks its files, and every final record folder is complete and matches its manifest."""
    with Ledger(root / LEDGER_NAME, create=False) as ledger:
        result = ledger.verify()
    failing = {c.name for c in result.checks if not c.ok}
    assert failing <= {"未登记文件夹"}, result.first_bad  # renamed just before the kill, its row not yet written
    for folder in Archive(root).record_folders():
        assert verify_folder(folder).ok, folder


def _complete(base: Path, root: Path, retries: list) -> str:
    """Rerun to the end; a brigade that fails (e.g. a kernel timing out on a loaded machine) is retried once."""
    for attempt in (1, 2):
        proc = _start(base, root)
        out, err = proc.communicate(timeout=1200)
        if proc.returncode == 0 or attempt == 2:
            break
        retries.append([line for line in out.splitlines() if line.startswith("✘")])
        print(f"CRASH rerun failed once, retrying: {retries[-1]}", flush=True)
    assert proc.returncode == 0, out + err[-2000:]
    assert "个大队，3 个完成，0 个失败" in out, out
    with Ledger(root / LEDGER_NAME, create=False) as ledger:
        result = ledger.verify()
    assert result.ok, result.first_bad
    return out


def test_kill_9_at_fifty_moments(tmp_path: Path):
    """50 SIGKILLs at random moments of real batches; after each the archive is consistent; reruns complete."""
    rng = random.Random(3797)
    root = tmp_path / "root"
    ceremony = 1
    write_ceremony(tmp_path, ceremony_id=f"CRASH-{ceremony}")
    phases, finished_first, window, retries = Counter(), 0, 15.0, []
    start = time.perf_counter()
    for k in range(1, KILLS + 1):
        before = _kinds(root)
        proc = _start(tmp_path, root)
        time.sleep(rng.uniform(0.5, window))
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate(timeout=60)
            where = _phase(before, _kinds(root), root)
            phases[where] += 1
            if where.startswith("before any"):
                window = min(180.0, window * 1.25)  # a loaded machine starts slowly: aim later
            print(f"CRASH kill {k}: {where}", flush=True)
        else:
            proc.communicate(timeout=60)
            finished_first += 1
            window = max(2.0, window * 0.5)  # the batch is faster than the window: aim earlier
            ceremony += 1  # the finished ceremony has nothing left to kill: the next run starts a new one
            write_ceremony(tmp_path, ceremony_id=f"CRASH-{ceremony}")
        _assert_consistent(root)
        if k % COMPLETE_EVERY == 0:
            _complete(tmp_path, root, retries)
            ceremony += 1
            write_ceremony(tmp_path, ceremony_id=f"CRASH-{ceremony}")
    _complete(tmp_path, root, retries)
    print(f"\nCRASH {KILLS} runs in {time.perf_counter() - start:.0f} s: {sum(phases.values())} killed, "
          f"{finished_first} finished before the kill; {ceremony} ceremonies completed")
    print(f"CRASH completing reruns that needed a second run: {len(retries)} {retries}")
    for where, n in sorted(phases.items()):
        print(f"CRASH   {n:3d} × {where}")
    assert sum(phases.values()) >= KILLS // 2
