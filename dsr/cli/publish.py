"""`dsr results template|import|review`, `dsr publish` and `dsr status`: thin commands over dsr.publish."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from dsr.errors import UsageError
from dsr.inputs import load_detachment
from dsr.publish.workdays import DEFAULT_DUE_WORKDAYS, DEFAULT_SOON_WORKDAYS

DEFAULT_ROOT = Path("outputs")
DEFAULT_PARAMS = Path("params/detachment.yaml")


def _service():
    """dsr.publish.service, loaded only by the command that needs it (openpyxl and friends are slow to import)."""
    from dsr.publish import service

    return service


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `results` (template, import, review), `publish`, `status` and `stats`."""
    results = subparsers.add_parser("results", help="检查结果：生成结果表、导入、审核")
    sub = results.add_subparsers(dest="results_command", metavar="{template,import,review}")
    p = sub.add_parser("template", help="为一次抽查生成预填的检查结果表（.xlsx）")
    _common(p)
    p.add_argument("--out", type=Path, help="输出文件（默认 <抽查编号>-检查结果.xlsx）")
    p.set_defaults(func=run_template)
    p = sub.add_parser("import", help="校验并导入填好的检查结果表，状态记为“已录入”")
    _common(p)
    p.add_argument("file", type=Path, help="填好的检查结果表 .xlsx")
    p.add_argument("--by", required=True, help="录入人")
    p.set_defaults(func=run_import)
    p = sub.add_parser("review", help="审核已录入的检查结果，状态记为“已审核”")
    _common(p)
    p.add_argument("--reviewer", required=True, help="审核人")
    p.add_argument("--unit", action="append", metavar="CODE", help="只审核这些单位（统一社会信用代码，可重复）")
    p.set_defaults(func=run_review)
    results.set_defaults(func=lambda _a: (results.print_help(), 2)[1])

    p = subparsers.add_parser("publish", help="公开已审核的结果，生成公示网站 outputs/public 与信用公示导出")
    p.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="档案根目录（默认 outputs）")
    p.add_argument("--out", type=Path, help="网站输出目录（默认 <档案根目录>/public）")
    p.add_argument("--params", type=Path, default=DEFAULT_PARAMS, help="支队与大队参数（默认 %(default)s）")
    p.add_argument("--draw", action="append", metavar="ID", help="只公开这些抽查的结果（可重复；默认全部）")
    p.add_argument("--by", required=True, help="公开操作人")
    p.add_argument("--skip-unreviewed", action="store_true", help="只公开已审核的结果，跳过尚未审核的")
    p.set_defaults(func=run_publish)

    p = subparsers.add_parser("status", help="列出已超期和即将到期未公开的检查结果")
    p.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="档案根目录（默认 outputs）")
    p.add_argument("--days", type=int, default=DEFAULT_DUE_WORKDAYS, help="检查后多少个工作日内公开（默认 20）")
    p.add_argument("--soon", type=int, default=DEFAULT_SOON_WORKDAYS, help="剩余多少个工作日内算“即将到期”（默认 5）")
    p.add_argument("--today", type=_date, help="按哪一天计算（默认今天）")
    p.set_defaults(func=run_status)

    p = subparsers.add_parser("stats", help="年度统计报告（内部）：覆盖、各类单位比例、结果、隐患、工作量、重复搭档")
    p.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="档案根目录（默认 outputs）")
    p.add_argument("--year", type=int, required=True, help="年份")
    p.add_argument("--out", type=Path, help="输出目录（默认 <档案根目录>/statistics）")
    p.add_argument("--params", type=Path, default=DEFAULT_PARAMS, help="支队与大队参数（默认 %(default)s）")
    p.set_defaults(func=run_stats)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--root", type=Path, default=DEFAULT_ROOT, help="档案根目录（默认 outputs）")
    p.add_argument("--draw", required=True, metavar="ID", help="抽查编号（档案文件夹名）")


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"日期格式应为 YYYY-MM-DD：「{text}」") from None


def _now() -> dt.datetime:
    return dt.datetime.now().astimezone()


def run_template(args: argparse.Namespace) -> int:
    """Write the pre-filled results workbook."""
    out = args.out or Path(f"{args.draw}-检查结果.xlsx")
    if out.suffix.lower() != ".xlsx":
        raise UsageError(f"输出文件应为 .xlsx：{out}")
    service = _service()
    path = service.results_template(args.root, args.draw, out)
    print(f"已生成检查结果表：{path}")
    return 0


def run_import(args: argparse.Namespace) -> int:
    """Check and store a filled workbook."""
    if not args.file.is_file():
        raise UsageError(f"找不到文件：{args.file}")
    service = _service()
    changed, same = service.results_import(args.root, args.draw, args.file, args.by, _now())
    print(f"已导入抽查 {args.draw} 的检查结果：新增或修改 {changed} 条（状态：已录入），未变 {same} 条")
    return 0


def run_review(args: argparse.Namespace) -> int:
    """Mark entered results reviewed."""
    keys = tuple(args.unit) if args.unit else None
    service = _service()
    count = service.results_review(args.root, args.draw, args.reviewer, _now(), keys)
    print(f"已审核抽查 {args.draw} 的检查结果 {count} 条（状态：已审核）")
    return 0


def run_publish(args: argparse.Namespace) -> int:
    """Publish reviewed results and write the site."""
    detachment = load_detachment(args.params)
    agencies = {b.name: b.full_name for b in detachment.brigades}
    out = args.out or args.root / "public"
    service = _service()
    done = service.publish(args.root, out, args.by, _now(), agencies, detachment.name,
                           tuple(args.draw) if args.draw else None, args.skip_unreviewed)
    print(f"本次公开检查结果 {done.marked} 条；公示网站：{done.index}；信用公示导出：{done.credit_csv}、{done.credit_xlsx}")
    return 0


def run_status(args: argparse.Namespace) -> int:
    """Print overdue and soon-due results."""
    if args.days < 1 or args.soon < 0:
        raise UsageError(f"--days 应为正整数、--soon 应为非负整数：--days {args.days} --soon {args.soon}")
    print(_service().status_report(args.root, args.today or dt.date.today(), args.days, args.soon))
    return 0


def run_stats(args: argparse.Namespace) -> int:
    """Write the yearly statistics report."""
    detachment = load_detachment(args.params)
    service = _service()
    path = service.stats_report(args.root, args.year, args.out or args.root / "statistics", detachment.name)
    print(f"已生成 {args.year} 年统计报告：{path}")
    return 0
