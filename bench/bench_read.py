"""Time read+validate of a generated unit directory (.xlsx) and report peak memory; prints its figures.

Usage: python bench/bench_read.py [--rows N ...] [--big] [--keep DIR] [--writer excel openpyxl] [--mode read check]
(--big adds 1,000,000 rows). Each size is written twice, from the same rows:
`excel`    as Excel and WPS save a workbook (`xlsx_excel_like`: shared strings, UTF-8, numbers as numbers, Excel's
           styles): the file a clerk hands in, the primary figure;
`openpyxl` openpyxl write_only (every text an inline string, every CJK character a `&#…;` reference, about twice
           the XML): the worst case (above 200,000 rows dsr.synth's streamed writer of the same inline strings).
Each file is read twice, each time in a fresh child process so that its peak RSS is its own (CPU time counts
every thread: large sheets are parsed by calamine in two threads while the main thread checks the rows):
`read`  = read_inputs (the Directory with every Unit, as a draw needs it),
`check` = check_inputs (what `dsr check` runs: the same checks, the units counted instead of kept).
--keep DIR keeps the generated files there and reuses them on the next run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Sequence
from pathlib import Path

from openpyxl import Workbook

from dsr import synth
from dsr.inputs import check_inputs, load_detachment, read_inputs, schema
from dsr.inputs.uscc import ALPHABET, check_char

sys.path.insert(0, str(Path(__file__).resolve().parent))
from xlsx_excel_like import read_alike, write_excel_like  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PARAMS = ROOT / "params" / "detachment.yaml"
SEED = 20260301  # fixed: the same file every run


_SUFFIXES = ("商贸有限公司", "餐饮管理有限公司", "大酒店", "超市", "宾馆有限公司", "物流有限公司", "建材商行",
             "汽车维修中心", "幼儿园", "养老院", "百货有限公司", "化工有限公司", "加油站", "网吧", "KTV", "服装厂")
_SCALES = ("员工 {} 人", "床位{}张", "客房{}间", "座位{}个", "营业面积{}平方米")


def unit_rows(n: int, rng: random.Random, detachment) -> list:
    """n valid unit rows in schema column order, shaped like a clerk's directory.

    Codes are valid and unique; names, legal representatives and addresses are drawn from the demo generator's
    vocabulary, so nearly every row has texts of its own (as in a real directory), while 登记机关, 管辖单位,
    the enumerations and 是/否 repeat. 建筑面积 is a number (two decimals), as a clerk types it.
    """
    brigades = detachment.brigades
    places = {b.name: b for b in synth.ANYANG}
    for i in range(n):
        b = brigades[i % len(brigades)]
        place = places[b.name]
        body = "MA" + _base31(i, 5) + rng.choice(ALPHABET) + rng.choice(ALPHABET)  # unique by construction
        first17 = "91" + b.division + body
        unit_class = ("消防安全重点单位", "一般单位", "九小场所")[i % 3]
        trade = rng.choice(synth.TRADE_NAMES) + rng.choice(synth.TRADE_NAMES)[0]
        facilities = [f for f in schema.FACILITIES[:-1] if rng.random() < 0.3] or ["灭火器"]
        yield [
            f"{place.place}{trade}{rng.choice(_SUFFIXES)}", first17 + check_char(first17),
            synth.person_name(rng), synth.address(rng, place), f"安阳市{b.name}市场监督管理局", b.name, unit_class,
            rng.choice(schema.KEY_CATEGORIES) if unit_class == "消防安全重点单位" else "", rng.choice("是否"),
            rng.choice("是否"), rng.choice(("高层", "多层", "单层", "地下")), round(rng.uniform(50, 50000), 2),
            rng.choice(_SCALES).format(rng.randint(1, 900)), "、".join(facilities), rng.choice(synth.INDUSTRIES),
            rng.choice(("低", "较低", "一般", "较高", "高")), rng.choice("ABCD"), rng.choice(("在营",) * 9 + ("停业",)),
            "",
        ]


def _base31(n: int, width: int) -> str:
    """`n` in the credit-code alphabet, zero-padded to `width` characters."""
    out = ""
    for _ in range(width):
        n, digit = divmod(n, len(ALPHABET))
        out = ALPHABET[digit] + out
    return out


WRITERS = ("excel", "openpyxl")  # the file as Excel/WPS save it (primary), and openpyxl's worst case


def generate(path: Path, n: int, writer: str) -> tuple[float, str]:
    """Write an n-row unit directory with `writer`; return seconds taken and the writer's label.

    excel: `xlsx_excel_like` (shared strings, UTF-8, numbers as numbers, Excel's styles), as Excel and WPS save.
    openpyxl: openpyxl write_only (every text an inline string, every CJK character a `&#…;` reference: about
    3x the XML); above 200,000 rows dsr.synth's streamed writer (the same inline strings, about 10x faster), so
    that generating the 1,000,000-row file does not dominate the run.
    """
    start = time.perf_counter()
    detachment = load_detachment(PARAMS)
    rows = unit_rows(n, random.Random(SEED + n), detachment)
    headers = [c.header for c in schema.UNITS.columns]
    if writer == "excel":
        text = [c.kind in (schema.TEXT, schema.CODE) for c in schema.UNITS.columns]
        write_excel_like(path, schema.UNITS.title, headers, rows, n, text)
        return time.perf_counter() - start, "Excel-like: shared strings"
    if n > 200_000:
        from dsr.synth import write_plain_xlsx

        write_plain_xlsx(path, schema.UNITS.title, headers, (tuple(r) for r in rows))
        return time.perf_counter() - start, "inline strings, synth.write_plain_xlsx"
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(schema.UNITS.title)
    ws.append(headers)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return time.perf_counter() - start, "inline strings, openpyxl write_only"


def read_child(path: Path, mode: str) -> None:
    """In the child: read+validate once, print seconds, units and peak RSS (MiB)."""
    detachment = load_detachment(PARAMS)
    start, cpu, main = time.perf_counter(), time.process_time(), time.thread_time()
    checked = (check_inputs if mode == "check" else read_inputs)([path], detachment, dt.date(2026, 3, 1))
    seconds, cpu, main = time.perf_counter() - start, time.process_time() - cpu, time.thread_time() - main
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    units = checked.tally.count if checked.tally else len(checked.directory.units)
    print(f"{seconds:.2f} {cpu:.2f} {units} {len(checked.warnings)} {peak:.0f} {main:.2f}")


def calibrate() -> float:
    """CPU seconds of a fixed 10-million-step Python loop: tells a loaded machine from a slow reader."""
    cpu = time.process_time()
    total = 0
    for i in range(10_000_000):
        total += i
    return time.process_time() - cpu


def _busy_seconds() -> float | None:
    """CPU seconds the whole machine has been busy (all processes, from /proc/stat); None if unknown."""
    try:
        with open("/proc/stat") as fh:
            ticks = list(map(int, fh.readline().split()[1:]))
    except (OSError, ValueError):
        return None
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # all but idle and iowait


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _others(busy: float | None, children: float, elapsed: float) -> str:
    """The cores other processes kept busy while the child ran (/proc/stat minus the child's own CPU, start-up
    included). The load average lags and counts the child itself; with 2 cores, others near 1 means the child had
    about one core, and its wall time says little."""
    now = _busy_seconds()
    if busy is None or now is None or elapsed <= 0:
        return ""
    return f"  others={max(0.0, now - busy - (_children_cpu() - children)) / elapsed:.1f} cores"


def measure(n: int, folder: Path, writers: Sequence[str], modes: Sequence[str], verify: bool = False) -> None:
    """Generate, then read in a child process per mode; print one line of figures each."""
    for writer in writers:
        path = folder / f"units_{n}_{writer}.xlsx"
        if path.exists():
            gen, label = 0.0, "kept"
        else:
            gen, label = generate(path, n, writer)
        with zipfile.ZipFile(path) as zf:
            xml = sum(i.file_size for i in zf.infolist() if i.filename.startswith("xl/worksheets/")
                      or i.filename == "xl/sharedStrings.xml")
        size = path.stat().st_size / 2**20
        print(f"rows={n:>9,}  {writer:8}  file={size:6.1f} MiB (XML {xml / 2**20:.0f} MiB)  "
              f"generate={gen:6.2f} s ({label})", flush=True)
        if verify and writer == "excel":
            start = time.perf_counter()
            compared = read_alike(path, schema.UNITS.title)
            print(f"  calamine and openpyxl read the same {compared:,} rows ({time.perf_counter() - start:.0f} s)",
                  flush=True)
        for mode in modes:
            busy, children, start = _busy_seconds(), _children_cpu(), time.perf_counter()
            out = subprocess.run([sys.executable, __file__, "--child", str(path), "--mode", mode],
                                 capture_output=True, text=True)
            others = _others(busy, children, time.perf_counter() - start)
            if out.returncode:
                print(f"  {writer:8} {mode:5}  failed (exit {out.returncode}):\n{out.stderr[-3000:]}", flush=True)
                continue
            seconds, cpu, units, warnings, peak, main = out.stdout.split()
            print(f"  {writer:8} {mode:5} {float(seconds):7.2f} s wall, {float(cpu):7.2f} s CPU "
                  f"(main thread {float(main):.2f})  ({n / float(seconds):,.0f} rows/s)  "
                  f"units={int(units):,}  warnings={int(warnings):,}  peak RSS={peak} MiB  "
                  f"load={os.getloadavg()[0]:.1f}{others}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, nargs="*", default=[1_000, 10_000, 100_000])
    parser.add_argument("--big", action="store_true", help="also 1,000,000 rows")
    parser.add_argument("--keep", type=Path, help="keep the generated files in DIR and reuse them")
    parser.add_argument("--writer", choices=WRITERS, nargs="*", default=list(WRITERS),
                        help="which files: excel (as Excel/WPS save) and/or openpyxl (inline strings)")
    parser.add_argument("--mode", dest="modes", choices=("read", "check"), nargs="*", default=["read", "check"])
    parser.add_argument("--verify", action="store_true",
                        help="check that calamine and openpyxl read each Excel-like file alike (slow: openpyxl)")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        read_child(args.child, args.modes[0])
        return
    sizes = args.rows + ([1_000_000] if args.big else [])
    print(f"bench_read: python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}, "
          f"calibration loop {calibrate():.2f} s CPU (≈0.4–0.5 s on an idle modern core); "
          "target read+validate ≤ 3 s for 100,000 rows", flush=True)
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        for n in sizes:
            measure(n, args.keep, args.writer, args.modes, args.verify)
        return
    with tempfile.TemporaryDirectory() as folder:
        for n in sizes:
            measure(n, Path(folder), args.writer, args.modes, args.verify)


if __name__ == "__main__":
    main()
