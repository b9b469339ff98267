"""Unit tickets on several cores: the same bytes as dsr.core.tickets.ticket_list, split over processes.

Kept out of dsr.core so the core imports no process machinery; dsr.core.draw.run_draw accepts the
function from here as its optional `ticket_function` (the default is the sequential ticket_list)
and spot-checks what it returns against ticket(). Nothing about a draw changes but its speed.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

from dsr.core.tickets import TicketFunction, ticket_list

MIN_KEYS = 50_000  # below this, starting a process costs more than it saves
TICKET = 32


_JOB: tuple[bytes, str, Sequence[str]] | None = None  # set just before a fork; inherited by the workers


def _packed(seed: bytes, label: str, keys: Sequence[str]) -> bytes:
    """One chunk's tickets as one bytes object (cheap to send back, unlike a list of small ones)."""
    return b"".join(ticket_list(seed, label, keys))


def _packed_inherited(start: int, end: int) -> bytes:
    """_packed over keys[start:end] of the job this forked worker inherited (no keys are sent)."""
    seed, label, keys = _JOB  # type: ignore[misc]
    return _packed(seed, label, keys[start:end])


def _unpack(buf: bytes) -> list[bytes]:
    n = len(buf)
    return list(map(buf.__getitem__, map(slice, range(0, n, TICKET), range(TICKET, n + TICKET, TICKET))))


def default_workers() -> int:
    """The CPUs this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def parallel_ticket_list(workers: int | None = None, min_keys: int = MIN_KEYS) -> TicketFunction:
    """A ticket_list that splits the keys into `workers` contiguous chunks, one per process.

    This process computes the first chunk itself while the others run in a process pool; the
    chunks are joined in order, so the result is exactly ticket_list(seed, label, keys).
    """
    n_workers = workers or default_workers()
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else None)

    def run(seed: bytes, label: str, keys: Sequence[str]) -> list[bytes]:
        global _JOB
        if n_workers < 2 or len(keys) < min_keys:
            return ticket_list(seed, label, keys)
        step = -(-len(keys) // n_workers)
        bounds = [(i, min(i + step, len(keys))) for i in range(step, len(keys), step)]
        forked = context.get_start_method() == "fork"
        _JOB = (seed, label, keys) if forked else None
        try:
            with ProcessPoolExecutor(len(bounds), mp_context=context) as pool:
                if forked:  # the workers are forked at submit, after _JOB is set: only two ints are sent
                    futures = [pool.submit(_packed_inherited, a, b) for a, b in bounds]
                else:
                    futures = [pool.submit(_packed, seed, label, keys[a:b]) for a, b in bounds]
                out = ticket_list(seed, label, keys[:step])
                for f in futures:
                    out.extend(_unpack(f.result()))
        finally:
            _JOB = None
        return out

    return run
