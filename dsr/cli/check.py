"""`dsr check INPUT...`: read and check the 一单两库 files; print every problem or a summary; write nothing."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from dsr.errors import InputError, UsageError
from dsr.inputs import check_inputs, load_detachment

DEFAULT_PARAMS = Path("params/detachment.yaml")


def register(subparsers) -> None:
    """Add the `check` subcommand."""
    p = subparsers.add_parser("check", help="检查名录库、事项清单等输入文件（只读，不写任何文件）")
    p.add_argument("inputs", nargs="+", type=Path, metavar="INPUT", help=".xlsx 或 .csv 文件")
    p.add_argument("--params", type=Path, default=DEFAULT_PARAMS, help="支队与大队参数（默认 %(default)s）")
    p.add_argument("--on", type=_date, default=None, metavar="YYYY-MM-DD",
                   help="判断执法证是否过期的参照日期（默认今天）")
    p.set_defaults(func=run)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"日期应为 YYYY-MM-DD：{text}") from exc


def run(args: argparse.Namespace) -> int:
    """Check; exit 0 with a summary, or 1 with every error and warning listed."""
    if not args.params.is_file():
        raise UsageError(f"找不到参数文件 {args.params}（用 --params 指定 detachment.yaml）")
    detachment = load_detachment(args.params)
    on = args.on or dt.date.today()
    try:
        checked = check_inputs(args.inputs, detachment, on)  # units counted, not kept
    except InputError as exc:
        errors = [p for p in exc.problems if p.severity == "error"]
        warnings = [p for p in exc.problems if p.severity != "error"]
        print(f"输入有 {len(errors)} 处错误、{len(warnings)} 处警告，未写入任何文件。", file=sys.stderr)
        _print("错误", errors)
        _print("警告", warnings)
        return 1
    _print("警告", list(checked.warnings))
    print(checked.summary())
    return 0


def _print(label: str, problems: list) -> None:
    for p in problems:
        print(f"{label}：{p.render()}", file=sys.stderr)
