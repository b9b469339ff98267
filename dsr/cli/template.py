"""`dsr template DIR`: write the blank workbooks a brigade hands out; never overwrite."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers) -> None:
    """Add the `template` subcommand."""
    p = subparsers.add_parser("template", help="生成空白填报模板（每种输入一个 .xlsx）")
    p.add_argument("directory", type=Path, metavar="DIR", help="写入模板的目录（已有同名文件则拒绝）")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Write the templates and list them."""
    from dsr.inputs.template import write_templates  # openpyxl is heavy: load it only for this command

    for path in write_templates(args.directory):
        print(path)
    return 0
