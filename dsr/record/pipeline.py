"""make_record: parameters ▶ executed notebook ▶ HTML ▶ PDF/A with attachments ▶ PAdES ▶ CMS, written once."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from dsr.errors import RecordError
from dsr.record import notebook as nbrun
# Not dsr.record.verify: it loads asyncio and cryptography's X.509, and a lone record's kernel process starts only
# once this module is imported (make_record starts it first).
from dsr.record.build import (HTML_FILE, INPUTS_DIR, PDF_FILE, RECORD_FILE, SIG_SUFFIX, check_file_name,
                              check_witnesses, input_sources, record_id)

# Attachment kinds: the PDF/A-3 relationship each gets.
RECORD_TITLE = "消防监督“双随机、一公开”抽查记录"


@dataclass(frozen=True)
class RecordParams:
    """Everything one brigade's record is made from. Paths may be anywhere; they are copied in."""

    batch_id: str  # the ceremony (承诺) id
    brigade: str
    task_name: str
    workbooks: tuple[Path, ...]  # the 一单两库 workbooks / CSVs
    detachment: Path  # detachment.yaml
    rules: Path  # this brigade's rules YAML
    commitment: Path  # the published commitment JSON
    frozen: Path  # this brigade's committed frozen-inputs JSON (carries the ledger history)
    entropy: Mapping[str, Sequence[str]]  # source id ▶ values read out at the ceremony
    witnesses: tuple[Mapping[str, str], ...]  # name, role, org
    operator: Mapping[str, str]  # name, role, org
    pkcs12: Path
    passphrase: str = field(repr=False)
    fallbacks: Mapping[str, str] = field(default_factory=dict)
    draw_at: str = ""  # when the public draw took place (ISO 8601)
    test_identity: bool = False  # the demo 测试 identity: the record says so in red
    notebook: Path | None = None  # default: notebooks/draw.ipynb
    voids: tuple[Mapping[str, str], ...] = ()  # earlier voided draws of this commitment: draw_id, at, reason


@dataclass(frozen=True)
class RecordPaths:
    """The files of one finished record folder."""

    folder: Path
    pdf: Path
    html: Path
    html_sig: Path
    record: Path
    record_sig: Path
    inputs: tuple[Path, ...]


def holds_record(folder: Path) -> bool:
    """True if the folder already holds (part of) a record."""
    return folder.exists() and any((folder / name).exists() for name in (PDF_FILE, HTML_FILE, RECORD_FILE))


STAGED_NAMES = {"commitment": "commitment.json", "frozen-inputs": "frozen-inputs.json"}


def _input_files(params: RecordParams) -> list[tuple[Path, str, str]]:
    """(source path, flat name, kind) for every input, refusing missing files and duplicate names."""
    for path in (*params.workbooks, params.detachment, params.rules, params.commitment, params.frozen):
        if not Path(path).is_file():
            raise RecordError(f"找不到输入文件 {Path(path).name}")
    sources = input_sources(params.workbooks, params.detachment, params.rules, params.commitment, params.frozen)
    items = [(path, STAGED_NAMES.get(kind, path.name), kind) for path, kind in sources]
    names = [check_file_name(name) for _, name, _ in items]
    dups = sorted({n for n in names if names.count(n) > 1} | ({RECORD_FILE} & set(names)))
    if dups:
        raise RecordError("输入文件重名，无法一并附入记录：" + "、".join(dups))
    return items


def notebook_parameters(params: RecordParams, files: list[tuple[Path, str, str]], signer: Mapping[str, str],
                        clock: str) -> dict:
    """The notebook's parameters: relative paths only, so the record never shows this machine's folders."""
    rel = {kind: f"{INPUTS_DIR}/{name}" for _, name, kind in files if kind != "workbook"}
    return {
        "batch_id": params.batch_id,
        "brigade": params.brigade,
        "task_name": params.task_name,
        "workbooks": [f"{INPUTS_DIR}/{name}" for _, name, kind in files if kind == "workbook"],
        "detachment_file": rel["detachment"],
        "rules_file": rel["rules"],
        "commitment_file": rel["commitment"],
        "frozen_file": rel["frozen-inputs"],
        "entropy_values": {k: [str(v) for v in vs] for k, vs in params.entropy.items()},
        "fallbacks": dict(params.fallbacks),
        "witnesses": [dict(w) for w in params.witnesses],
        "operator": dict(params.operator),
        "signer": dict(signer),
        "test_identity": params.test_identity,
        "draw_at": params.draw_at,
        "voids": [{k: str(v) for k, v in void.items()} for void in params.voids],
        "created_at": clock,
    }


def _preflight(params: RecordParams, out_dir: Path, now: dt.datetime):
    """Every refusal that needs no kernel: output folder, key, witnesses against the rules, inputs."""
    from dsr.record.sign import load_identity

    if holds_record(out_dir):
        raise RecordError(f"输出文件夹 {out_dir.name} 中已有抽查记录，拒绝覆盖")
    identity = load_identity(params.pkcs12, params.passphrase, now)
    files = _input_files(params)
    rules = _load_rules(params.rules)
    check_witnesses(params.witnesses, rules.witnesses.minimum, rules.witnesses.required_roles)
    return identity, files


def _load_rules(path: Path):
    from dsr.rules import load_rules

    return load_rules(path)


def make_record(params: RecordParams, out_dir: Path, clock: str, now: dt.datetime | None = None, *,
                nursery: nbrun.KernelNursery | None = None, early_kernel: bool = True) -> RecordPaths:
    """Build, render, sign and write one brigade's record into `out_dir` (created; refused if it holds a record).

    `clock` is the record's created_at (ISO 8601 with offset); `now` is the real time the
    signing certificate must be valid at (default: the system clock). `nursery`: fork the record's
    fresh kernel from this `KernelNursery` (a batch worker keeps one) instead of starting a new
    interpreter. Without one, the kernel's process is started before the refusals (`EarlyKernel`: it imports
    and reads the workbooks while they are checked, and becomes the kernel only once they pass);
    `early_kernel=False` starts an ordinary kernel after them instead.
    """
    early = _early_kernel(params) if nursery is None and early_kernel else None
    staging = km = None
    try:
        from dsr.record.pdf import parse_clock

        parse_clock(clock)
        out_dir = Path(out_dir)
        now = now or dt.datetime.now(dt.timezone.utc)
        identity, files = _preflight(params, out_dir, now)
        staging = out_dir.parent / f".{out_dir.name}.staging-{os.getpid()}"
        if staging.exists():
            shutil.rmtree(staging)
        staging.mkdir(parents=True)
        # Every refusal is made: start the kernel now (an early kernel's process becomes it), so it boots while this
        # process stages the inputs.
        km = nbrun.start_kernel(staging, nursery or early)
        _write_record(params, staging, files, identity, clock, km)
        _publish(staging, out_dir)
    finally:
        nbrun.stop_kernel(km)
        if early is not None:
            early.close()  # a refusal: the process never became a kernel, and ends here
        if staging is not None and staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return paths_of(out_dir)


# An early kernel reads the workbooks before it is asked for only up to this many bytes in all (about 300,000
# units): that reading happens before the kernel answers, inside papermill's 60 s for a kernel to start, where the
# notebook's own reading has no limit. Larger directories are read by the notebook's cell, as before.
PRIME_LIMIT = 32 * 1024 * 1024


def _early_prime(params: RecordParams) -> dict | None:
    """What the early kernel reads before it is asked for (see EarlyKernel), or None."""
    try:
        size = sum(Path(p).stat().st_size for p in params.workbooks)
    except OSError:
        return None  # a refusal follows
    if size > PRIME_LIMIT:
        return None
    return {"workbooks": [str(Path(p).resolve()) for p in params.workbooks],
            "detachment": str(Path(params.detachment).resolve()), "frozen": str(Path(params.frozen).resolve())}


def _early_kernel(params: RecordParams) -> nbrun.EarlyKernel | None:
    """Start the record's kernel process now (see EarlyKernel); None where it cannot be (not Linux)."""
    if not nbrun.nursery_supported():
        return None
    try:
        return nbrun.EarlyKernel(params.notebook, _early_prime(params))
    except OSError:
        return None


def _publish(staging: Path, out_dir: Path) -> None:
    """Move the finished staging folder into place (an empty existing folder is replaced)."""
    if out_dir.exists():
        if holds_record(out_dir) or any(out_dir.iterdir()):
            raise RecordError(f"输出文件夹 {out_dir.name} 在生成期间被写入，拒绝覆盖")
        out_dir.rmdir()
    os.replace(staging, out_dir)


def paths_of(folder: Path) -> RecordPaths:
    """The record files of a folder (whether or not they exist)."""
    inputs = tuple(sorted((folder / INPUTS_DIR).iterdir())) if (folder / INPUTS_DIR).is_dir() else ()
    return RecordPaths(folder=folder, pdf=folder / PDF_FILE, html=folder / HTML_FILE,
                       html_sig=folder / (HTML_FILE + SIG_SUFFIX), record=folder / RECORD_FILE,
                       record_sig=folder / (RECORD_FILE + SIG_SUFFIX), inputs=inputs)


_WARM = threading.Lock()
_warmed = False


def _warm_up() -> None:
    """Import WeasyPrint and pyHanko, prepare WeasyPrint for the record (pdf.prepare) and load the HTML
    renderer (about 1.2 s of CPU), once per process
    (a batch worker pays it before its first record). Failures are ignored.
    """
    global _warmed
    with _WARM:
        if _warmed:
            return
        _warmed = True
        try:
            from dsr.record.offline import import_pyhanko, import_weasyprint

            import_weasyprint()
            from dsr.record.pdf import prepare

            prepare()
            import_pyhanko("pyhanko.sign.signers")

            from dsr.record.render import warm_up

            warm_up()
            # Not pdf.warm_up(): its throw-away render here made the real PDF 0.3-0.5 s slower, not faster
            # (bench_record, alternated runs on a quiet machine).
        except Exception:  # noqa: BLE001 - the real call reports any problem properly
            pass


def _import_runner() -> None:
    """Import papermill (what runs the notebook) before the warm-up thread starts (see _write_record)."""
    nbrun.quick_import("papermill")


def _write_record(params: RecordParams, staging: Path, files, identity, clock: str, km=None) -> None:
    from dsr.record.pdf import Attachment, html_to_pdf
    from dsr.record.render import render_html
    from dsr.record.sign import sign_detached, sign_pdf

    (staging / INPUTS_DIR).mkdir()
    attachments = []
    for source, name, kind in files:
        data = source.read_bytes()
        (staging / INPUTS_DIR / name).write_bytes(data)
        attachments.append(Attachment(name, data, "Source", kind))
    nb = nbrun.read_notebook(params.notebook or nbrun.DEFAULT_NOTEBOOK)
    parameters = notebook_parameters(params, files, identity.describe(), clock)
    _import_runner()
    # This thread's own work before the notebook runs is done (the kernel is still starting): while the kernel
    # works in its own process, a thread loads the renderers. Started earlier, it would share this thread's
    # interpreter lock with the steps above and delay the kernel's first cell.
    warm = threading.Thread(target=_warm_up, name="dsr-record-warm-up", daemon=True)
    warm.start()
    try:
        executed = nbrun.execute(nb, parameters, cwd=staging, km=km)
    finally:
        nbrun.stop_kernel(km)  # the notebook has run: its kernel is not needed for the rendering
    warm.join()
    record = staging / RECORD_FILE
    if not record.is_file():
        raise RecordError(f"笔记本没有写出 {RECORD_FILE}")
    record_data = record.read_bytes()
    html = render_html(executed, f"{RECORD_TITLE} {record_id(params.batch_id, params.brigade, len(params.voids))}", clock)
    (staging / HTML_FILE).write_bytes(html)
    pdf = html_to_pdf(html, [*attachments, Attachment(RECORD_FILE, record_data, "Data", "record")], clock)
    (staging / PDF_FILE).write_bytes(sign_pdf(pdf, identity))
    (staging / (HTML_FILE + SIG_SUFFIX)).write_bytes(sign_detached(html, identity))
    (staging / (RECORD_FILE + SIG_SUFFIX)).write_bytes(sign_detached(record_data, identity))
