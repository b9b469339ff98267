"""Times `dsr batch`: the demo batch (9 brigades) and a synthetic province of N brigades, wall and CPU time.

    python bench/bench_batch.py                   # demo batch, then a 150-brigade province
    python bench/bench_batch.py --brigades 20     # a quicker province
    python bench/bench_batch.py --skip-demo --no-records   # province: commitment and draw only
    python bench/bench_batch.py --timeline        # `dsr batch --demo` as a command, with a timeline per process
    DSR_BATCH_TRACE=t.jsonl python bench/bench_batch.py --skip-demo; python bench/bench_batch.py --show-trace t.jsonl

CPU time is this process plus every waited-for child (workers, their kernel nurseries and kernels): on a
shared machine wall time is noisy, CPU time much less so. Peak RSS is printed for the parent and for the
largest child.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import yaml

from dsr import synth
from dsr.ceremony.batch import run_batch
from dsr.ceremony.config import load_ceremony
from dsr.inputs import schema

REPO = Path(__file__).resolve().parents[1]
DEMO = REPO / "params/demo/ceremony.yaml"


def _cpu() -> tuple[float, float]:
    """(this process, its waited-for children) CPU seconds, user + system."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, kids.ru_utime + kids.ru_stime


class Timer:
    """Wall and CPU seconds of a block: the batch process itself (parent) and its workers and kernels."""

    def __enter__(self) -> Timer:
        self.wall, (self.parent, self.children) = time.perf_counter(), _cpu()
        return self

    def __exit__(self, *exc: object) -> None:
        own, kids = _cpu()
        self.wall, self.parent, self.children = time.perf_counter() - self.wall, own - self.parent, kids - self.children

    @property
    def cpu(self) -> float:
        return self.parent + self.children

    def __str__(self) -> str:
        return (f"{self.wall:7.1f} s wall, {self.cpu:7.1f} s CPU "
                f"(parent {self.parent:.1f} s, workers and kernels {self.children:.1f} s)")


def _peak_rss() -> str:
    """Peak resident memory so far: this process, and the largest of its finished children (workers, kernels)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return f"peak RSS: parent {own:.0f} MiB, largest worker/kernel {kids:.0f} MiB"


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min) / {five:.1f} (5 min) on {os.cpu_count()} cores"


def _batch(ceremony, root: Path, workers: int, label: str, records: bool = True) -> None:
    """Commit (as days before the ceremony), then draw and build the records; print each phase."""
    print(f"[{label}] {len(ceremony.brigades)} brigades, {workers} workers; before: {_load()}")
    with Timer() as commit:
        run_batch(ceremony, root, workers=workers, commit_only=True)
    print(f"[{label}] commit (read workbooks, freeze, notice HTML + PDF/A, ledger): {commit}")
    if not records:
        from dsr import __version__
        from dsr.archive import LEDGER_NAME, Archive, Ledger
        from dsr.ceremony.batch import _brigade_drawer, ceremony_entropy
        from dsr.ceremony.batch import commit as do_commit
        from dsr.core import commitment as cm

        with Timer() as draw:
            archive = Archive(root)
            with archive.batch_lock(), Ledger(root / LEDGER_NAME, root) as ledger:
                committed = do_commit(ceremony, archive, ledger)  # the rerun path: re-read and check the inputs
                readings = ceremony_entropy(ceremony, committed)
                cm.run_ceremony(committed.commitment, committed.inputs, readings.values, readings.fallbacks,
                                committed.documents, __version__, drawer=_brigade_drawer())
        print(f"[{label}] check inputs against commitment + draw all brigades (no records): {draw}")
        return
    with Timer() as full:
        summary = run_batch(ceremony, root, workers=workers)
    statuses = [r.status for r in summary.rows]
    print(f"[{label}] draw + {statuses.count('完成')} signed records ({statuses.count('失败')} failed): {full}")
    print(f"[{label}] per record: {full.wall / max(1, len(statuses)):.1f} s wall, "
          f"{full.cpu / max(1, len(statuses)):.1f} s CPU")
    print(f"[{label}] commitment to signed records: {commit.wall + full.wall:.1f} s wall, "
          f"{commit.cpu + full.cpu:.1f} s CPU; after: {_load()}; {_peak_rss()}")
    with Timer() as rerun:
        again = run_batch(ceremony, root, workers=workers)
    assert all(r.status == "已存在" for r in again.rows), [r.status for r in again.rows]
    print(f"[{label}] rerun of a finished batch (nothing to do): {rerun}")


def demo(workers: int) -> None:
    """The demo ceremony (params/demo/ceremony.yaml) into a temporary archive."""
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(REPO)
        _batch(load_ceremony(DEMO, REPO), Path(tmp) / "outputs", workers, "demo")


def province_brigades(n: int) -> tuple[synth.SynthBrigade, ...]:
    """The 9 Anyang brigades, then invented ones 第10大队 … inside the city's division codes (4105xx, reused)."""
    extra = tuple(
        synth.SynthBrigade(f"第{k}大队", f"4105{k % 90 + 10:02d}", f"演示第{k}消防救援大队", f"演示第{k}区")
        for k in range(len(synth.ANYANG) + 1, n + 1)
    )
    return (synth.ANYANG + extra)[:n]


def write_province(base: Path, n: int, units: int, seed: int = 1) -> Path:
    """A synthetic province: n brigades of `units` units each, workbooks, rules and a ceremony file."""
    brigades = province_brigades(n)
    rng = random.Random(seed)
    unit_rows = synth.demo_units(rng, brigades, {b.name: units for b in brigades})
    inspectors = synth.demo_inspectors(rng, brigades)
    rows = {"items": synth.demo_items(), "units": unit_rows, "inspectors": inspectors,
            "conflicts": synth.demo_conflicts(rng, unit_rows, inspectors, n=n),
            "exclusions": synth.demo_exclusions(rng, unit_rows, n=n)}
    inputs = []
    for kind, kind_rows in rows.items():
        sheet = schema.SHEETS[kind]
        path = base / "data" / f"{sheet.title}.xlsx"
        path.parent.mkdir(parents=True, exist_ok=True)
        synth.write_workbook(path, sheet, [tuple(r.get(c.header) for c in sheet.columns) for r in kind_rows])
        inputs.append(f"data/{path.name}")
    detachment = {"detachment": synth.DETACHMENT, "city_division": synth.CITY_DIVISION,
                  "brigades": [{"name": b.name, "division": b.division, "full_name": b.full_name} for b in brigades]}
    (base / "detachment.yaml").write_text(yaml.safe_dump(detachment, allow_unicode=True), encoding="utf-8")
    common = yaml.safe_load((REPO / "params/demo/_common.yaml").read_text(encoding="utf-8"))
    rules = {}
    for b in brigades:
        doc = dict(common, brigade=b.name, title=f"{b.name}抽查细则（合成）", team=dict(common["team"], pool=[b.name]))
        path = base / "rules" / f"{b.name}.yaml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
        rules[b.name] = f"rules/{path.name}"
    shutil.copy(REPO / "params/demo/sources.yaml", base / "sources.yaml")
    entropy = yaml.safe_load((REPO / "params/demo/entropy.yaml").read_text(encoding="utf-8"))
    entropy["ceremony_id"] = "SYN-2026-12"
    (base / "entropy.yaml").write_text(yaml.safe_dump(entropy, allow_unicode=True), encoding="utf-8")
    demo_doc = yaml.safe_load(DEMO.read_text(encoding="utf-8"))
    doc = dict(demo_doc, ceremony_id="SYN-2026-12", detachment="detachment.yaml", inputs=inputs, rules=rules,
               sources="sources.yaml", entropy="entropy.yaml", task_name="合成省级批次（基准测试）")
    path = base / "ceremony.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def province(n: int, units: int, workers: int, records: bool) -> None:
    """A synthetic province of n brigades into a temporary archive."""
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        with Timer() as gen:
            path = write_province(base, n, units)
            from dsr.record.sign import ensure_test_keys

            ensure_test_keys(base / "keys", datetime.datetime.now(datetime.timezone.utc))  # as in the project folder
        print(f"[province] generated {n} brigades × {units} units and the demo test keys: {gen}")
        os.chdir(base)  # the demo test keys are made in <base>/keys
        _batch(load_ceremony(path, base), base / "outputs", workers, f"province {n}", records)


def timeline(workers: int, keep: Path | None = None) -> None:
    """`dsr batch --demo` as a command (what `make demo` runs) with DSR_BATCH_TRACE: one line per event and process.

    Prints the command's wall and CPU time (itself and every descendant it reaped: workers, nurseries,
    kernels), then each process's events with wall and CPU seconds since the command started, then the
    time each worker spent without a record (waiting for its first one, and at the tail).
    """
    with tempfile.TemporaryDirectory() as tmp:
        trace_file = Path(tmp) / "trace.jsonl"
        env = dict(os.environ, DSR_BATCH_TRACE=str(trace_file))
        print(f"[timeline] dsr batch --demo --workers {workers}; before: {_load()}")
        start = time.time()
        proc = subprocess.Popen([sys.executable, "-m", "dsr", "batch", "--demo", "--root", str(Path(tmp) / "out"),
                                 "--workers", str(workers)], cwd=REPO, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.time() - start
        cpu = usage.ru_utime + usage.ru_stime
        print(f"[timeline] exit {os.waitstatus_to_exitcode(status)}: {wall:.1f} s wall, {cpu:.1f} s CPU "
              f"(the command and every process it reaped); after: {_load()}")
        if keep is not None:
            shutil.copy(trace_file, keep)
        _print_timeline([json.loads(line) for line in trace_file.read_text(encoding="utf-8").splitlines()], start)


def _print_timeline(events: list[dict], start: float, brief: bool = False) -> None:
    """Each process's events (`brief`: leave out each record's and each archiving's own lines), then each worker's."""
    by_pid: dict[int, list[dict]] = defaultdict(list)
    for event in events:
        if not (brief and event["ev"] in ("job-start", "job-end", "archive-start", "archive-end")):
            by_pid[event["pid"]].append(event)
    for pid, mine in by_pid.items():
        role = "batch process" if mine[0]["ev"] == "batch-start" else "worker"
        first = mine[0].get("started")
        print(f"--- {role} {pid}" + (f", process started at {first - start:.2f} s" if first else ""))
        previous = None
        for event in mine:
            step = "" if previous is None else (f"  +{event['t'] - previous['t']:.2f} s wall, "
                                                 f"+{event['cpu'] - previous['cpu']:.2f} s CPU here, "
                                                 f"+{event['tree'] - previous['tree']:.2f} with children")
            print(f"{event['t'] - start:7.2f} s  CPU {event['cpu']:6.2f} (with children {event['tree']:6.2f})  "
                  f"{event['ev']} {event.get('brigade', '')}{step}")
            previous = event
    close = next((e for e in events if e["ev"] == "pool-close"), None)
    if close is not None:
        print(f"batch process's children when the pool closes: {close['tree'] - close['cpu']:.1f} s CPU (the fork "
              "server, and the shared kernel nursery with every kernel it has reaped)")
    last = max((e["t"] for e in events if e["ev"] == "job-end"), default=start)
    by_pid = defaultdict(list)
    for event in events:
        by_pid[event["pid"]].append(event)
    for pid, mine in by_pid.items():
        starts = [e for e in mine if e["ev"] == "job-start"]
        ends = [e for e in mine if e["ev"] == "job-end"]
        if not starts or not ends:
            continue
        ready = next((e["t"] for e in mine if e["ev"] == "worker-ready"), starts[0]["t"])
        busy = sum(b["tree"] - a["tree"] for a, b in zip(starts, ends, strict=False))
        print(f"worker {pid}: {len(ends)} records, {busy:.1f} s CPU in them (with the kernels if it forked them "
              f"itself; kernels of the batch's shared nursery count in the batch process's children); ready at "
              f"{ready - start:.2f} s, first record at {starts[0]['t'] - start:.2f} s (idle "
              f"{max(0.0, starts[0]['t'] - ready):.2f} s), its last record ended {last - ends[-1]['t']:.2f} s "
              "before the batch's last")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--brigades", type=int, default=150)
    parser.add_argument("--units", type=int, default=60, help="units per brigade in the province")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--skip-demo", action="store_true")
    parser.add_argument("--skip-province", action="store_true")
    parser.add_argument("--no-records", action="store_true", help="province: commitment and draw only")
    parser.add_argument("--timeline", action="store_true", help="only `dsr batch --demo`, with a timeline per process")
    parser.add_argument("--keep-trace", type=Path, help="with --timeline: also copy the raw event lines here")
    parser.add_argument("--show-trace", type=Path, metavar="FILE",
                        help="print the timeline of a DSR_BATCH_TRACE file written by an earlier run, briefly")
    args = parser.parse_args()
    if args.timeline:
        timeline(args.workers, args.keep_trace)
        return
    if args.show_trace:
        events = [json.loads(line) for line in args.show_trace.read_text(encoding="utf-8").splitlines()]
        _print_timeline(events, min(e["t"] for e in events), brief=True)
        return
    if not args.skip_demo:
        demo(args.workers)
    if not args.skip_province:
        province(args.brigades, args.units, args.workers, not args.no_records)


if __name__ == "__main__":
    main()
