"""Benchmark: how fast dsr.synth makes big directories (Unit objects and .xlsx rows); prints its figures."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dsr import synth


def timed(label: str, fn) -> object:
    """Run `fn` once; print wall and CPU seconds (CPU tells a loaded machine from a slow generator)."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn()
    print(f"{label:<46} {time.perf_counter() - wall:7.2f} s wall  {time.process_time() - cpu:7.2f} s CPU  "
          f"load={os.getloadavg()[0]:.1f}", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--units", type=int, default=1_000_000)
    parser.add_argument("--rows", type=int, default=100_000, help="rows of the .xlsx written")
    args = parser.parse_args()
    brigades = synth.synth_detachment(150)
    timed(f"synth_unit_objects({args.units:,}, 150 brigades)", lambda: synth.synth_unit_objects(args.units, brigades, 7))
    timed(f"synth_directory({args.units:,}, 150, 500)", lambda: synth.synth_directory(args.units, 150, 500, 7))
    timed(f"synth_units({args.rows:,}) rows", lambda: sum(1 for _ in synth.synth_units(args.rows, seed=7)))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "units.xlsx"
        timed(f"write_units_xlsx({args.rows:,})", lambda: synth.write_units_xlsx(path, args.rows, seed=7))
        print(f"{'':<46} file {path.stat().st_size / 2**20:.1f} MiB")
    timed("demo_rows() (the 5,000-unit Anyang demo)", synth.demo_rows)


if __name__ == "__main__":
    main()
