"""`dsr batch`: one witnessed ceremony for a detachment — one commitment, one entropy, a record per brigade.

The order of events, each written to the hash-chained ledger before the next begins:
commit (the commitment folder with its notice) ▶ draw (one row per brigade: drawn units and teams)
▶ record (one signed record folder per brigade). A rerun finishes only what is missing; a second,
different draw of the same commitment is refused unless the first was voided with a reason.
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import shutil
import signal
import sys
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ProcessPoolExecutor, as_completed, wait
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from dsr import __version__
from dsr.archive import LEDGER_NAME, Archive, Ledger, recover
from dsr.ceremony import trace
from dsr.ceremony.config import Ceremony
from dsr.core import commitment as cm
from dsr.core.canonical import canonical_bytes, sha256_hex
from dsr.errors import ArchiveError, CommitmentMismatch, DsrError

COMMIT_FOLDER = "承诺公告"  # outputs/<year>/承诺公告/<ceremony id>/ holds the commitment and its notice
WORK = ".work"  # records are built here by worker processes, then copied into a write-once folder


def now_iso() -> str:
    """The real time, for ledger rows (never for anything that is hashed into a draw)."""
    return dt.datetime.now(dt.timezone.utc).astimezone().isoformat(timespec="seconds")


@dataclass(frozen=True)
class BrigadeRow:
    """One line of the closing summary."""

    brigade: str
    units: int = 0
    drawn: int = 0
    teams: int = 0
    draw_id: str = ""
    record: str = ""  # archive-relative folder
    status: str = ""  # 完成 / 已存在 / 失败
    error: str = ""


@dataclass(frozen=True)
class BatchSummary:
    """What a batch did: the commitment, the seed, one row per brigade."""

    ceremony_id: str
    commitment_sha256: str
    commitment_folder: str
    seed: str | None
    canonical_entropy: str | None
    rows: tuple[BrigadeRow, ...] = ()
    recovered: tuple[str, ...] = field(default=())
    ledger_head: tuple[int, str] | None = None  # (seq, row hash) after the batch: publish it beside the notice

    @property
    def ok(self) -> bool:
        return all(r.status != "失败" for r in self.rows)


@dataclass(frozen=True)
class Committed:
    """A commitment as posted: the document, its hash, the frozen inputs per brigade, its folder."""

    commitment: dict[str, Any]
    sha256: str
    documents: dict[str, dict[str, Any]]
    folder: Path
    inputs: dict[str, Any] = field(default_factory=dict)  # brigade ▶ DrawInputs, equal to what was frozen


# ---------------------------------------------------------------- commit


def _identity(ceremony: Ceremony, root: Path, now: dt.datetime) -> tuple[Path, str, bool, Path | None]:
    """(pkcs12, passphrase, is_test, test CA) — the demo test identity when the ceremony names none."""
    from dsr.record.sign import ensure_test_keys

    if ceremony.signing.pkcs12 is None:
        keys = ensure_test_keys(root / "keys", now)
        return keys.signer_p12, keys.passphrase, True, keys.ca_pem
    env = ceremony.signing.passphrase_env or "DSR_PKCS12_PASSPHRASE"
    if env not in os.environ:
        raise DsrError(f"签名证书口令未提供：请设置环境变量 {env}")
    return ceremony.signing.pkcs12, os.environ[env], False, None


def _prepare(ceremony: Ceremony, history: Any) -> dict[str, Any]:
    """Each brigade's DrawInputs from the ceremony's workbooks and rules files."""
    from dsr.ceremony.service import prepare_brigades

    missing = [f"{b}（{p.name}）" for b, p in ceremony.rules if not p.is_file()]
    if missing:
        raise DsrError("以下大队没有细则文件，整批拒绝：" + "、".join(missing))
    date = dt.date.fromisoformat(ceremony.inspection_date)
    brigades = prepare_brigades(ceremony.inputs, [p for _, p in ceremony.rules], ceremony.detachment, date, history)
    named, got = set(ceremony.brigades), set(brigades)
    if named != got:
        lines = [f"仪式参数列出了「{b}」，但其细则文件写的不是该大队" for b in sorted(named - got)]
        lines += [f"细则文件中的大队「{b}」不在仪式参数的大队名单中" for b in sorted(got - named)]
        raise DsrError("仪式参数与细则文件不一致：\n" + "\n".join(lines))
    return brigades


def _this_ceremony(entry_draw_id: str, ceremony_id: str) -> bool:
    return entry_draw_id == ceremony_id or entry_draw_id.startswith(ceremony_id + "-r")


def _commit_event(ledger: Ledger, ceremony_id: str):
    hits = [e for e in ledger.events("commit") if e.ceremony_id == ceremony_id]
    return hits[-1] if hits else None


def commit(ceremony: Ceremony, archive: Archive, ledger: Ledger, *, at: Callable[[], str] = now_iso) -> Committed:
    """Post the commitment (once): freeze inputs, write the folder with the notice, append `commit`.

    If the ceremony was committed before, the presented inputs are checked against it instead,
    and a difference is refused naming what changed.
    """
    committed, fresh = _posted(ceremony, archive, ledger, at)
    if fresh:
        return committed
    return replace(committed, inputs=_check_unchanged(ceremony, committed.commitment, committed.documents))


def _posted(ceremony: Ceremony, archive: Archive, ledger: Ledger, at: Callable[[], str],
            render=None, early=None) -> tuple[Committed, bool]:
    """The ceremony's posted commitment and whether it was posted just now.

    Posted now: the inputs were read and frozen now, `inputs` holds them (`render`: where the notice's
    PDF is made, see `posted_files`; `early`: an _Early, given the commitment while that PDF is made). Posted
    earlier: the
    commitment and frozen inputs are read from its folder, `inputs` is empty, and the presented
    inputs still have to be checked against it (`_check_unchanged`, or `run_ceremony` itself).
    """
    from dsr.ceremony.service import frozen_file, load_committed, posted_files

    earlier = _commit_event(ledger, ceremony.ceremony_id)
    if earlier is not None:
        folder = archive.resolve(str(Path(earlier.files[0].path).parent))
        c, documents = load_committed(folder)
        trace.mark("commit-loaded")
        return Committed(c, earlier.commitment_hash, documents, folder), False
    history = tuple(h for h in ledger.history(ceremony.year) if not _this_ceremony(h.draw_id, ceremony.ceremony_id))
    trace.mark("commit-history")
    brigades = _prepare(ceremony, history)
    trace.mark("commit-prepared")
    ready = None if early is None else (lambda c, digest, files: early(c, digest, files, brigades))
    files, c, digest = posted_files(ceremony, brigades, render, ready)
    trace.mark("commit-files")
    with archive.staging(ceremony.year, COMMIT_FOLDER, ceremony.ceremony_id) as stage:
        for name, data in files.items():
            (stage / name).write_bytes(data)
    folder = archive.record_dir(ceremony.year, COMMIT_FOLDER, ceremony.ceremony_id)
    trace.mark("commit-written")
    ledger.append("commit", at=at(), ceremony_id=ceremony.ceremony_id, commitment_hash=digest,
                  payload={"created_at": c["created_at"], "brigades": sorted(c["brigades"])},
                  files=archive.folder_refs(folder))
    documents = {b: json.loads(files[frozen_file(b)]) for b in brigades}  # the bytes just written, parsed once
    return Committed(c, digest, documents, folder, dict(brigades)), True


def _json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def _check_unchanged(ceremony: Ceremony, c: Mapping[str, Any], documents: Mapping[str, Any],
                     each: bool = True) -> dict[str, Any]:
    """Inputs presented again must equal what the commitment froze (history comes from the commitment).

    Returns the presented DrawInputs: equal digests mean they are the frozen inputs, so the draw can use
    them without rebuilding each brigade from its frozen document. `each=False`: check only that the
    brigades are the committed ones, because `run_ceremony` is about to check every brigade's inputs
    against the commitment itself (the same check, the same message).
    """
    from dsr.core.canonical import from_plain
    from dsr.core.model import HistoryEntry

    history = tuple(h for d in documents.values() for h in from_plain(tuple[HistoryEntry, ...], d["history"]))
    presented = _prepare(ceremony, history)
    if sorted(presented) != sorted(c["brigades"]):
        raise CommitmentMismatch("仪式的大队与承诺不一致：承诺为 " + "、".join(sorted(c["brigades"])))
    if each:
        for brigade, inputs in presented.items():
            cm.check_against_commitment(c, brigade, inputs, documents.get(brigade))
    return presented


# ---------------------------------------------------------------- draw


@dataclass(frozen=True)
class _Job:
    """One brigade's record to build in a worker process (picklable)."""

    brigade: str
    draw_id: str
    params: Any  # dsr.record.pipeline.RecordParams
    work_dir: Path
    clock: str


_NURSERY = None  # in a worker: the KernelNursery its records' kernels are forked from (None: start them normally)


def _build_record(job: _Job) -> tuple[str, Path]:
    """Worker: make one record into its own work folder (the parent archives it)."""
    from dsr.record.pipeline import make_record

    trace.mark("job-start", brigade=job.brigade)
    if job.work_dir.exists():
        shutil.rmtree(job.work_dir)
    job.work_dir.parent.mkdir(parents=True, exist_ok=True)
    nursery = _NURSERY if _NURSERY is not None and _NURSERY.alive() else None
    make_record(job.params, job.work_dir, job.clock, nursery=nursery)
    trace.mark("job-end", brigade=job.brigade)
    return job.brigade, job.work_dir


def _start_worker(notebook: Path | None, batch: int, prime: Any = None, shared: tuple[str, int] | None = None) -> None:
    """Worker initializer: die with the batch, then get ready for records while the parent commits and draws.

    Connects to the batch's kernel nursery (`shared`: its socket and pid; a parked interpreter that has imported
    ipykernel and the notebook's modules and read the batch's workbooks once; each record's fresh kernel is
    forked from it), or starts one of its own if the batch has none (`prime`: the workbooks it reads), and loads the renderers and
    signers (WeasyPrint, pyHanko, the HTML renderer, papermill) once for all this worker's records —
    nothing to load when the worker was forked from the fork server that loaded them (`dsr.ceremony.preload`).
    Nothing is written. A failure here only means the first record pays for it.
    """
    global _NURSERY
    _die_with_parent()
    _die_with_batch(batch)
    trace.mark("worker-start", started=trace.process_start())
    import atexit
    from multiprocessing.util import Finalize

    atexit.register(_leave)  # a spawned worker: after the nursery is ended, skip the interpreter's teardown
    try:
        from dsr.record import notebook as nbrun

        if shared is not None:
            try:
                _NURSERY = nbrun.NurseryClient(*shared)
            except nbrun.NurseryError:
                _NURSERY = None
        if _NURSERY is None and nbrun.nursery_supported():
            _NURSERY = nbrun.KernelNursery(notebook, prime)
        if _NURSERY is not None:
            Finalize(None, _end_nursery, exitpriority=10)  # run as the worker process ends, spawned or forked
        trace.mark("worker-nursery")
        from dsr.record.pipeline import _warm_up

        _warm_up()
        trace.mark("worker-warm")
        nbrun.quick_import("papermill")
        trace.mark("worker-ready")
    except Exception:  # noqa: BLE001 - never break the pool: each record loads what it needs and reports errors
        pass


def _end_nursery() -> None:
    """Worker exit: end the kernel nursery at once and reap it, so its kernels' CPU time counts in the batch's.

    Every record is finished by then, so there is nothing to wait for: killing it saves the nursery's
    own interpreter teardown (about 0.3 s). Without a process handle — a NurseryClient of the batch's shared
    nursery, which the batch process ends — the ordinary close (for a client: disconnect).
    """
    trace.mark("worker-exit")
    proc = getattr(_NURSERY, "_proc", None)
    if proc is not None and hasattr(proc, "kill") and hasattr(proc, "wait"):
        proc.kill()
        proc.wait()
    else:
        _NURSERY.close()


def _leave() -> None:
    """Worker exit, last: skip the interpreter's teardown of WeasyPrint, pyHanko, papermill … (≈ 0.5 s CPU, 1 s wall).

    Runs after the pool has told this worker to stop (all its results are sent) or after an error;
    nothing is left to write but buffered standard output.
    """
    trace.mark("worker-exited")
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):
            pass
    os._exit(0)


def _render_pdf(html: bytes, attachments, clock: str) -> bytes:
    """Worker: the commitment notice's PDF/A (same function, same bytes as in the batch process)."""
    from dsr.record.pdf import html_to_pdf

    trace.mark("notice-start")
    pdf = html_to_pdf(html, attachments, clock)
    trace.mark("notice-end")
    return pdf


def _ready() -> int:
    """A no-op task: submitting one per worker makes the pool start them all now."""
    return os.getpid()


def _draw_payload(draw_id: str, date: str, result: Any, ceremony: cm.Ceremony) -> dict[str, Any]:
    """The ledger's `draw` row: drawn units with their teams (for next draws' history) and the result hash."""
    teams = {t.unit_key: list(t.members) for t in result.teams}
    units = [{"key": u.key, "team": teams.get(u.key, [])} for u in result.units if u.status == "drawn"]
    return {
        "draw_id": draw_id,
        "date": date,
        "units": units,
        "seed": ceremony.seed.hex(),
        "canonical_entropy": ceremony.canonical_entropy,
        "result_sha256": sha256_hex(canonical_bytes(result)),
    }


def _draw_id(ledger: Ledger, committed: Committed, brigade: str) -> str:
    """The ceremony id for the first draw; after each void a new id ceremony-r2, -r3 …"""
    voids = len(ledger.voids_for(committed.sha256, brigade))
    cid = committed.commitment["ceremony_id"]
    return cid if voids == 0 else f"{cid}-r{voids + 1}"


def _record_event(ledger: Ledger, brigade: str, draw_id: str):
    hits = [e for e in ledger.events("record") if e.brigade == brigade and e.draw_id == draw_id]
    return hits[-1] if hits else None


def _ensure_draw(ledger: Ledger, committed: Committed, brigade: str, result: Any, ceremony: cm.Ceremony,
                 at: Callable[[], str]) -> str:
    """Append the `draw` row, or accept an identical earlier one; a different earlier one is refused."""
    payload_date = committed.commitment["brigades"][brigade]["inspection_date"]
    current = ledger.current_draw(committed.sha256, brigade)
    if current is not None:
        if current.payload.get("result_sha256") != sha256_hex(canonical_bytes(result)):
            raise ArchiveError(
                f"承诺 {committed.sha256[:16]}… 在{brigade}已有抽取 {current.draw_id}（seq={current.seq}），"
                "本次随机数得到的结果与之不同；同一承诺不得重抽，如确需重抽，须先用 dsr void 注明理由作废"
            )
        return current.draw_id
    draw_id = _draw_id(ledger, committed, brigade)
    ledger.append("draw", at=at(), ceremony_id=committed.commitment["ceremony_id"],
                  commitment_hash=committed.sha256, brigade=brigade, draw_id=draw_id,
                  payload=_draw_payload(draw_id, payload_date, result, ceremony))
    return draw_id


def _row(brigade: str, result: Any, draw_id: str, record: str, status: str, error: str = "") -> BrigadeRow:
    drawn = sum(1 for u in result.units if u.status == "drawn") if result is not None else 0
    return BrigadeRow(brigade, len(result.units) if result is not None else 0, drawn,
                      len(result.teams) if result is not None else 0, draw_id, record, status, error)


def _record_params(ceremony: Ceremony, committed: Committed, brigade: str, identity, voids, readings) -> Any:
    from dsr.record.pipeline import RecordParams

    pkcs12, passphrase, is_test, _ca = identity
    rules = dict(ceremony.rules)[brigade]
    extra = {"voids": voids} if voids and "voids" in RecordParams.__dataclass_fields__ else {}
    return RecordParams(
        batch_id=ceremony.ceremony_id, brigade=brigade, task_name=ceremony.task_name,
        workbooks=ceremony.inputs, detachment=ceremony.detachment, rules=rules,
        commitment=committed.folder / "commitment.json", frozen=committed.folder / f"inputs-{brigade}.json",
        entropy=readings.values, fallbacks=readings.fallbacks,
        witnesses=tuple({"name": w.name, "role": w.role, "org": w.org} for w in ceremony.witnesses),
        operator={"name": ceremony.operator.name, "role": ceremony.operator.role, "org": ceremony.operator.org},
        pkcs12=pkcs12, passphrase=passphrase, draw_at=ceremony.draw_at or "", test_identity=is_test,
        **extra,
    )


def _prime(ceremony: Ceremony) -> Any:
    """The workbooks every record of this ceremony reads, for the workers' kernel nurseries (None: none to read)."""
    from dsr.record.notebook import Prime

    try:
        return Prime(tuple(ceremony.inputs), ceremony.detachment, dt.date.fromisoformat(ceremony.inspection_date))
    except (TypeError, ValueError):  # the ceremony's date is refused with a proper message where it is used
        return None


def ceremony_entropy(ceremony: Ceremony, committed: Committed):
    """The values read out at the ceremony, checked against the committed sources."""
    from dsr.announce import load_entropy, readings_from_plain
    from dsr.core import entropy

    sources = entropy.sources_from_plain(committed.commitment["entropy"]["sources"])
    if ceremony.entropy_values is not None:
        readings = readings_from_plain({"values": ceremony.entropy_values}, sources, "仪式现场录入的随机数")
    elif ceremony.entropy is not None:
        readings = load_entropy(ceremony.entropy, sources)
    else:
        raise DsrError("尚未提供摇号现场读出的随机数（仪式参数中的 entropy）：只能发布承诺，不能抽取")
    if readings.ceremony_id is not None and readings.ceremony_id != ceremony.ceremony_id:
        raise DsrError(f"随机数文件属于仪式「{readings.ceremony_id}」，本仪式为「{ceremony.ceremony_id}」")
    return readings


def run_batch(
    ceremony: Ceremony,
    root: Path,
    *,
    workers: int = 2,
    commit_only: bool = False,
    at: Callable[[], str] = now_iso,
    progress: Callable[[BrigadeRow], None] | None = None,
    wait: float = 0.0,
) -> BatchSummary:
    """Run (or finish) a whole ceremony under the archive's batch lock; see the module docstring.

    `wait`: seconds to wait for another batch's lock before refusing (default: refuse at once).
    """
    trace.mark("batch-start", started=trace.process_start())
    root = Path(root)
    archive = Archive(root)
    pool = _Workers(workers, prime=_prime(ceremony))
    with archive.batch_lock(wait), Ledger(root / LEDGER_NAME, root) as ledger:
        trace.mark("locked")
        recovered = _recovery_notes(recover(archive, ledger))
        trace.mark("recovered")
        shutil.rmtree(archive.root / WORK, ignore_errors=True)  # we hold the lock: any work folder is stale
        if not commit_only and _records_expected(ceremony, ledger):
            # The workers get ready (spawn, imports, kernel nursery) while this process commits and draws.
            pool.start(len(ceremony.brigades), background=True)
            trace.mark("pool-started")
        finished = False
        try:
            if commit_only:
                committed = commit(ceremony, archive, ledger, at=at)
                finished = True
                return _summary(ceremony, archive, committed, recovered, ledger)
            early = _Early(ceremony, archive, ledger, pool, at)
            committed, fresh = _posted(ceremony, archive, ledger, at, pool.renderer(), early)
            trace.mark("committed")
            if early.plan is not None:  # posted just now, and the records were started as the notice was made
                readings, plan = early.readings, early.plan
            else:
                try:
                    readings = ceremony_entropy(ceremony, committed)
                except DsrError:
                    if not fresh:  # a changed input is named first, as when the inputs were checked before the entropy
                        _check_unchanged(ceremony, committed.commitment, committed.documents)
                    raise
                # The commitment is in the ledger: the workers start on every missing record now, while this
                # process checks the inputs again and draws. No record is archived before its draw row.
                plan = _plan(ceremony, archive, ledger, committed, readings, pool, at)
            trace.mark("planned", jobs=len(plan.jobs))
            if not fresh:
                committed = replace(committed, inputs=_check_unchanged(ceremony, committed.commitment,
                                                                       committed.documents, each=False))
            presented = {b: committed.inputs.get(b) or _committed_inputs(committed, b)
                         for b in committed.commitment["brigades"]}
            trace.mark("entropy")
            result = cm.run_ceremony(committed.commitment, presented, readings.values, readings.fallbacks,
                                     committed.documents, __version__, drawer=_brigade_drawer())
            trace.mark("drawn")
            rows = _draw_all(ceremony, archive, ledger, committed, result, presented, plan, at, progress)
            finished = True
            trace.mark("archived")
            return replace(_summary(ceremony, archive, committed, recovered, ledger), seed=result.seed.hex(),
                           canonical_entropy=result.canonical_entropy, rows=rows)
        finally:
            pool.close(abandon=not finished)
            trace.mark("batch-end")


def _summary(ceremony: Ceremony, archive: Archive, committed: Committed, recovered: tuple[str, ...],
             ledger: Ledger) -> BatchSummary:
    return BatchSummary(ceremony.ceremony_id, committed.sha256, archive.relative(committed.folder), None, None,
                        recovered=recovered, ledger_head=ledger.head())


def _records_expected(ceremony: Ceremony, ledger: Ledger) -> bool:
    """Whether this run will most likely build records: entropy is given and some brigade has none yet.

    Only decides whether the workers start early; a run that needs records anyway starts them later.
    """
    if ceremony.entropy is None and ceremony.entropy_values is None:
        return False
    done = {e.brigade for e in ledger.events("record")
            if e.ceremony_id == ceremony.ceremony_id and e.draw_id and _this_ceremony(e.draw_id, ceremony.ceremony_id)}
    return not set(ceremony.brigades) <= done


def _recovery_notes(recovery: Any) -> tuple[str, ...]:
    """What recovery cleaned up after a killed batch, as lines for the summary."""
    notes = [f"已清除中断批次的暂存文件夹 {name}" for name in recovery.staging_removed]
    notes += [f"未登记入账本的文件夹 {folder} 已移至 {dest}，本次重新生成" for folder, dest in recovery.quarantined]
    return tuple(notes)


@dataclass(frozen=True)
class DrawFailed:
    """A brigade whose draw could not be made (e.g. no feasible team); the other brigades go on."""

    error: str


def _brigade_drawer():
    """The core drawer, but a DrawError in one brigade becomes DrawFailed instead of stopping the batch.

    Each brigade's draw depends only on the seed and its own inputs, so the others are unaffected.
    """
    from dsr.core.draw import run_draw
    from dsr.errors import DrawError

    def draw(seed: bytes, inputs: Any) -> Any:
        try:
            return run_draw(seed, inputs)
        except DrawError as exc:
            return DrawFailed(str(exc))

    return draw


def _committed_inputs(committed: Committed, brigade: str):
    """Re-read the inputs as the commitment froze them, so the draw uses exactly that."""
    from dsr.core.freeze import inputs_from_document

    return inputs_from_document(committed.documents[brigade])


@dataclass(frozen=True)
class _Plan:
    """The records this run builds, decided from the ledger before the draw, and already given to the workers."""

    work: Path  # the workers' folders, removed at the end
    jobs: dict[str, tuple[_Job, Future]]  # brigade ▶ its job and the worker's future
    existing: dict[str, tuple[str, str]]  # brigade ▶ (draw id, archive folder) of a record already in the ledger


def _plan(ceremony: Ceremony, archive: Archive, ledger: Ledger, committed: Committed, readings: Any,
          workers: _Workers, at: Callable[[], str]) -> _Plan:
    """Submit a job for every brigade whose record is missing, before the draw (each record draws for itself).

    The draw id is the current draw's, or the next one after the voids; the draw rows are appended later
    and `_draw_all` archives a record only if its brigade's draw row has the same id and its result.
    """
    now = dt.datetime.now(dt.timezone.utc)
    work = archive.root / WORK / ceremony.ceremony_id / str(os.getpid())
    records = {(e.brigade, e.draw_id): e for e in ledger.events("record")}
    jobs: list[_Job] = []
    existing: dict[str, tuple[str, str]] = {}
    identity = None
    for brigade in sorted(committed.commitment["brigades"], key=_brigade_order(ceremony)):
        current = ledger.current_draw(committed.sha256, brigade)
        draw_id = current.draw_id if current is not None else _draw_id(ledger, committed, brigade)
        record = records.get((brigade, draw_id))
        if record is not None:
            existing[brigade] = (draw_id, str(Path(record.files[0].path).parent))
            continue
        if identity is None:
            identity = _identity(ceremony, ceremony.base or Path.cwd(), now)
        voids = tuple({"reason": v.payload["reason"], "at": v.at, "draw_id": v.draw_id}
                      for v in ledger.voids_for(committed.sha256, brigade))
        params = _record_params(ceremony, committed, brigade, identity, voids, readings)
        jobs.append(_Job(brigade, draw_id, params, work / brigade, at()))
    jobs.sort(key=lambda j: -_size(committed, j.brigade))  # longest first: the pool ends evenly
    submitted: dict[str, tuple[_Job, Future]] = {}
    if jobs:
        pool = workers.start(len(jobs))
        submitted = {job.brigade: (job, pool.submit(_build_record, job)) for job in jobs}
    return _Plan(work, submitted, existing)


class _Early:
    """Records started from a commitment being posted now, while a worker renders its notice's PDF.

    Only for a commitment posted in this run (nothing of this ceremony is in the ledger yet: every record is
    missing, every draw id is the ceremony id). The workers get copies of the commitment and frozen inputs from
    a work folder — the very bytes the commitment folder then holds — and the entropy read now. Nothing they
    make is archived before the `commit` row and the brigade's draw row are in the ledger (see `_draw_all`):
    the ledger order is the same as when the records start after the commit. Best effort: if anything fails
    here, nothing is started early and the usual path after the commit does it (and reports the error).
    """

    def __init__(self, ceremony: Ceremony, archive: Archive, ledger: Ledger, workers: _Workers,
                 at: Callable[[], str]):
        self._args = (ceremony, archive, ledger, workers, at)
        self.plan: _Plan | None = None
        self.readings: Any = None

    def __call__(self, commitment: dict[str, Any], digest: str, files: Mapping[str, bytes],
                 brigades: Mapping[str, Any]) -> None:
        ceremony, archive, ledger, workers, at = self._args
        if workers.pool is None:  # no workers (commit-only): nothing to start
            return
        try:
            folder = archive.root / WORK / ceremony.ceremony_id / str(os.getpid()) / ".commitment"
            folder.mkdir(parents=True)
            for name, data in files.items():
                (folder / name).write_bytes(data)
            posting = Committed(commitment, digest, {}, folder, dict(brigades))
            readings = ceremony_entropy(ceremony, posting)
            self.plan = _plan(ceremony, archive, ledger, posting, readings, workers, at)
            self.readings = readings
            trace.mark("started-early", jobs=len(self.plan.jobs))
        except Exception:  # noqa: BLE001 - the path after the commit plans again and reports what is wrong
            self.plan = None


def _size(committed: Committed, brigade: str) -> int:
    """A brigade's unit count (the inputs read now, or the frozen document)."""
    inputs = committed.inputs.get(brigade)
    if inputs is not None:
        return len(inputs.units)
    return len(committed.documents.get(brigade, {}).get("units", ()))


def _draw_all(ceremony: Ceremony, archive: Archive, ledger: Ledger, committed: Committed, result: cm.Ceremony,
              presented: Mapping[str, Any], plan: _Plan, at: Callable[[], str], progress) -> tuple[BrigadeRow, ...]:
    """Append each brigade's draw row, then archive each record as its worker finishes it."""
    results = dict(result.results)
    rows: dict[str, BrigadeRow] = {}
    pending: dict[Future, _Job] = {}
    unwanted: list[Future] = []  # records of brigades that failed here: waited for, never archived

    def done(row: BrigadeRow) -> None:
        rows[row.brigade] = row
        if progress is not None:
            progress(row)

    def drop(brigade: str) -> None:
        job = plan.jobs.get(brigade)
        if job is not None and not job[1].cancel():
            unwanted.append(job[1])

    for brigade in sorted(results, key=_brigade_order(ceremony)):
        drawn = results[brigade]
        if isinstance(drawn, DrawFailed):
            drop(brigade)
            done(BrigadeRow(brigade, units=len(presented[brigade].units), status="失败", error=drawn.error))
            continue
        try:
            draw_id = _ensure_draw(ledger, committed, brigade, drawn, result, at)
        except DsrError as exc:
            drop(brigade)
            done(_row(brigade, drawn, "", "", "失败", str(exc)))
            continue
        planned = plan.existing.get(brigade) or (plan.jobs[brigade][0].draw_id if brigade in plan.jobs else None, "")
        if planned[0] != draw_id:  # a void appended beside this batch since the plan: the next run builds it
            drop(brigade)
            done(_row(brigade, drawn, draw_id, "", "失败", f"本批次运行期间账本中{brigade}的抽取有变化，请重新运行"))
        elif brigade in plan.existing:
            done(_row(brigade, drawn, draw_id, planned[1], "已存在"))
        else:
            job, future = plan.jobs[brigade]
            pending[future] = job
    trace.mark("draw-rows", jobs=len(pending))
    for future in as_completed(pending):
        job = pending[future]
        trace.mark("archive-start", brigade=job.brigade)
        outcome = _finish_one(job, future.result, lambda job, path: _archive_record(
            archive, ledger, committed, job, path, results[job.brigade], at))
        trace.mark("archive-end", brigade=job.brigade)
        done(outcome if isinstance(outcome, BrigadeRow) else
             _row(job.brigade, results[job.brigade], job.draw_id, "", "失败", outcome))
    wait(unwanted)
    shutil.rmtree(plan.work, ignore_errors=True)  # workers done: drop the work folders
    return tuple(rows[b] for b in sorted(rows, key=_brigade_order(ceremony)))


def _brigade_order(ceremony: Ceremony) -> Callable[[str], int]:
    order = {b: i for i, b in enumerate(ceremony.brigades)}
    return lambda b: order.get(b, len(order))


def _die_with_batch(batch: int) -> None:
    """Worker initializer: SIGKILL this worker as soon as the batch process `batch` ends (Linux pidfd).

    A worker forked from the fork server is the server's child, not the batch's, so PR_SET_PDEATHSIG
    alone would not end it with the batch; a thread waits on a pidfd of the batch process instead.
    """
    if batch == os.getppid() or not hasattr(os, "pidfd_open"):
        return  # spawned by the batch itself: PR_SET_PDEATHSIG covers it
    try:
        fd = os.pidfd_open(batch)
    except ProcessLookupError:
        os._exit(1)  # the batch is already gone
    except OSError:
        return

    def watch() -> None:
        import select

        select.select([fd], [], [])
        os.kill(os.getpid(), signal.SIGKILL)

    import threading

    threading.Thread(target=watch, name="dsr-batch-watch", daemon=True).start()


def _die_with_parent() -> None:
    """Worker initializer: on Linux ask the kernel to SIGKILL this worker when the batch process dies.

    So a batch killed with kill -9 leaves no worker behind still writing into its work folder.
    """
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the worker ends when it finds its queue gone
        pass
    if os.getppid() == 1:  # the parent died before prctl took effect
        os._exit(1)


def _context():
    """The fork server on Linux (workers forked from one interpreter that loaded the renderers), else spawn."""
    if sys.platform.startswith("linux") and "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["__main__", "dsr.ceremony.preload"])
        return context
    return multiprocessing.get_context("spawn")


def _stop_fork_server() -> None:
    """End this process's fork server once its workers are gone, and reap it (its CPU time counts in the batch's).

    Each batch starts its own, with the environment and code of the moment.
    """
    from multiprocessing import forkserver

    server = getattr(forkserver, "_forkserver", None)
    stop = getattr(server, "_stop", None)
    if stop is not None:
        stop()


class _Workers:
    """The record workers of one batch, started on demand or early (while the parent commits and draws).

    Workers are never forked from the batch process, so they inherit neither the batch lock nor the
    ledger connection: on Linux they are forked from a fork server, a fresh interpreter that has loaded
    the renderers once (`dsr.ceremony.preload`) and is ended with the pool; elsewhere they are spawned.
    a pool is used even for one worker, so a record never runs inside the caller (e.g. a Jupyter kernel,
    whose running event loop the signing code cannot share) and a crashing record cannot take the batch down.
    """

    def __init__(self, workers: int, notebook: Path | None = None, prime: Any = None):
        self.workers = max(1, workers)
        self.notebook = notebook
        self.prime = prime  # dsr.record.notebook.Prime: what the kernel nursery reads once
        self.nursery = None  # the workers' SharedNursery, started with the pool
        self.pool: ProcessPoolExecutor | None = None
        self._starting = None  # the thread starting the workers in the background

    def start(self, count: int, background: bool = False) -> ProcessPoolExecutor | None:
        """Start min(workers, count) workers now (each loads what records need before taking a job).

        `background`: from a thread, because starting a worker waits until the fork server has loaded
        the renderers (≈ 2 s), time this process spends committing instead; `start` or `close` wait for it.
        """
        if self._starting is not None:
            self._starting.join()
            self._starting = None
        if self.pool is None:
            size = max(1, min(self.workers, count))
            self.nursery = _shared_nursery(self.notebook, self.prime)
            shared = (self.nursery.path, self.nursery.pid) if self.nursery is not None else None
            self.pool = ProcessPoolExecutor(max_workers=size, mp_context=_context(), initializer=_start_worker,
                                            initargs=(self.notebook, os.getpid(), self.prime, shared))
            if background:
                import threading

                self._starting = threading.Thread(target=self._spawn, args=(self.pool, size),
                                                  name="dsr-batch-workers", daemon=True)
                self._starting.start()
                return None
            self._spawn(self.pool, size)
        return self.pool

    def renderer(self):
        """Render the commitment notice's PDF in a worker that has WeasyPrint loaded (None: no workers started).

        Saves this process loading WeasyPrint for one page (≈ 1 s CPU); a worker that cannot render it
        (the pool broke) leaves it to this process.
        """
        if self.pool is None:
            return None

        def render(html: bytes, attachments, clock: str):
            try:
                future = self.start(1).submit(_render_pdf, html, attachments, clock)
            except Exception:  # noqa: BLE001 - rendered here instead
                return None

            def result() -> bytes:
                try:
                    return future.result()
                except DsrError:
                    raise
                except Exception:  # noqa: BLE001 - a broken pool: render here, where a real error is raised
                    from dsr.record.pdf import html_to_pdf

                    return html_to_pdf(html, attachments, clock)

            return result

        return render

    @staticmethod
    def _spawn(pool: ProcessPoolExecutor, size: int) -> None:
        try:
            for _ in range(size):  # one no-op per worker makes the pool start every worker at once
                pool.submit(_ready)
        except Exception:  # noqa: BLE001, S110 - a broken pool is reported by the first record's future
            pass

    def close(self, abandon: bool = False) -> None:
        """Wait for the workers to end; `abandon`: the batch failed, end them at once instead."""
        if self._starting is not None:
            self._starting.join()
            self._starting = None
        if self.pool is None:
            return
        trace.mark("pool-close")
        if abandon:
            for process in list(getattr(self.pool, "_processes", {}).values()):
                process.terminate()
        self.pool.shutdown(wait=True, cancel_futures=True)
        self.pool = None
        if self.nursery is not None:  # every record is done or abandoned: its kernels are ended with it
            self.nursery.close()
            self.nursery = None
        _stop_fork_server()


def _shared_nursery(notebook: Path | None, prime: Any):
    """The batch's one kernel nursery for all its workers (None where there is none: each worker then starts its
    own, or its kernels start normally). Started before the workers, it imports while this process commits."""
    from dsr.record import notebook as nbrun

    if not nbrun.nursery_supported():
        return None
    try:
        return nbrun.SharedNursery(notebook, prime)
    except (OSError, nbrun.NurseryError):
        return None


def _finish_one(job: _Job, get, finish) -> BrigadeRow | str:
    """The archived record's row, or the error message of a record that failed."""
    try:
        _brigade, path = get()
        return finish(job, path)
    except DsrError as exc:
        return str(exc)
    except Exception as exc:  # a worker crash must not stop the other brigades
        return f"{type(exc).__name__}: {exc}"


def _archive_record(archive: Archive, ledger: Ledger, committed: Committed, job: _Job, path: Path, result: Any,
                    at: Callable[[], str]) -> BrigadeRow:
    """Check the record drew what the parent drew, copy it into its write-once folder, append `record`."""
    record = _json(path / "record.json")
    drawn = record.get("draw")  # the DrawResult in plain form: its canonical bytes are the result's
    if not isinstance(drawn, dict) or canonical_bytes(drawn) != canonical_bytes(result):
        raise DsrError(f"{job.brigade}的记录中的抽取结果与账本中的不一致，记录未归档")
    files = {p.relative_to(path).as_posix(): p for p in sorted(path.rglob("*")) if p.is_file()}
    year = int(committed.commitment["brigades"][job.brigade]["inspection_date"][:4])
    folder = archive.write_record(year, job.brigade, job.draw_id, files)
    ledger.append_record(archive.folder_refs(folder), at=at(), brigade=job.brigade, draw_id=job.draw_id,
                         ceremony_id=committed.commitment["ceremony_id"], commitment_hash=committed.sha256,
                         payload={"record_sha256": sha256_hex((folder / "record.json").read_bytes())})
    return _row(job.brigade, result, job.draw_id, archive.relative(folder), "完成")
