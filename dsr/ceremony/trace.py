"""An optional timeline of a batch, for `bench/bench_batch.py --timeline`: off unless DSR_BATCH_TRACE is set.

With DSR_BATCH_TRACE=<file>, the batch process and each worker append one JSON line per event:
wall time, pid, the process's own CPU seconds and the CPU of its process tree (its live children,
e.g. a worker's kernel nursery with the kernels it has reaped, included). Nothing else changes.
"""

from __future__ import annotations

import json
import os
import time

_PATH = os.environ.get("DSR_BATCH_TRACE") or None
_TICK = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def enabled() -> bool:
    return _PATH is not None


def _stat_cpu(pid: int) -> float:
    """utime + stime + cutime + cstime of a process, seconds (0 if it is gone)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
        return sum(int(x) for x in fields[11:15]) / _TICK
    except (OSError, IndexError, ValueError):
        return 0.0


def _tree_cpu() -> float:
    """This process's CPU with its reaped children, plus each live child's (and what that child reaped)."""
    pid = os.getpid()
    total = _stat_cpu(pid)
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as handle:
            children = [int(x) for x in handle.read().split()]
    except OSError:
        children = []
    return total + sum(_stat_cpu(c) for c in children)


def process_start() -> float:
    """When this process started (epoch seconds), from /proc; 0 if unknown."""
    try:
        with open("/proc/self/stat", "rb") as handle:
            ticks = int(handle.read().rsplit(b")", 1)[1].split()[19])
        with open("/proc/stat", encoding="ascii") as handle:
            boot = next(int(line.split()[1]) for line in handle if line.startswith("btime"))
        return boot + ticks / _TICK
    except (OSError, StopIteration, ValueError, IndexError):
        return 0.0


def mark(event: str, **fields: object) -> None:
    """Append one event line (a no-op unless tracing)."""
    if _PATH is None:
        return
    line = {"t": time.time(), "pid": os.getpid(), "cpu": time.process_time(), "tree": _tree_cpu(), "ev": event,
            **fields}
    with open(_PATH, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(line, ensure_ascii=False) + "\n")
