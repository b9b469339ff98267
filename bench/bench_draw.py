"""Benchmark: tickets + stratified draw + team matching for 1,000,000 units, 12 strata, 500 inspectors.

The inputs are frozen first (dsr.core.freeze.normalise, timed apart: every draw's inputs are frozen before the
commitment); then each step of run_draw is timed, run_draw end to end, and run_draw again --repeat times.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import platform
import resource
import sys
import time
from collections import Counter
from decimal import Decimal
from hashlib import sha256
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dsr.core import draw
from dsr.core import tickets as tickets_module
from dsr.core.freeze import normalise
from dsr.core.model import DrawInputs, Inspector
from dsr.core.rules import Batches, Factor, Rules, Stratum, Team, UnitFilter
from dsr.parallel import default_workers, parallel_ticket_list
from dsr.synth import INDUSTRIES, synth_detachment, synth_unit_objects

N_UNITS = 1_000_000
N_INSPECTORS = 500
SEED = "安阳市消防救援支队 bench 🎲".encode()
DAY = dt.date(2026, 12, 1)
RATIO = Decimal("0.023")  # with the credit multipliers below, about 20,000 of 1,000,000 are drawn


def bench_rules(brigade: str) -> Rules:
    """12 strata: 11 by industry, one catch-all; credit multipliers split each into up to 4 cells."""
    strata = [Stratum(f"行业：{ind}", "RATIO", UnitFilter(industries=(ind,)), ratio=RATIO, minimum=1)
              for ind in INDUSTRIES[:11]]
    strata.append(Stratum("其他行业", "RATIO", UnitFilter(), ratio=RATIO, minimum=1))
    credit = tuple(Factor(k, Decimal(v)) for k, v in zip("ABCD", ("0.5", "1", "1.5", "2")))
    return Rules(brigade=brigade, year=2026, item_code="XF-001", strata=tuple(strata), credit_multipliers=credit,
                 include_nine_small=True, eligible_statuses=("在营", "停业", "注销"),
                 team=Team(size=2, pool=(brigade,), max_units_per_inspector=100), batches=Batches(3, "random"))


def bench_inspectors(brigade: str) -> tuple[Inspector, ...]:
    """500 on-duty inspectors, half of them leaders (20,000 teams need a leader each, at most 100 per leader)."""
    return tuple(
        Inspector(cert_no=f"豫E{i:06d}", name=f"检查员{i}", gender="男", brigade=brigade, post="防火监督员", title=None,
                  enforcement_since=None, years=5, cert_expiry=dt.date(2030, 1, 1), status="在岗", leader=i % 2 == 0,
                  expert=False)
        for i in range(N_INSPECTORS)
    )


def build_inputs() -> DrawInputs:
    """One brigade with every unit (the draw is per brigade; 1,000,000 is the stress case), frozen as every draw's
    inputs are (dsr.core.freeze.normalise: sorted by key, the units as a column table); the freeze is timed apart."""
    (b,) = synth_detachment(1)
    units = synth_unit_objects(N_UNITS, (b,), seed=1)  # Unit objects in row order, as a reader makes them
    raw = DrawInputs(detachment="安阳市消防救援支队", brigade=b.name, units=units, inspectors=bench_inspectors(b.name),
                     items=(), conflicts=(), exclusions=(), history=(), rules=bench_rules(b.name),
                     inspection_date=DAY)
    t, c = time.perf_counter(), time.process_time()
    with draw.collector_paused():
        frozen = normalise(raw)
    print(f"froze the inputs (sorted by key, units as a table of rows; before the commitment, not part of the draw): "
          f"{time.perf_counter() - t:.2f} s wall, {time.process_time() - c:.2f} s CPU")
    return frozen


def cpu_seconds() -> float:
    """CPU seconds of this process and of its finished children (the ticket workers)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def timed(label: str, fn, rows: list):
    """Run fn once, record (label, wall seconds, CPU seconds), return its value."""
    t, c = time.perf_counter(), cpu_seconds()
    value = fn()
    rows.append((label, time.perf_counter() - t, cpu_seconds() - c))
    return value


PARALLEL = "tickets + bound flags, 2 processes"
OUTCOMES = "per-unit outcomes"
FIRST = ("read units", "classify", "plan sizes", "tickets + bound flags (")


def phases(inputs: DrawInputs) -> list[tuple[str, float, float]]:
    """The steps of run_draw, timed one by one (same calls, in the same order, the collector paused as there)."""
    rows: list[tuple[str, float, float]] = []
    with draw.collector_paused():
        columns = timed("read units once, check keys", lambda: draw.read_units(inputs), rows)
        inputs = columns.inputs
        placed = timed("classify into strata and cells", lambda: draw.place(inputs, columns), rows)
        plans = timed("plan sizes + capacity/team checks", lambda: draw._plan_from(inputs, placed), rows)
        columns = None  # run_draw lets the columns go here too
        column, flags = timed(f"tickets + bound flags ({len(placed.keys):,} HMAC-SHA256)",
                              lambda: draw.unit_tickets(SEED, placed, plans), rows)
        two = parallel_ticket_list(2)
        own = time.process_time()
        parallel = timed(PARALLEL, lambda: draw.unit_tickets(SEED, placed, plans, two), rows)
        own = time.process_time() - own
        assert parallel[0]._buffer == column._buffer and parallel[1] == flags
        del parallel
        keys, units = placed.keys, inputs.units
        drawn = timed("select lowest tickets per cell", lambda: sorted(draw._select(plans, placed, column, flags)),
                      rows)
        batches = timed("batches", lambda: draw._batches(
            SEED, inputs.rules, [(placed.wheres[placed.where_of[i]].stratum, keys[i]) for i in drawn]), rows)
        batch_of = timed("batch numbers per unit", lambda: {k: b.number for b in batches for k in b.units}, rows)
        timed("match teams", lambda: draw.match(SEED, inputs, draw._batch_units(units, keys, drawn, batches)), rows)
        timed(f"{OUTCOMES} ({len(units):,}, kept as columns)",
              lambda: draw._outcomes(placed, plans, column, drawn, batch_of, inputs.rules), rows)
    print(f"  (2-process tickets: {own:.3f} s CPU in the drawing process)")
    return rows


def end_to_end(inputs: DrawInputs, ticket_function, label: str) -> None:
    """Time run_draw once and print it with the draw's size, then the collection it leaves for later."""
    t, c = time.perf_counter(), cpu_seconds()
    gc.collect()
    print(f"  a full collection before run_draw (the inputs alone): {time.perf_counter() - t:.2f} s wall, "
          f"{cpu_seconds() - c:.2f} s CPU")
    t, c, own = time.perf_counter(), cpu_seconds(), time.process_time()
    result = draw.run_draw(SEED, inputs, ticket_function)
    wall, cpu, own = time.perf_counter() - t, cpu_seconds() - c, time.process_time() - own
    status = Counter(u.status for u in result.units)
    cells = sum(len(s.cells) for s in result.strata)
    print(f"run_draw end to end, {label}: {wall:.2f} s wall, {cpu:.2f} s CPU "
          f"({own:.2f} s in the drawing process); {status['drawn']:,} drawn in {cells} cells, "
          f"{len(result.teams):,} teams, {len(result.warnings)} warnings; load average {os.getloadavg()[0]:.1f}")
    t, c = time.perf_counter(), cpu_seconds()
    gc.collect()  # run_draw pauses the collector; the objects it made are scanned once afterwards
    print(f"  then one full collection over the result: {time.perf_counter() - t:.2f} s wall, "
          f"{cpu_seconds() - c:.2f} s CPU")


def hashlib_reference(inputs: DrawInputs) -> float:
    """CPU seconds to hash every unit key once with hashlib.sha256: how fast this machine is right now."""
    keys = [k.encode() for k in inputs.units.column("key")]
    c = time.process_time()
    for k in keys:
        sha256(k).digest()
    return time.process_time() - c


def repeated(inputs: DrawInputs, runs: int) -> None:
    """run_draw end to end `runs` times on the same inputs (default ticket path): each run, then min and median."""
    walls = []
    for _ in range(runs):
        gc.collect()
        t = time.perf_counter()
        result = draw.run_draw(SEED, inputs)
        walls.append(time.perf_counter() - t)
        del result
    walls.sort()
    print(f"run_draw end to end, {runs} runs: " + ", ".join(f"{w:.2f}" for w in walls)
          + f" s wall; min {walls[0]:.2f}, median {walls[len(walls) // 2]:.2f}; load average {os.getloadavg()[0]:.1f}")


def main() -> None:
    """Print the figures: each phase (wall and CPU seconds), then run_draw end to end."""
    global N_UNITS
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--units", type=int, default=N_UNITS, help="units in the brigade (default 1,000,000)")
    parser.add_argument("--repeat", type=int, default=5, help="end-to-end runs of run_draw for min and median")
    parser.add_argument("--python", action="store_true",
                        help="without the compiled ticket accelerator (dsr.core._ticketc): the pure-Python path")
    args = parser.parse_args()
    N_UNITS = args.units
    if args.python:
        tickets_module._fast = None
    print(f"ticket hashing: {'Python (hashlib)' if tickets_module._fast is None else 'compiled (OpenSSL)'}; "
          f"the default path hashes in {'2 threads' if tickets_module._fast and default_workers() > 1 else '1 thread'}")
    t = time.perf_counter()
    inputs = build_inputs()
    print(f"built inputs in {time.perf_counter() - t:.1f} s: {len(inputs.units):,} units, "
          f"{len(inputs.inspectors)} inspectors, {len(inputs.rules.strata)} strata")
    print(f"python {platform.python_version()} on {platform.machine()}, {platform.system()}; "
          f"load average {os.getloadavg()[0]:.1f} (wall time inflates under load; CPU time less so)")
    print(f"reference (the issue's yardstick, about 0.8 s on its machine): hashlib.sha256 of the {len(inputs.units):,} "
          f"keys in a loop: {hashlib_reference(inputs):.2f} s CPU now")
    print(f"  {'phase':<52} {'wall s':>8} {'CPU s':>8}")
    rows = phases(inputs)
    for label, wall, cpu in rows:
        print(f"  {label:<52} {wall:>8.3f} {cpu:>8.3f}")
    later = [(w, c) for name, w, c in rows if not name.startswith((OUTCOMES, PARALLEL) + FIRST)]
    for label, first in (("default path", [(w, c) for name, w, c in rows if name.startswith(FIRST)]),
                         ("tickets on 2 processes", [(w, c) for name, w, c in rows
                                                     if name.startswith(FIRST[:3] + (PARALLEL,))])):
        core = first + later
        print(f"  {'tickets + draw + matching, ' + label:<52} {sum(w for w, _ in core):>8.3f} {sum(c for _, c in core):>8.3f}")
    print(f"  load average now {os.getloadavg()[0]:.1f}; CPUs usable {default_workers()}")
    end_to_end(inputs, None, "default path")
    end_to_end(inputs, parallel_ticket_list(2), "tickets on 2 processes")
    if args.repeat:
        repeated(inputs, args.repeat)


if __name__ == "__main__":
    main()
