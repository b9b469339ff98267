"""`dsr batch`: one commitment and one entropy for a detachment's brigades, a record per brigade, reruns."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
from batch_helpers import (
    BRIGADES,
    CEREMONY_ID,
    OTHER_ENTROPY,
    dsr_command,
    dsr_env,
    run_dsr,
    write_ceremony,
    write_rules,
)

from dsr.archive import LEDGER_NAME, Ledger
from dsr.archive.store import acquire_lock
from dsr.ceremony.batch import COMMIT_FOLDER, BatchSummary, BrigadeRow, run_batch
from dsr.ceremony.config import Person, load_ceremony
from dsr.cli.batch import render_summary
from dsr.errors import ArchiveError, CommitmentMismatch, DsrError

AT = "2026-11-30T10:00:00+08:00"


def _ceremony(base: Path, **kw):
    return load_ceremony(write_ceremony(base, **kw), base)


def _ledger(root: Path) -> Ledger:
    return Ledger(root / LEDGER_NAME, root, create=False)


def _kinds(root: Path) -> list[str]:
    with _ledger(root) as ledger:
        return [e.kind for e in ledger.events()]


# ---------------------------------------------------------------- refused before anything is written


def test_brigade_without_rules_file_refuses_the_whole_batch(tmp_path: Path):
    """A brigade listed in the ceremony whose rules file is missing: refused by name, nothing written."""
    path = write_ceremony(tmp_path)
    (tmp_path / "rules/北关区.yaml").unlink()
    proc = run_dsr(tmp_path, "batch", str(path), "--root", "out", "--commit-only")
    assert proc.returncode == 1
    assert proc.stderr.strip() == "dsr batch: 以下大队没有细则文件，整批拒绝：北关区（北关区.yaml）"
    assert not (tmp_path / "out/2026").exists()
    assert _kinds(tmp_path / "out") == []


def test_ceremony_file_with_misspelt_key_names_the_right_one(tmp_path: Path):
    """An unknown key in the ceremony file is refused, suggesting the nearest valid key."""
    path = write_ceremony(tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace("witnesses:", "witneses:"), encoding="utf-8")
    proc = run_dsr(tmp_path, "batch", str(path), "--root", "out")
    assert proc.returncode == 1
    assert proc.stderr.strip() == "dsr batch: 仪式参数文件 ceremony.yaml：未知的键「witneses」，是否应为「witnesses」"


def test_batch_needs_a_ceremony_file_or_demo(tmp_path: Path):
    """`dsr batch` with neither a ceremony file nor --demo is a usage error (exit 2)."""
    proc = run_dsr(tmp_path, "batch", "--root", "out")
    assert proc.returncode == 2
    assert proc.stderr.strip() == "dsr batch: 请给出仪式参数文件，或用 --demo 使用演示数据（二者选一）"


def test_second_batch_refused_while_the_lock_is_held(tmp_path: Path):
    """While another batch holds the archive lock, a batch refuses at once, naming the holder's PID."""
    path = write_ceremony(tmp_path)
    lock = acquire_lock(tmp_path / "out")
    try:
        proc = run_dsr(tmp_path, "batch", str(path), "--root", "out")
        with pytest.raises(ArchiveError) as caught:
            run_batch(load_ceremony(path, tmp_path), tmp_path / "out")
    finally:
        lock.release()
    expected = f"另一批次正在运行（进程 PID {os.getpid()}），请稍后再试"
    assert proc.returncode == 1
    assert proc.stderr.strip() == f"dsr batch: {expected}"
    assert str(caught.value) == expected
    assert not (tmp_path / "out" / LEDGER_NAME).exists()


def test_void_without_reason_is_refused(tmp_path: Path):
    """`dsr void` without --reason is refused and appends nothing."""
    Ledger(tmp_path / "out" / LEDGER_NAME, tmp_path / "out").close()
    proc = run_dsr(tmp_path, "void", "--root", "out", "--commitment", "a" * 64, "--brigade", "文峰区")
    assert proc.returncode == 1
    assert proc.stderr.strip() == "dsr void: 作废必须注明理由"
    assert _kinds(tmp_path / "out") == []


def test_summary_table_lists_each_brigade_failures_and_the_ledger_head():
    """The closing summary: one aligned line per brigade, each failure's message, totals and the head."""
    summary = BatchSummary(
        "AY-2026-12", "c" * 64, "2026/承诺公告/AY-2026-12", "5" * 64, "1./2./",
        rows=(BrigadeRow("文峰区", 900, 12, 12, "AY-2026-12", "2026/文峰区/AY-2026-12", "完成"),
              BrigadeRow("滑县", 640, 0, 0, "AY-2026-12", "", "失败", "抽查工作细则要求的见证人身份缺少：人大代表")),
        ledger_head=(7, "d" * 64),
    )
    assert render_summary(summary, Path("outputs")).splitlines() == [
        f"仪式 AY-2026-12　承诺哈希 {'c' * 64}",
        "承诺公告：outputs/2026/承诺公告/AY-2026-12",
        "规范随机数串：1./2./",
        f"种子：{'5' * 64}",
        "大队    单位  抽中  检查组  状态  记录",
        "文峰区  900   12    12      完成  outputs/2026/文峰区/AY-2026-12",
        "滑县    640   0     0       失败",
        "✘ 滑县：抽查工作细则要求的见证人身份缺少：人大代表",
        "共 2 个大队，1 个完成，1 个失败。",
        f"账本头（请公布）：7:{'d' * 64}　核对：dsr ledger verify --head 7:{'d' * 64}",
    ]


# ---------------------------------------------------------------- commitment (renders the notice PDF)


@pytest.fixture(scope="module")
def committed(tmp_path_factory) -> Path:
    """A small ceremony committed once (commit-only); tests copy it so none pays for the notice twice."""
    base = tmp_path_factory.mktemp("committed")
    summary = run_batch(_ceremony(base), base / "out", commit_only=True, at=lambda: AT)
    assert summary.seed is None
    return base


def _copy(committed: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "c"
    shutil.copytree(committed, dest, symlinks=True)
    return dest


@pytest.mark.slow
def test_commit_only_posts_the_notice_and_one_commit_row(committed: Path, tmp_path: Path):
    """--commit-only writes the commitment folder (JSON, hash, frozen inputs, notice HTML + PDF) and one row."""
    base = _copy(committed, tmp_path)
    folder = base / "out/2026" / COMMIT_FOLDER / CEREMONY_ID
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted(["MANIFEST.sha256", "commitment.json", "commitment.sha256", "承诺公告.html", "承诺公告.pdf",
                            *(f"inputs-{b}.json" for b in BRIGADES)])
    assert (folder / "承诺公告.pdf").read_bytes()[:5] == b"%PDF-"
    with _ledger(base / "out") as ledger:
        (event,) = ledger.events()
        digest = (folder / "commitment.sha256").read_text(encoding="utf-8").split()[0]
        assert (event.kind, event.commitment_hash, event.ceremony_id) == ("commit", digest, CEREMONY_ID)
    again = run_dsr(base, "batch", "ceremony.yaml", "--root", "out", "--commit-only")
    assert again.returncode == 0, again.stderr
    assert f"仪式 {CEREMONY_ID}　承诺哈希 {digest}" in again.stdout
    assert "已发布承诺；摇号后提供随机数再运行本命令即可抽取。" in again.stdout
    assert _kinds(base / "out") == ["commit"]


@pytest.mark.slow
def test_inputs_edited_after_commit_are_refused_naming_the_change(committed: Path, tmp_path: Path):
    """A rules file edited after the commitment: the draw is refused, naming the brigade and the section."""
    base = _copy(committed, tmp_path)
    write_rules(base / "rules/北关区.yaml", "北关区", rounding="floor")
    with pytest.raises(CommitmentMismatch) as caught:
        run_batch(load_ceremony(base / "ceremony.yaml", base), base / "out", at=lambda: AT)
    message = str(caught.value)
    assert message.startswith("大队「北关区」的输入与承诺不一致，拒绝抽取：\n")
    assert "抽查细则" in message.splitlines()[1]
    assert _kinds(base / "out") == ["commit"]


@pytest.mark.slow
def test_brigade_added_after_commit_is_refused(committed: Path, tmp_path: Path):
    """A ceremony listing a brigade the commitment does not cover is refused."""
    base = _copy(committed, tmp_path)
    ceremony = _ceremony(base, brigades=(*BRIGADES, "龙安区"))
    with pytest.raises(CommitmentMismatch) as caught:
        run_batch(ceremony, base / "out", at=lambda: AT)
    assert str(caught.value) == "仪式的大队与承诺不一致：承诺为 北关区、文峰区、殷都区"


@pytest.mark.slow
def test_redraw_with_other_entropy_refused_until_voided(committed: Path, tmp_path: Path):
    """Drawn once; other entropy is refused per brigade; after a void with a reason the next draw is <id>-r2.

    The ceremony lacks the 廉政监督员 the rules require, so each record is refused before any kernel starts:
    the draws are real ledger rows, the records fail fast.
    """
    base = _copy(committed, tmp_path)
    root = base / "out"
    ceremony = load_ceremony(base / "ceremony.yaml", base)
    ceremony = replace(ceremony, witnesses=(Person("李秀梅", "企业代表"), Person("赵文华", "人大代表")))
    first = run_batch(ceremony, root, at=lambda: AT)
    assert [(r.brigade, r.status, r.draw_id) for r in first.rows] == [(b, "失败", CEREMONY_ID) for b in BRIGADES]
    assert {r.error for r in first.rows} == {"抽查工作细则要求的见证人身份缺少：廉政监督员"}
    assert _kinds(root) == ["commit", "draw", "draw", "draw"]

    other = replace(ceremony, entropy_values=OTHER_ENTROPY)
    refused = run_batch(other, root, at=lambda: AT)
    assert refused.seed != first.seed
    for row in refused.rows:
        assert row.status == "失败"
        assert row.error == (
            f"承诺 {first.commitment_sha256[:16]}… 在{row.brigade}已有抽取 {CEREMONY_ID}（seq="
            f"{row.error.split('seq=')[1].split('）')[0]}），本次随机数得到的结果与之不同；"
            "同一承诺不得重抽，如确需重抽，须先用 dsr void 注明理由作废")
    assert _kinds(root) == ["commit", "draw", "draw", "draw"]

    voided = run_dsr(base, "void", "--root", "out", "--commitment", first.commitment_sha256,
                     "--brigade", "文峰区", "--reason", "现场骰子滚落桌下，监督员要求重抽")
    assert voided.returncode == 0, voided.stderr
    assert voided.stdout.startswith(f"已作废文峰区的抽取 {CEREMONY_ID}（seq=")
    after = {r.brigade: r for r in run_batch(other, root, at=lambda: AT).rows}
    assert after["文峰区"].draw_id == f"{CEREMONY_ID}-r2"
    assert after["文峰区"].error == "抽查工作细则要求的见证人身份缺少：廉政监督员"
    assert after["北关区"].error.endswith("须先用 dsr void 注明理由作废")
    with _ledger(root) as ledger:
        assert [e.kind for e in ledger.events()][-2:] == ["void", "draw"]
        assert ledger.last_void_reason(first.commitment_sha256, "文峰区") == "现场骰子滚落桌下，监督员要求重抽"
        history = {(h.draw_id, h.unit_key) for h in ledger.history(2026, "文峰区")}
        assert history and {d for d, _ in history} == {f"{CEREMONY_ID}-r2"}  # the voided draw no longer counts
        assert ledger.verify().ok


# ---------------------------------------------------------------- real records (kernels, PDFs, signatures)


def _statuses(summary: BatchSummary) -> dict[str, str]:
    return {r.brigade: r.status for r in summary.rows}


@pytest.mark.slow
def test_one_brigade_failing_then_reruns_finish_only_what_is_missing(tmp_path: Path):
    """北关区's rules need a 人大代表: its record fails, 文峰区 completes; with the witness added the rerun
    builds only 北关区; a third run finds both done (已存在) and appends nothing."""
    ceremony = _ceremony(tmp_path, brigades=("文峰区", "北关区"),
                         rules_overrides={"北关区": {"witnesses": {"minimum": 2, "required_roles": ["人大代表"]}}})
    root = tmp_path / "out"
    seen = []
    first = run_batch(ceremony, root, workers=2, at=lambda: AT, progress=lambda row: seen.append(row.brigade))
    assert sorted(seen) == ["北关区", "文峰区"]
    assert _statuses(first) == {"文峰区": "完成", "北关区": "失败"}
    bad = next(r for r in first.rows if r.brigade == "北关区")
    assert bad.error == "抽查工作细则要求的见证人身份缺少：人大代表"
    assert not (root / "2026/北关区").exists()
    good = next(r for r in first.rows if r.brigade == "文峰区")
    assert good.record == f"2026/文峰区/{CEREMONY_ID}" and good.drawn > 0 and good.teams == good.drawn
    assert _kinds(root) == ["commit", "draw", "draw", "record"]

    fixed = replace(ceremony, witnesses=(*ceremony.witnesses, Person("赵文华", "人大代表", "安阳市人大代表")))
    second = run_batch(fixed, root, workers=2, at=lambda: AT)
    assert _statuses(second) == {"文峰区": "已存在", "北关区": "完成"}
    assert second.seed == first.seed
    assert _kinds(root) == ["commit", "draw", "draw", "record", "record"]

    proc = run_dsr(tmp_path, "batch", "ceremony.yaml", "--root", "out")
    assert proc.returncode == 0, proc.stderr  # the file still lacks the 人大代表, but nothing is left to build
    assert "文峰区  40    " in proc.stdout and proc.stdout.count("已存在") == 2
    assert _kinds(root) == ["commit", "draw", "draw", "record", "record"]
    verify = run_dsr(tmp_path, "ledger", "verify", "--root", "out")
    assert verify.returncode == 0, verify.stdout
    assert "账本校验通过：共 5 条记录" in verify.stdout


@pytest.mark.slow
def test_hand_edited_ledger_row_is_detected_naming_the_row(committed: Path, tmp_path: Path):
    """A ledger row edited by hand (the trigger dropped first) is found by `dsr ledger verify`, naming seq 1."""
    base = _copy(committed, tmp_path)
    db = sqlite3.connect(base / "out" / LEDGER_NAME)
    db.execute("DROP TRIGGER events_no_update")
    db.execute("UPDATE events SET at = '2026-11-26T09:00:00+08:00' WHERE seq = 1")
    db.commit()
    db.close()
    proc = run_dsr(base, "ledger", "verify", "--root", "out")
    assert proc.returncode == 1
    assert proc.stdout.splitlines()[-1] == "账本校验未通过：第 1 条记录（seq=1）哈希不符：内容被修改"


def test_ceremony_error_is_a_dsr_error():
    """Ceremony refusals are DsrErrors, so the CLI prints them as messages, never tracebacks."""
    from dsr.ceremony.config import CeremonyError

    assert issubclass(CeremonyError, DsrError) and CeremonyError.exit_code == 1


@pytest.mark.slow
def test_void_then_rerun_draws_r2_and_the_new_record_shows_the_reason(tmp_path: Path):
    """After `dsr void` with a reason, a rerun with new entropy makes <id>-r2, whose record lists the void."""
    write_ceremony(tmp_path, brigades=("文峰区",))
    first = run_dsr(tmp_path, "batch", "ceremony.yaml", "--root", "out")
    assert first.returncode == 0, first.stderr
    digest = first.stdout.splitlines()[0].split("承诺哈希 ")[1]
    reason = "现场骰子滚落桌下，监督员要求重抽"
    voided = run_dsr(tmp_path, "void", "--root", "out", "--commitment", digest, "--brigade", "文峰区",
                     "--reason", reason)
    assert voided.returncode == 0, voided.stderr
    ceremony = replace(load_ceremony(tmp_path / "ceremony.yaml", tmp_path), entropy_values=OTHER_ENTROPY)
    (row,) = run_batch(ceremony, tmp_path / "out", at=lambda: AT).rows
    assert (row.status, row.draw_id, row.record) == ("完成", f"{CEREMONY_ID}-r2", f"2026/文峰区/{CEREMONY_ID}-r2")
    folder = tmp_path / "out" / row.record
    with _ledger(tmp_path / "out") as ledger:
        void = ledger.events("void")[0]
        assert ledger.verify().ok
    record = json.loads((folder / "record.json").read_text(encoding="utf-8"))
    assert record["voids"] == [{"draw_id": CEREMONY_ID, "at": void.at, "reason": reason}]
    assert reason in (folder / "record.html").read_text(encoding="utf-8")
    assert (tmp_path / "out" / f"2026/文峰区/{CEREMONY_ID}/record.pdf").is_file()  # the voided record stays


def test_ceremony_path_with_nul_is_a_ceremony_error(tmp_path):
    """A path holding a NUL byte in the ceremony file is refused as the operator's error, not a crash."""
    from dsr.ceremony.config import CeremonyError, load_ceremony

    text = (Path(__file__).parent.parent / "params/demo/ceremony.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "ceremony.yaml"
    bad.write_text(text.replace("sources: params/demo/sources.yaml", 'sources: "a\\0b.yaml"'), encoding="utf-8")
    with pytest.raises(CeremonyError) as err:
        load_ceremony(bad, root=tmp_path)
    assert str(err.value) == "仪式参数文件 ceremony.yaml：「sources」应为文件路径，实为「'a\\x00b.yaml'」"


@pytest.mark.slow
def test_a_fresh_commitment_starts_the_records_while_its_notice_is_rendered(tmp_path: Path):
    """Committed and drawn in one run: the workers start on the records before the `commit` row is appended (the
    notice's PDF is still being rendered), from the very commitment bytes the folder then holds; the ledger
    order is unchanged and every record is archived only after its draw row."""
    write_ceremony(tmp_path, brigades=("文峰区", "北关区"))
    trace = tmp_path / "trace.jsonl"
    proc = subprocess.run(dsr_command("batch", "ceremony.yaml", "--root", "out"), cwd=tmp_path, text=True,
                          env={**dsr_env(), "DSR_BATCH_TRACE": str(trace)}, capture_output=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    events = [json.loads(line) for line in trace.read_text(encoding="utf-8").splitlines()]
    batch = [e["ev"] for e in events if e["pid"] == events[0]["pid"]]
    assert batch.index("started-early") < batch.index("notice-pdf") < batch.index("committed")
    root = tmp_path / "out"
    assert _kinds(root) == ["commit", "draw", "draw", "record", "record"]
    (folder,) = (root / "2026" / COMMIT_FOLDER).iterdir()
    for brigade in ("文峰区", "北关区"):
        inputs = root / "2026" / brigade / CEREMONY_ID / "inputs"
        assert (inputs / "commitment.json").read_bytes() == (folder / "commitment.json").read_bytes()
        assert (inputs / "frozen-inputs.json").read_bytes() == (folder / f"inputs-{brigade}.json").read_bytes()
    assert not (root / ".work").exists() or not any((root / ".work").rglob("*.json"))
    verify = run_dsr(tmp_path, "ledger", "verify", "--root", "out")
    assert verify.returncode == 0, verify.stdout


@pytest.mark.slow
def test_a_fresh_commitment_without_entropy_is_posted_and_nothing_is_drawn(tmp_path: Path):
    """No entropy yet: the commitment is posted (its row is in the ledger), then the draw is refused; no record
    was started early."""
    ceremony = _ceremony(tmp_path, brigades=("文峰区",), entropy=None)
    root = tmp_path / "out"
    with pytest.raises(DsrError, match="尚未提供摇号现场读出的随机数"):
        run_batch(ceremony, root, workers=2, at=lambda: AT)
    assert _kinds(root) == ["commit"]
    assert not (root / "2026" / "文峰区").exists()
