"""`dsr ledger verify|show` and `dsr void`: thin commands over dsr.archive."""

from __future__ import annotations

import argparse
import datetime as dt
import re
from pathlib import Path

from dsr.archive import LEDGER_NAME, Event, Ledger
from dsr.errors import UsageError

DEFAULT_ROOT = "outputs"


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `ledger` (with `verify` and `show`) and `void`."""
    ledger = subparsers.add_parser("ledger", help="账本：校验哈希链与档案文件、列出事件")
    sub = ledger.add_subparsers(dest="ledger_command", metavar="{verify,show}")
    verify = sub.add_parser("verify", help="校验账本哈希链及其所列的每个文件")
    _root_option(verify)
    verify.add_argument("--head", help="已公布的账本头，格式 SEQ:哈希；用于发现末尾记录被删除")
    verify.set_defaults(func=run_verify)
    show = sub.add_parser("show", help="逐条列出账本事件")
    _root_option(show)
    show.set_defaults(func=run_show)
    ledger.set_defaults(func=_ledger_help(ledger))
    void = subparsers.add_parser("void", help="作废一次抽取（必须注明理由）")
    _root_option(void)
    void.add_argument("--commitment", required=True, help="承诺哈希（64 位十六进制）")
    void.add_argument("--brigade", required=True, help="大队名称")
    void.add_argument("--reason", help="作废理由（必填，将显示在下一份抽取记录中）")
    void.set_defaults(func=run_void)


def _root_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--root", default=DEFAULT_ROOT, type=Path, help="档案根目录（默认 outputs）")


def _ledger_help(parser: argparse.ArgumentParser):
    def show_help(_args: argparse.Namespace) -> int:
        parser.print_help()
        return 2

    return show_help


def _open(root: Path) -> Ledger:
    return Ledger(root / LEDGER_NAME, root, create=False)


def _parse_head(text: str | None) -> tuple[int, str] | None:
    if text is None:
        return None
    match = re.fullmatch(r"(\d+):([0-9a-f]{64})", text.strip())
    if match is None:
        raise UsageError(f"--head 格式不符：「{text}」（应为 SEQ:64 位小写十六进制哈希）")
    return int(match.group(1)), match.group(2)


def run_verify(args: argparse.Namespace) -> int:
    """Print one line per check; exit 1 naming the first bad row when any fails."""
    head = _parse_head(args.head)
    with _open(args.root) as ledger:
        result = ledger.verify(args.root, expect_head=head)
    for check in result.checks:
        print(f"[{'通过' if check.ok else '失败'}] {check.name}：{check.detail}")
    if result.ok:
        tail = f"，账本头 seq={result.head[0]} {result.head[1]}" if result.head else ""
        print(f"账本校验通过：共 {result.rows} 条记录{tail}")
        return 0
    print(f"账本校验未通过：{result.first_bad}")
    return 1


def _summary(event: Event) -> str:
    if event.kind == "void":
        return f"作废 seq={event.payload.get('voided_seq')}，理由：{event.payload.get('reason')}"
    if event.kind == "draw":
        return f"抽中 {len(event.payload.get('units', []))} 个单位，日期 {event.payload.get('date')}"
    if event.kind == "commit":
        return f"承诺 {event.commitment_hash}"
    if event.files:
        return f"{len(event.files)} 个文件"
    state = event.payload.get("state") if isinstance(event.payload, dict) else None
    return f"状态 {state}" if state else ""


def run_show(args: argparse.Namespace) -> int:
    """List every event, oldest first, then the head to publish."""
    with _open(args.root) as ledger:
        events = ledger.events()
        head = ledger.head()
    print("\t".join(("序号", "时间", "类型", "大队", "抽取编号", "摘要", "行哈希（前 16 位）")))
    for e in events:  # tab-separated so the listing can be pasted into a spreadsheet or cut(1)
        cols = [str(e.seq), e.at, e.kind, e.brigade or "-", e.draw_id or "-", _summary(e), e.row_hash[:16]]
        print("\t".join(cols))
    print(f"账本头：seq={head[0]} {head[1]}" if head else "账本为空")
    return 0


def run_void(args: argparse.Namespace) -> int:
    """Append a void with the operator's reason, stamped with the current local time."""
    at = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    with _open(args.root) as ledger:
        event = ledger.void(args.commitment, args.brigade, args.reason or "", at=at)
    print(
        f"已作废{event.brigade}的抽取 {event.draw_id}（seq={event.payload['voided_seq']}），"
        f"理由：{event.payload['reason']}；账本记录 seq={event.seq}"
    )
    return 0
