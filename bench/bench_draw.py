"""Benchmark: tickets + stratified draw + team matching for 1,000,000 units, 12 strata, 500 inspectors."""

from __future__ import annotations

import datetime as dt
import gc
import platform
import sys
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dsr.core import draw  # noqa: E402
from dsr.core.model import DrawInputs, Inspector  # noqa: E402
from dsr.core.rules import Batches, Factor, Rules, Stratum, Team, UnitFilter  # noqa: E402
from dsr.core.tickets import LABEL_UNIT, tickets  # noqa: E402
from dsr.synth import INDUSTRIES, synth_detachment, synth_unit_objects  # noqa: E402

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
    """500 on-duty inspectors, a third of them leaders."""
    return tuple(
        Inspector(cert_no=f"豫E{i:06d}", name=f"检查员{i}", gender="男", brigade=brigade, post="防火监督员", title=None,
                  enforcement_since=None, years=5, cert_expiry=dt.date(2030, 1, 1), status="在岗", leader=i % 3 == 0,
                  expert=False)
        for i in range(N_INSPECTORS)
    )


def build_inputs() -> DrawInputs:
    """One brigade with every unit (the draw is per brigade; 1,000,000 is the stress case)."""
    (b,) = synth_detachment(1)
    units = tuple(sorted((u for u in synth_unit_objects(N_UNITS, (b,), seed=1)), key=lambda u: u.key))
    return DrawInputs(detachment="安阳市消防救援支队", brigade=b.name, units=units, inspectors=bench_inspectors(b.name),
                      items=(), conflicts=(), exclusions=(), history=(), rules=bench_rules(b.name),
                      inspection_date=DAY)


def timed(label: str, fn, rows: list):
    """Run fn once, record (label, seconds), return its value."""
    t = time.perf_counter()
    value = fn()
    rows.append((label, time.perf_counter() - t))
    return value


def phases(inputs: DrawInputs) -> list[tuple[str, float]]:
    """The steps of run_draw, timed one by one (same calls, in the same order)."""
    rows: list[tuple[str, float]] = []
    units = list(inputs.units)
    placed = timed("classify units into strata and cells", lambda: draw.place(inputs), rows)
    plans = timed("plan sizes + capacity/team checks", lambda: draw._plan_from(inputs, placed), rows)
    keys = [u.key for u in units]
    unit_tickets = timed("tickets (1,000,000 HMAC-SHA256)", lambda: tickets(SEED, LABEL_UNIT, keys), rows)
    drawn = timed("select lowest tickets per cell", lambda: draw._select(plans, placed, unit_tickets), rows)
    batches = timed("batches", lambda: draw._batches(SEED, inputs.rules,
                                                      [(i, k) for i, k in zip(placed.stratum, keys) if k in drawn]),
                    rows)
    by_key = {u.key: u for u in units}
    teams = timed("match teams", lambda: draw.match(SEED, inputs, [[by_key[k] for k in b.units] for b in batches]),
                  rows)
    timed("per-unit outcomes (1,000,000)", lambda: draw._outcomes(
        units, placed, plans, unit_tickets, drawn, {k: b.number for b in batches for k in b.units}, inputs.rules), rows)
    rows.append(("(drawn units)", len(drawn)))
    rows.append(("(teams)", len(teams.teams)))
    return rows


def main() -> None:
    """Print the figures: each phase, then run_draw end to end."""
    t = time.perf_counter()
    inputs = build_inputs()
    print(f"built inputs in {time.perf_counter() - t:.1f} s: {len(inputs.units):,} units, "
          f"{len(inputs.inspectors)} inspectors, {len(inputs.rules.strata)} strata")
    print(f"python {platform.python_version()} on {platform.machine()}, {platform.system()}")
    gc.freeze()  # the million inputs are long-lived; keep the collector from rescanning them
    for label, value in phases(inputs):
        print(f"  {label:<42} {value:>8.3f} s" if isinstance(value, float) else f"  {label:<42} {value:>8,}")
    t = time.perf_counter()
    result = draw.run_draw(SEED, inputs)
    total = time.perf_counter() - t
    status = Counter(u.status for u in result.units)
    cells = sum(len(s.cells) for s in result.strata)
    print(f"run_draw end to end (incl. 1,000,000 per-unit outcomes): {total:.2f} s; "
          f"{status['drawn']:,} drawn in {cells} cells, {len(result.teams):,} teams, {len(result.warnings)} warnings")


if __name__ == "__main__":
    main()
