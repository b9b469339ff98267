"""`dsr batch`: a whole detachment's ceremony — commitment, entropy, one signed record per brigade."""

from __future__ import annotations

import argparse
import sys
import unicodedata
from pathlib import Path

DEMO_CEREMONY = Path("params/demo/ceremony.yaml")


def register(subparsers) -> None:
    """Add the `batch` subcommand."""
    p = subparsers.add_parser("batch", help="一次仪式为支队全部大队抽取：承诺、随机数、各大队签名记录")
    p.add_argument("ceremony", nargs="?", type=Path, metavar="CEREMONY.yaml", help="仪式参数文件")
    p.add_argument("--demo", action="store_true", help=f"使用演示数据（{DEMO_CEREMONY}）")
    p.add_argument("--root", type=Path, default=Path("outputs"), help="存档目录（默认 %(default)s）")
    p.add_argument("--workers", type=int, default=2, help="并行生成记录的进程数（默认 %(default)s）")
    p.add_argument("--commit-only", action="store_true", help="只发布承诺公告（摇号前），不抽取")
    p.add_argument("--wait", type=float, default=0.0, metavar="秒",
                   help="另一批次正在运行时最多等待的秒数（默认 0：立即拒绝）")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run or finish the ceremony and print the closing summary; exit 1 if any brigade failed."""
    from dsr.ceremony.batch import run_batch
    from dsr.ceremony.config import load_ceremony
    from dsr.errors import UsageError

    if args.demo == (args.ceremony is not None):
        raise UsageError("请给出仪式参数文件，或用 --demo 使用演示数据（二者选一）")
    if args.workers < 1:
        raise UsageError("--workers 至少为 1")
    if args.wait < 0:
        raise UsageError("--wait 不能为负数")
    ceremony = load_ceremony(DEMO_CEREMONY if args.demo else args.ceremony)
    bar = _progress(len(ceremony.brigades), args.commit_only)
    try:
        summary = run_batch(ceremony, args.root, workers=args.workers, commit_only=args.commit_only,
                            progress=lambda row: bar.update(1) if bar else None, wait=args.wait)
    finally:
        if bar:
            bar.close()
    print(render_summary(summary, args.root))
    return 0 if summary.ok else 1


def _progress(total: int, commit_only: bool):
    if commit_only:
        return None
    from tqdm import tqdm

    return tqdm(total=total, desc="生成抽查记录", unit="大队", file=sys.stderr, disable=None)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _pad(text: str, width: int) -> str:
    return text + " " * max(0, width - _width(text))


def render_summary(summary, root: Path) -> str:
    """The closing table (大队、单位、抽中、检查组、状态、记录), each failure's message, the ledger head."""
    lines = [
        f"仪式 {summary.ceremony_id}　承诺哈希 {summary.commitment_sha256}",
        f"承诺公告：{root / summary.commitment_folder}",
    ]
    for note in summary.recovered:
        lines.append(f"恢复：{note}")
    if summary.seed is None:
        lines.append("已发布承诺；摇号后提供随机数再运行本命令即可抽取。")
        lines.append(_head_line(summary))
        return "\n".join(lines)
    lines.append(f"规范随机数串：{summary.canonical_entropy}")
    lines.append(f"种子：{summary.seed}")
    head = ("大队", "单位", "抽中", "检查组", "状态", "记录")
    table = [head] + [(r.brigade, str(r.units), str(r.drawn), str(r.teams), r.status,
                       str(root / r.record) if r.record else "") for r in summary.rows]
    widths = [max(_width(row[i]) for row in table) for i in range(len(head))]
    for row in table:
        lines.append("  ".join(_pad(cell, widths[i]) for i, cell in enumerate(row)).rstrip())
    for r in summary.rows:
        if r.error:
            lines.append(f"✘ {r.brigade}：{r.error}")
    done = sum(1 for r in summary.rows if r.status != "失败")
    lines.append(f"共 {len(summary.rows)} 个大队，{done} 个完成，{len(summary.rows) - done} 个失败。")
    lines.append(_head_line(summary))
    return "\n".join(lines)


def _head_line(summary) -> str:
    """The ledger head to publish (e.g. on the website beside the notice): later truncation is then detectable."""
    if summary.ledger_head is None:
        return "账本为空"
    seq, digest = summary.ledger_head
    return f"账本头（请公布）：{seq}:{digest}　核对：dsr ledger verify --head {seq}:{digest}"
