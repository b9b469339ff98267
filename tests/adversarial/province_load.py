"""Province-sized load: 1,000,000 units over 150 brigades through check, commit, draw and verify; prints wall time and peak RSS.

Usage: .venv/bin/python -m tests.adversarial.province_load [--units N] [--brigades B] [--keep DIR]
(run from the repository root; the slow test test_load.py runs it with the defaults).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import resource
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from dsr import synth  # noqa: E402
from dsr.core import commitment as cm  # noqa: E402
from dsr.core.entropy import sources_from_plain  # noqa: E402
from dsr.core.freeze import build_draw_inputs, frozen_document, inputs_from_document  # noqa: E402
from dsr.core.canonical import canonical_bytes, sha256_hex  # noqa: E402
from dsr.core.rules import Rules, Stratum, Team  # noqa: E402
from dsr.inputs import load_detachment, schema  # noqa: E402
from dsr.inputs.reader import read_inputs  # noqa: E402

DAY = dt.date(2026, 12, 1)
DICE = {"id": "dice", "kind": "dice", "description": "骰子", "when": "现场", "fallback": "重掷",
        "count": "60", "low": "0", "high": "9"}


def rss_mib() -> float:
    """Peak resident set size of this process so far, MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def phase(label: str, fn, figures: list):
    """Run one phase; print and keep its wall time, CPU time and the peak RSS after it."""
    start, cpu = time.perf_counter(), time.process_time()
    value = fn()
    row = (label, time.perf_counter() - start, time.process_time() - cpu, rss_mib())
    figures.append(row)
    print(f"LOAD {row[0]:<44} {row[1]:8.1f} s wall {row[2]:8.1f} s CPU  peak RSS {row[3]:8.0f} MiB", flush=True)
    return value


def province(n: int):
    """The 9 Anyang brigades and invented ones; a detachment file is one city, so all division codes are 4105xx."""
    extra = [synth.SynthBrigade(b.name, f"4105{k % 100:02d}", b.full_name, b.place)
             for k, b in enumerate(synth.synth_detachment(n)[len(synth.ANYANG):], start=len(synth.ANYANG) + 1)]
    return (*synth.ANYANG, *extra)[:n]


def write_detachment(path: Path, brigades) -> Path:
    """A detachment.yaml naming the synthetic brigades."""
    lines = ["detachment: 演示省消防救援总队", 'city_division: "410500"', "brigades:"]
    lines += [f'  - {{name: {b.name}, division: "{b.division}", full_name: {b.full_name}}}' for b in brigades]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def write_inputs(folder: Path, n_units: int, brigades) -> list[Path]:
    """Units as a streamed .xlsx of n rows; inspectors (4 per brigade) and the items as clerk-like workbooks."""
    units = folder / "检查对象名录库.xlsx"
    synth.write_units_xlsx(units, n_units, brigades, seed=7)
    people = synth.synth_inspectors(4 * len(brigades), brigades, seed=7)
    rows = [(p.name, p.gender, p.brigade, p.post, None, p.years, None, p.cert_no, p.cert_expiry, p.status,
             "是" if p.leader else "否", "否", "XF-001") for p in people]
    inspectors = folder / "执法检查人员名录库.xlsx"
    synth.write_workbook(inspectors, schema.INSPECTORS, rows)
    items = folder / "随机抽查事项清单.xlsx"
    synth.write_workbook(items, schema.ITEMS, [tuple(r.get(c.header) for c in schema.ITEMS.columns)
                                              for r in synth.demo_items()])
    return [items, units, inspectors]


def rules_for(brigade: str) -> Rules:
    """1 % of every brigade's in-business units, teams of two from the brigade."""
    return Rules(brigade, 2026, "XF-001", (Stratum("全部单位", "RATIO", ratio=Decimal("0.01"), multipliers=False),),
                 team=Team(size=2, pool=(brigade,), max_units_per_inspector=10_000))


def run(n_units: int, n_brigades: int, folder: Path) -> list:
    """All phases; returns the figures rows."""
    figures: list = []
    brigades = province(n_brigades)
    det_path = write_detachment(folder / "detachment.yaml", brigades)
    paths = phase(f"write inputs ({n_units:,} units xlsx)", lambda: write_inputs(folder, n_units, brigades), figures)
    print(f"LOAD units.xlsx {paths[1].stat().st_size / 2**20:.1f} MiB", flush=True)
    det = load_detachment(det_path)
    checked = phase("read + check (dsr check)", lambda: read_inputs(paths, det, DAY), figures)
    directory = checked.directory
    print(f"LOAD directory: {len(directory.units):,} units, {len(directory.inspectors):,} inspectors; "
          f"{len(checked.warnings):,} warnings", flush=True)
    del checked
    gc.collect()
    names = [b.name for b in brigades]
    inputs = phase(f"freeze inputs ×{n_brigades}", lambda: {
        b: build_draw_inputs(directory, det.name, b, rules_for(b), (), DAY) for b in names}, figures)
    sources = sources_from_plain([DICE])
    c = phase("commit (make_commitment, 150 plans)", lambda: cm.make_commitment(
        "PROVINCE-2026-12", det.name, inputs, sources, "0.1.0", cm.ALGORITHM, "2026-11-27T09:00:00+08:00", "load"),
        figures)
    docs = phase(f"frozen documents ×{n_brigades}", lambda: {b: frozen_document(i) for b, i in inputs.items()}, figures)
    values = {"dice": list("3809512746" * 6)}
    drawn = phase(f"draw ×{n_brigades} (run_ceremony)", lambda: cm.run_ceremony(c, inputs, values,
                                                                               software_version="0.1.0"), figures)
    results = {b: sha256_hex(canonical_bytes(r)) for b, r in drawn.results}
    n_drawn = sum(sum(1 for u in r.units if u.status == "drawn") for _b, r in drawn.results)
    print(f"LOAD drawn {n_drawn:,} units in {len(results)} brigades", flush=True)
    del inputs, drawn
    gc.collect()

    def verify():
        """What a verifier does: rebuild inputs from the frozen documents, re-run the ceremony, compare."""
        rebuilt = {b: inputs_from_document(d) for b, d in docs.items()}
        again = cm.run_ceremony(c, rebuilt, values, committed_documents=docs, software_version="0.1.0")
        return all(sha256_hex(canonical_bytes(r)) == results[b] for b, r in again.results)

    ok = phase(f"verify (rebuild ×{n_brigades} + redraw)", verify, figures)
    print(f"LOAD verify {'ok' if ok else 'MISMATCH'}", flush=True)
    if not ok:
        raise SystemExit(1)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--units", type=int, default=1_000_000)
    parser.add_argument("--brigades", type=int, default=150)
    parser.add_argument("--keep", type=Path, help="folder to keep the generated files in")
    args = parser.parse_args()
    print(f"LOAD {args.units:,} units, {args.brigades} brigades; load average {os.getloadavg()[0]:.1f}", flush=True)
    start = time.perf_counter()
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        run(args.units, args.brigades, args.keep)
    else:
        with tempfile.TemporaryDirectory() as folder:
            run(args.units, args.brigades, Path(folder))
    print(f"LOAD total {time.perf_counter() - start:.1f} s, peak RSS {rss_mib():.0f} MiB", flush=True)


if __name__ == "__main__":
    main()
