"""Unit tickets on several cores: the same bytes as dsr.core.tickets.ticket_list, split over processes.

Kept out of dsr.core so the core imports no process machinery; dsr.core.draw.run_draw accepts the
object made here as its optional `ticket_function` (the default computes the tickets in-process) and
spot-checks what it returns against ticket(). Nothing about a draw changes but its speed.

run_draw reads and classifies the units first, then calls `map_chunks`: forked workers hash chunks of
the unit keys from the front (and mark each unit whose ticket lies below its cell's selection bound),
this process from the back, all into one shared buffer, so on two cores the tickets cost about half.
A worker that fails or dies is replaced by computing its share in this process; without fork (or for
few keys) everything is computed here. `start` (tickets begun before the units are read) is kept for
callers that want hex tickets while they do other work.
"""

from __future__ import annotations

import gc
import mmap
import multiprocessing
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

from dsr.core.tickets import split_tickets, ticket_hex_list, ticket_list

MIN_KEYS = 50_000  # below this, starting a process costs more than it saves
TICKET = 32
LINE = 2 * TICKET + 1  # one ticket in the shared buffer: 64 hex digits and a newline


_JOB: tuple[bytes, str, Sequence[str]] | None = None  # set just before a fork; inherited by the workers


def _packed(seed: bytes, label: str, keys: Sequence[str]) -> bytes:
    """One chunk's tickets as one bytes object (cheap to send back, unlike a list of small ones)."""
    return b"".join(ticket_list(seed, label, keys))


def _packed_inherited(start: int, end: int) -> bytes:
    """_packed over keys[start:end] of the job this forked worker inherited (no keys are sent)."""
    seed, label, keys = _JOB  # type: ignore[misc]
    return _packed(seed, label, keys[start:end])


def default_workers() -> int:
    """The CPUs this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _fork_context():
    return multiprocessing.get_context("fork") if "fork" in multiprocessing.get_all_start_methods() else None


CHUNK = 8192  # keys taken at a time, by a worker from the front or by this process from the back (a multiple of
# dsr.core.draw.BLOB, so no joined key buffer is split twice)


def _write_hex(seed: bytes, label: str, keys: Sequence[str], start: int, end: int, buffer: mmap.mmap) -> None:
    """The hex tickets of keys[start:end], one a line, into their place in the shared buffer."""
    hexed = ticket_hex_list(seed, label, keys[start:end])
    buffer[start * LINE:end * LINE] = ("\n".join(hexed) + "\n").encode("ascii")


def _work(seed: bytes, label: str, keys: Sequence[str], buffer: mmap.mmap, bounds, lock) -> None:
    """In a forked worker: take chunks from the front of the keys not yet taken, until none is left."""
    gc.disable()  # a collection would write to every inherited object, copying the parent's memory page by page
    for start, end in _chunks(bounds, lock):
        _write_hex(seed, label, keys, start, end, buffer)


def _chunks(bounds, lock):
    """(start, end) of the next chunk taken from the front of the shared range `bounds`, until none is left."""
    while True:
        with lock:
            start = bounds[0]
            end = min(start + CHUNK, bounds[1])
            if start >= end:
                return
            bounds[0] = end
        yield start, end


def _chunks_from_back(bounds, lock):
    """(start, end) of the next chunk taken from the back of the shared range `bounds` (the parent's share, while
    the workers take from the front), until none is left."""
    while True:
        with lock:
            end = bounds[1]
            start = max(end - CHUNK, bounds[0])
            if start >= end:
                return
            bounds[1] = start
        yield start, end


class _Here:
    """Tickets computed in this process when asked for (too few keys, one CPU, or no fork)."""

    def __init__(self, seed: bytes, label: str, keys: Sequence[str]):
        self._job = (seed, label, keys)

    def result(self) -> list[str]:
        seed, label, keys = self._job
        return ticket_hex_list(seed, label, keys[:])

    def close(self) -> None:
        pass


class _Forked:
    """Tickets computed by forked workers, which take chunks from the front of the keys into a shared buffer.

    When the caller asks for the result it takes chunks from the back itself, so the work ends evenly
    however busy each CPU is; chunks a failed worker took are computed again here. Which process
    computes which ticket changes nothing: every ticket is a function of the seed, the label and its key.
    """

    def __init__(self, context, seed: bytes, label: str, keys: Sequence[str], workers: int):
        self._job = (seed, label, keys)
        self._buffer = mmap.mmap(-1, len(keys) * LINE)  # anonymous and shared: the workers write, this process reads
        self._bounds = context.RawArray("q", [0, len(keys)])  # [next key a worker takes, end of the untaken keys]
        self._lock = context.Lock()
        self._workers = []
        for _ in range(workers):
            process = context.Process(target=_work, args=(seed, label, keys, self._buffer, self._bounds, self._lock),
                                      daemon=True)
            try:
                process.start()
            except OSError:  # no process could be made: its share is taken by the others, or here
                break
            self._workers.append(process)

    def result(self) -> list[str]:
        seed, label, keys = self._job
        bounds, lock = self._bounds, self._lock
        tail: list[list[str]] = [ticket_hex_list(seed, label, keys[start:end])
                                 for start, end in _chunks_from_back(bounds, lock)]
        low = bounds[1]  # the workers took every key below this
        failed = False
        for process in self._workers:
            process.join()
            failed = failed or process.exitcode != 0
        self._workers = []
        if failed:
            hexed = ticket_hex_list(seed, label, keys[:low])
        else:
            with memoryview(self._buffer) as view, view[:low * LINE] as head:
                hexed = str(head, "ascii").split()
        for part in reversed(tail):
            hexed += part
        self.close()
        return hexed

    def close(self) -> None:
        for process in self._workers:
            if process.exitcode is None:
                process.kill()
            process.join()
        self._workers = []
        if not self._buffer.closed:
            self._buffer.close()


def _chunk_worker(work, widths, buffers, bounds, lock) -> None:
    """In a forked worker: take chunks from the front of the range not yet taken, write work's outputs in place."""
    gc.disable()  # a collection would write to every inherited object, copying the parent's memory page by page
    for start, end in _chunks(bounds, lock):
        for buffer, width, out in zip(buffers, widths, work(start, end)):
            buffer[start * width:end * width] = out


class _Chunks:
    """work(start, end) over [0, n) in chunks: forked workers take them from the front, this process from the back.

    Each output of work is (end - start) × its width bytes, written at its place in a shared buffer, so the
    result is the same bytes whoever computed which chunk. Chunks a failed worker took are computed again here.
    """

    def __init__(self, context, n: int, work, widths: Sequence[int], workers: int):
        self._n, self._work, self._widths = n, work, tuple(widths)
        self._buffers = [mmap.mmap(-1, max(n * w, 1)) for w in self._widths]  # anonymous, shared with the workers
        self._bounds = context.RawArray("q", [0, n])  # [next index a worker takes, end of the untaken range]
        self._lock = context.Lock()
        self._workers = []
        for _ in range(workers):
            process = context.Process(target=_chunk_worker, daemon=True,
                                      args=(work, self._widths, self._buffers, self._bounds, self._lock))
            try:
                process.start()
            except OSError:  # no process could be made: its share is taken by the others, or here
                break
            self._workers.append(process)

    def _put(self, start: int, end: int) -> None:
        for buffer, width, out in zip(self._buffers, self._widths, self._work(start, end)):
            buffer[start * width:end * width] = out

    def result(self) -> tuple[bytes, ...]:
        bounds, lock = self._bounds, self._lock
        try:
            for start, end in _chunks_from_back(bounds, lock):
                self._put(start, end)
            low = bounds[1]  # the workers took every index below this
            failed = False
            for process in self._workers:
                process.join()
                failed = failed or process.exitcode != 0
            self._workers = []
            if failed:
                for start in range(0, low, CHUNK):
                    self._put(start, min(start + CHUNK, low))
            return tuple(buffer[:self._n * width] for buffer, width in zip(self._buffers, self._widths))
        finally:
            self.close()

    def close(self) -> None:
        for process in self._workers:
            if process.exitcode is None:
                process.kill()
            process.join()
        self._workers = []
        for buffer in self._buffers:
            if not buffer.closed:
                buffer.close()


class ParallelTickets:
    """A ticket function over several processes, for run_draw's `ticket_function`.

    Called like dsr.core.tickets.ticket_list (the chunks are joined in order, so the result is exactly
    ticket_list(seed, label, keys)); `start` begins computing hex tickets in forked workers at once
    and returns a PendingTickets, so the caller can go on with other work.
    """

    def __init__(self, workers: int | None = None, min_keys: int = MIN_KEYS):
        self.workers = workers or default_workers()
        self.min_keys = min_keys

    def map_chunks(self, n: int, work, widths: Sequence[int]) -> tuple[bytes, ...]:
        """work(0, n), computed in chunks over forked workers and this process: what run_draw uses.

        `work(start, end)` returns one bytes object per entry of `widths`, (end − start) × width long; the
        results are those of the chunks joined in order (below `min_keys`, one CPU or no fork: work(0, n) here).
        """
        context = _fork_context()
        if self.workers < 2 or n < max(self.min_keys, 1) or context is None:
            return tuple(work(0, n))
        return _Chunks(context, n, work, widths, self.workers - 1).result()

    def start(self, seed: bytes, label: str, keys: Sequence[str]):
        """Hex tickets of `keys` (read by the workers themselves), computed while the caller does other work.

        The caller keeps one CPU busy, so the keys are split over workers − 1 forked processes.
        """
        context = _fork_context()
        if self.workers < 2 or len(keys) < max(self.min_keys, 1) or context is None:
            return _Here(seed, label, keys)
        return _Forked(context, seed, label, keys, self.workers - 1)

    def __call__(self, seed: bytes, label: str, keys: Sequence[str]) -> list[bytes]:
        """ticket_list(seed, label, keys): this process computes the first chunk while pool processes do the others."""
        global _JOB
        if self.workers < 2 or len(keys) < self.min_keys:
            return ticket_list(seed, label, keys)
        step = -(-len(keys) // self.workers)
        bounds = [(i, min(i + step, len(keys))) for i in range(step, len(keys), step)]
        context = _fork_context() or multiprocessing.get_context()
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
                    out.extend(split_tickets(f.result()))
        finally:
            _JOB = None
        return out


def parallel_ticket_list(workers: int | None = None, min_keys: int = MIN_KEYS) -> ParallelTickets:
    """A ticket function splitting the keys over `workers` processes (default: the CPUs this process may use)."""
    return ParallelTickets(workers, min_keys)
