"""Time one brigade's record (parameters ▶ signed HTML + PDF) and `dsr verify` of it; prints its figures.

Usage: python bench/bench_record.py [--brigade 文峰区] [--runs 2] [--warm-pdf N] [--keep DIR] [--ordinary-kernel]
Uses the demo data (demo/data, params/demo) and a throw-away test identity. Each run is a fresh
child process, as a batch worker or a verifier would start, so imports are counted. Wall and CPU
seconds (the process and its kernel child) are printed, and for make_record each step's (CPU while
the kernel runs is mostly the renderers' warm-up imports); CPU time is the better figure on a loaded
machine. --warm-pdf N renders the first record's PDF N more times in one fresh process after a first
render (what a batch worker does from its second record on) and prints each render's CPU seconds, min and
median. --keep DIR copies the record folders there. --ordinary-kernel starts each record's kernel after its
refusals (as before 2026-11-27) instead of make_record's default, a kernel process started before them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLOCK = "2026-11-30T10:30:00+08:00"


def prepare(folder: Path, brigade: str) -> dict:
    """Commitment and frozen inputs for one demo brigade, written as `dsr commit` would."""
    from importlib import metadata

    import yaml

    from dsr.announce import load_entropy, load_sources
    from dsr.core import commitment as cm
    from dsr.core import freeze
    from dsr.core.canonical import canonical_bytes
    from dsr.inputs import load_detachment
    from dsr.inputs.reader import read_inputs
    from dsr.record.sign import ensure_test_keys
    from dsr.rules import load_rules

    ceremony = yaml.safe_load((ROOT / "params/demo/ceremony.yaml").read_text(encoding="utf-8"))
    rules_path = ROOT / ceremony["rules"][brigade]
    detachment_path = ROOT / ceremony["detachment"]
    workbooks = [ROOT / p for p in ceremony["inputs"]]
    day = dt.date.fromisoformat(ceremony["inspection_date"])
    detachment = load_detachment(detachment_path)
    checked = read_inputs(workbooks, detachment, day)
    inputs = freeze.build_draw_inputs(checked.directory, detachment.name, brigade, load_rules(rules_path), (), day)
    sources = load_sources(ROOT / ceremony["sources"])
    commitment = cm.make_commitment(ceremony["ceremony_id"], detachment.name, {brigade: inputs}, sources,
                                    metadata.version("dsr"), cm.ALGORITHM, ceremony["commit_at"], "bench")
    (folder / "commitment.json").write_bytes(canonical_bytes(commitment))
    (folder / "frozen.json").write_bytes(canonical_bytes(freeze.frozen_document(inputs)))
    readings = load_entropy(ROOT / ceremony["entropy"], sources)
    keys = ensure_test_keys(folder / "keys", dt.datetime.now(dt.timezone.utc))
    return {
        "batch_id": ceremony["ceremony_id"], "brigade": brigade, "task_name": ceremony["task_name"],
        "workbooks": [str(w) for w in workbooks], "detachment": str(detachment_path), "rules": str(rules_path),
        "commitment": str(folder / "commitment.json"), "frozen": str(folder / "frozen.json"),
        "entropy": {k: list(v) for k, v in readings.values.items()}, "fallbacks": dict(readings.fallbacks),
        "witnesses": ceremony["witnesses"], "operator": ceremony["operator"], "pkcs12": str(keys.signer_p12),
        "passphrase": keys.passphrase, "draw_at": ceremony["draw_at"], "test_identity": True,
        "ca": str(keys.ca_pem), "units": len(inputs.units),
    }


def _cpu() -> tuple[float, float]:
    """CPU seconds of this process and of its finished children (the kernel)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime, kids.ru_utime + kids.ru_stime


def _stage_timer(stages: dict):
    """Wrap the record's steps so each adds its wall and CPU seconds (own, children) to `stages`.

    CPU is the whole process's (all threads): the warm-up thread that imports the renderers while the kernel
    runs is also shown on its own line, with that thread's CPU alone.
    """
    from dsr.record import notebook, pdf, pipeline, render, sign

    def wrap(module, name: str, label: str, thread: bool = False) -> None:
        original = getattr(module, name)

        def timed(*args, **kwargs):
            wall, (me, kids) = time.perf_counter(), _cpu()
            own = time.thread_time()
            try:
                return original(*args, **kwargs)
            finally:
                now, (me2, kids2) = time.perf_counter(), _cpu()
                cpu = time.thread_time() - own if thread else me2 - me
                old = stages.get(label, (0.0, 0.0, 0.0))
                stages[label] = (old[0] + now - wall, old[1] + cpu, old[2] + (0.0 if thread else kids2 - kids))

        setattr(module, name, timed)

    wrap(pipeline, "_preflight", "refusals (PKCS#12, rules)")
    wrap(notebook, "start_kernel", "kernel start (parent side)")
    wrap(notebook, "read_notebook", "read notebook (nbformat)")
    wrap(pipeline, "_import_runner", "import papermill")
    wrap(notebook, "execute", "kernel (notebook run)")
    wrap(pipeline, "_warm_up", "  warm-up thread (its own)", thread=True)
    wrap(notebook, "stop_kernel", "kernel stop")
    wrap(render, "render_html", "HTML")
    wrap(pdf, "html_to_pdf", "PDF (WeasyPrint)")
    wrap(sign, "sign_pdf", "PAdES")
    wrap(sign, "sign_detached", "CMS (2)")


def child_make(spec_path: str, out: str, ordinary: bool = False) -> None:
    """In a fresh process: import, make the record, print the stages (JSON) and then the wall seconds.

    `ordinary`: start the kernel after the refusals the ordinary way (make_record's early_kernel=False).
    """
    start = time.perf_counter()
    from dsr.record.pipeline import RecordParams, make_record

    stages: dict = {"import dsr.record.pipeline": (time.perf_counter() - start, *_cpu())}
    _stage_timer(stages)
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    fields = {k: v for k, v in spec.items() if k not in ("ca", "units")}
    for key in ("detachment", "rules", "commitment", "frozen", "pkcs12"):
        fields[key] = Path(fields[key])
    fields["workbooks"] = tuple(Path(w) for w in fields["workbooks"])
    fields["witnesses"] = tuple(fields["witnesses"])
    make_record(RecordParams(**fields), Path(out), CLOCK, early_kernel=not ordinary)
    total = time.perf_counter() - start
    listed = [v for k, v in stages.items() if not k.startswith(" ")]
    whole = (total, *_cpu())
    # What no line above holds: staging the inputs, waiting for the warm-up thread, writing the files.
    stages["rest of make_record"] = (whole[0] - sum(v[0] for v in listed), whole[1] - sum(v[1] for v in listed),
                                     whole[2] - sum(v[2] for v in listed))
    stages["whole child process"] = whole
    print(json.dumps(stages))
    print(f"{total:.3f}")
    # As the `dsr` console command does on its way out (dsr.cli.main): spare the interpreter's teardown a
    # collection over everything the record loaded (WeasyPrint, pyHanko: 0.5-0.8 s of wall here otherwise).
    gc.freeze()


def child_warm_pdf(folder: str, count: int) -> None:
    """In a fresh process with WeasyPrint imported: render a finished record's HTML to PDF once, then `count`
    times; print the CPU seconds of each render."""
    from dsr.record.offline import import_weasyprint
    from dsr.record.pdf import Attachment, html_to_pdf

    import_weasyprint()  # as make_record's warm-up thread does while the kernel runs
    record = Path(folder)
    html = (record / "record.html").read_bytes()
    attachments = [Attachment(p.name, p.read_bytes(), "Source", p.suffix) for p in sorted((record / "inputs").iterdir())]
    attachments.append(Attachment("record.json", (record / "record.json").read_bytes(), "Data", "record"))
    first = time.process_time()
    html_to_pdf(html, attachments, CLOCK)
    cpus = [time.process_time() - first]
    for _ in range(count):
        start = time.process_time()
        html_to_pdf(html, attachments, CLOCK)
        cpus.append(time.process_time() - start)
    print(json.dumps(cpus))


def _timed(cmd: list[str]) -> tuple[float, float, str]:
    """Run a command; return wall seconds, CPU seconds of it and its children, and its stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):
        sys.exit(f"failed: {' '.join(cmd)}\n{done.stderr[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout


def _pages(pdf: Path) -> str:
    """The page count pdfinfo reports (poppler-utils), or '?' without it."""
    try:
        info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return "?"
    return next((line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")), "?")


def calibrate() -> float:
    """CPU seconds of a fixed 10-million-step Python loop: tells a loaded machine from a slow record."""
    cpu = time.process_time()
    total = 0
    for i in range(10_000_000):
        total += i
    return time.process_time() - cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--brigade", default="文峰区")
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--warm-pdf", type=int, default=0, metavar="N")
    parser.add_argument("--keep", type=Path, metavar="DIR")
    parser.add_argument("--ordinary-kernel", action="store_true",
                        help="start each record's kernel after its refusals, not before (make_record early_kernel=False)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="dsr-bench-record-") as tmp:
        folder = Path(tmp)
        spec = prepare(folder, args.brigade)
        (folder / "spec.json").write_text(json.dumps(spec, ensure_ascii=False), encoding="utf-8")
        print(f"brigade {args.brigade}: {spec['units']} units; load average {os.getloadavg()[0]:.1f}")
        for run in range(1, args.runs + 1):
            out = folder / f"record-{run}"
            child = [sys.executable, __file__, "--child", str(folder / "spec.json"), str(out)]
            wall, cpu, stdout = _timed(child + (["ordinary"] if args.ordinary_kernel else []))
            lines = stdout.strip().splitlines()
            inner, stages = float(lines[-1]), json.loads(lines[-2])
            print(f"run {run}: make_record {wall:.2f} s wall (in-process {inner:.2f} s), {cpu:.2f} s CPU incl. kernel; "
                  f"load {os.getloadavg()[0]:.1f}")
            # The child's interpreter start and, mostly, its teardown (a collection over everything it loaded;
            # the `dsr` command freezes the collector as it exits, which leaves ~0.05 s of it).
            print(f"    {'process start-up and exit':30s} {wall - inner:6.2f} s wall")
            for label, (s_wall, s_cpu, s_kids) in stages.items():
                kids = f" + {s_kids:.2f} s CPU in the kernel" if s_kids > 0.005 else ""
                print(f"    {label:30s} {s_wall:6.2f} s wall, {s_cpu:5.2f} s CPU{kids}")
            print(f"    PDF pages: {_pages(out / 'record.pdf')}")
            dsr = [str(Path(sys.executable).parent / "dsr"), "verify", str(out), "--trust", spec["ca"]]
            wall, cpu, stdout = _timed(dsr)
            status = "ok" if stdout.strip().endswith("均通过") else "FAILED"
            print(f"run {run}: dsr verify (folder) {wall:.2f} s wall, {cpu:.2f} s CPU, {status}")
            wall, cpu, stdout = _timed(dsr[:2] + [str(out / "record.pdf")] + dsr[3:])
            print(f"run {run}: dsr verify (PDF only) {wall:.2f} s wall, {cpu:.2f} s CPU; load {os.getloadavg()[0]:.1f}")
        if args.warm_pdf:
            _, _, stdout = _timed([sys.executable, __file__, "--warm-pdf", str(folder / "record-1"), str(args.warm_pdf)])
            first, *warm = json.loads(stdout.strip().splitlines()[-1])
            warm.sort()
            print(f"PDF in one process: first render {first:.2f} s CPU, then {args.warm_pdf} renders "
                  f"min {warm[0]:.2f} / median {warm[len(warm) // 2]:.2f} s CPU ({' '.join(f'{c:.2f}' for c in warm)}); "
                  f"load {os.getloadavg()[0]:.1f}")
        if args.keep:
            for run in range(1, args.runs + 1):
                shutil.copytree(folder / f"record-{run}", args.keep / f"record-{run}", dirs_exist_ok=True)
        sizes = {p.name: p.stat().st_size for p in (folder / "record-1").iterdir() if p.is_file()}
        print("sizes: " + ", ".join(f"{k} {v / 1024:.0f} KiB" for k, v in sorted(sizes.items())))
        print(f"load average after: {os.getloadavg()[0]:.1f}; calibration loop {calibrate():.2f} s CPU")


if __name__ == "__main__":
    if len(sys.argv) in (4, 5) and sys.argv[1] == "--child":
        child_make(sys.argv[2], sys.argv[3], ordinary=sys.argv[4:] == ["ordinary"])
    elif len(sys.argv) == 4 and sys.argv[1] == "--warm-pdf":
        child_warm_pdf(sys.argv[2], int(sys.argv[3]))
    else:
        main()
