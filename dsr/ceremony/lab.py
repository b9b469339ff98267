"""What the ceremony notebook calls: the same run_batch as `dsr batch`, shown as tables and links."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from dsr.ceremony.batch import BatchSummary, run_batch
from dsr.ceremony.config import Ceremony, _witness, load_ceremony


def prepare(ceremony_file: str, witnesses: Sequence[Mapping[str, str]] | None = None,
            entropy: Mapping[str, object] | None = None) -> Ceremony:
    """The ceremony file, with the witnesses and entropy values typed in the notebook's parameters cell."""
    ceremony = load_ceremony(Path(ceremony_file))
    if witnesses is not None:
        people = tuple(_witness(ceremony.path, w, i) for i, w in enumerate(witnesses, 1))
        ceremony = replace(ceremony, witnesses=people)
    if entropy is not None:
        ceremony = replace(ceremony, entropy_values=dict(entropy))
    return ceremony


def _table(head: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{cells}</tr></thead><tbody>{body}</tbody></table>"


def show_ceremony(ceremony: Ceremony):
    """The ceremony as the operator should check it before running: task, brigades, witnesses."""
    from IPython.display import HTML

    e = html.escape
    rows = [(e(w.name), e(w.role), e(w.org)) for w in ceremony.witnesses]
    return HTML(
        f"<h3>{e(ceremony.task_name)}（{e(ceremony.ceremony_id)}）</h3>"
        f"<p>检查日期 {e(ceremony.inspection_date)}；大队：{e('、'.join(ceremony.brigades))}；"
        f"操作员：{e(ceremony.operator.name)}</p>" + _table(("见证人", "身份", "单位"), rows)
    )


def run(ceremony: Ceremony, archive_root: str = "outputs", workers: int = 2) -> BatchSummary:
    """Run or finish the ceremony with a progress bar, exactly as `dsr batch` does."""
    from tqdm.auto import tqdm

    bar = tqdm(total=len(ceremony.brigades), desc="生成抽查记录", unit="大队")
    try:
        return run_batch(ceremony, Path(archive_root), workers=workers, progress=lambda _row: bar.update(1))
    finally:
        bar.close()


def show_summary(summary: BatchSummary, archive_root: str = "outputs"):
    """The closing table with a link to each brigade's record PDF."""
    from IPython.display import HTML

    e = html.escape
    rows = []
    for r in summary.rows:
        link = ""
        if r.record:
            target = Path(archive_root) / r.record / "record.pdf"
            link = f'<a href="{e(target.as_posix())}">{e(r.record)}</a>'
        rows.append((e(r.brigade), r.units, r.drawn, r.teams, e(r.status), link, e(r.error)))
    head = f"<p>承诺哈希 <code>{e(summary.commitment_sha256)}</code>；种子 <code>{e(summary.seed or '')}</code></p>"
    return HTML(head + _table(("大队", "单位", "抽中", "检查组", "状态", "抽查记录", "问题"), rows))
