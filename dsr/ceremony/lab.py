"""What the ceremony notebook calls: the same run_batch as `dsr batch`, shown as tables and links.

JupyterLab starts the kernel in the notebook's folder (notebooks/), while the ceremony file's paths
are written from the project folder; `prepare` therefore looks for the ceremony file in the current
folder and then in its parents, and resolves everything against the folder where it was found.
"""

from __future__ import annotations

import html
import os
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from dsr.ceremony.batch import BatchSummary, run_batch
from dsr.ceremony.config import Ceremony, CeremonyError, _witness, load_ceremony


def project_folder(ceremony_file: str | Path, start: Path | None = None) -> Path:
    """The folder (the current one or a parent) from which `ceremony_file` is found."""
    start = (start or Path.cwd()).resolve()
    if Path(ceremony_file).is_absolute():
        return start
    for folder in (start, *start.parents):
        if (folder / ceremony_file).is_file():
            return folder
    raise CeremonyError(f"找不到仪式参数文件 {ceremony_file}（已在 {start} 及其上级文件夹中查找）")


def prepare(ceremony_file: str, witnesses: Sequence[Mapping[str, str]] | None = None,
            entropy: Mapping[str, object] | None = None) -> Ceremony:
    """The ceremony file, with the witnesses and entropy values typed in the notebook's parameters cell."""
    base = project_folder(ceremony_file)
    ceremony = load_ceremony(base / ceremony_file, base)
    if witnesses is not None:
        people = tuple(_witness(ceremony.path, w, i) for i, w in enumerate(witnesses, 1))
        ceremony = replace(ceremony, witnesses=people)
    if entropy is not None:
        ceremony = replace(ceremony, entropy_values=dict(entropy))
    return ceremony


def archive_folder(ceremony: Ceremony, archive_root: str | Path) -> Path:
    """The archive root: as given if absolute, else inside the project folder (as `dsr batch` run there)."""
    root = Path(archive_root)
    return root if root.is_absolute() else (ceremony.base or Path.cwd()) / root


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
        return run_batch(ceremony, archive_folder(ceremony, archive_root), workers=workers,
                         progress=lambda _row: bar.update(1))
    finally:
        bar.close()


def show_summary(summary: BatchSummary, ceremony: Ceremony, archive_root: str = "outputs"):
    """The closing table with a link to each brigade's record PDF (relative to the notebook) and the ledger head."""
    from IPython.display import HTML

    e = html.escape
    root = archive_folder(ceremony, archive_root)
    rows = []
    for r in summary.rows:
        link = ""
        if r.record:
            target = os.path.relpath(root / r.record / "record.pdf", Path.cwd())
            link = f'<a href="{e(Path(target).as_posix())}" target="_blank">{e(r.record)}</a>'
        rows.append((e(r.brigade), r.units, r.drawn, r.teams, e(r.status), link, e(r.error)))
    done = sum(1 for r in summary.rows if r.status != "失败")
    head = (f"<p>承诺哈希 <code>{e(summary.commitment_sha256)}</code>；种子 <code>{e(summary.seed or '')}</code></p>")
    tail = f"<p>共 {len(summary.rows)} 个大队，{done} 个完成，{len(summary.rows) - done} 个失败。</p>"
    if summary.ledger_head is not None:
        seq, digest = summary.ledger_head
        tail += f"<p>账本头（请公布）：<code>{seq}:{e(digest)}</code></p>"
    return HTML(head + _table(("大队", "单位", "抽中", "检查组", "状态", "抽查记录", "问题"), rows) + tail)
