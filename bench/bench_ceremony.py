"""Benchmark: freeze, digest and commit a batch of 9 brigades, then canonical entropy, seed and draws.

Usage: python bench/bench_ceremony.py [--units N]   (default 100,000 units over the 9 brigades)
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dsr.core import commitment as cm  # noqa: E402
from dsr.core.canonical import canonical_bytes  # noqa: E402
from dsr.core.entropy import canonical_entropy, sources_from_plain  # noqa: E402
from dsr.core.freeze import build_draw_inputs, frozen_document, input_digests  # noqa: E402
from dsr.core.model import Directory, Inspector  # noqa: E402
from dsr.core.rules import Rules, Stratum, Team  # noqa: E402
from dsr.synth import synth_detachment, synth_unit_objects  # noqa: E402

DAY = dt.date(2026, 12, 1)
DICE = {"id": "dice", "kind": "dice", "description": "骰子", "when": "现场", "fallback": "重掷",
        "count": "40", "low": "0", "high": "9"}


def _inspectors(brigades) -> tuple[Inspector, ...]:
    """Twenty leaders per brigade, so every plan is feasible."""
    return tuple(
        Inspector(f"{b.division}{i:03d}", f"检查员{i}", "男", b.name, "防火监督", None, None, 5,
                  dt.date(2029, 1, 1), "在岗", True, False)
        for b in brigades for i in range(20)
    )


def _timed(label: str, fn):
    """Run fn once, print its wall and CPU time (CPU is the steadier figure on a shared machine)."""
    start, cpu = time.perf_counter(), time.process_time()
    value = fn()
    print(f"{label:<34}{time.perf_counter() - start:8.2f} s wall {time.process_time() - cpu:8.2f} s cpu")
    return value


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=100_000)
    n = parser.parse_args().units
    brigades = synth_detachment(9)
    units = synth_unit_objects(n, brigades, seed=7)
    directory = Directory(units, _inspectors(brigades), ())
    print(f"{n:,} units, 9 brigades; Python {platform.python_version()} on {platform.machine()}")
    rules = {b.name: Rules(b.name, 2026, "XF-001", (Stratum("全部", "RATIO", ratio=Decimal("0.02"), multipliers=False),),
                           team=Team(size=2, pool=(b.name,))) for b in brigades}
    inputs = _timed("build_draw_inputs ×9", lambda: {
        b: build_draw_inputs(directory, "安阳市消防救援支队", b, r, (), DAY) for b, r in rules.items()})
    docs = _timed("frozen_document ×9", lambda: {b: frozen_document(i) for b, i in inputs.items()})
    _timed("canonical bytes of documents", lambda: sum(len(canonical_bytes(d)) for d in docs.values()))
    _timed("input_digests ×9", lambda: [input_digests(d) for d in docs.values()])
    sources = sources_from_plain([DICE])
    c = _timed("make_commitment (incl. plan)", lambda: cm.make_commitment(
        "BENCH", "安阳市消防救援支队", inputs, sources, "0.1.0", cm.ALGORITHM, "2026-11-27T09:00:00+08:00", "bench"))
    text = canonical_entropy(sources, {"dice": list("0123456789" * 4)})
    _timed("run_ceremony (check + draw ×9)", lambda: cm.run_ceremony(
        c, inputs, {"dice": list("0123456789" * 4)}, software_version="0.1.0"))
    print(f"canonical entropy {text}")


if __name__ == "__main__":
    main()
