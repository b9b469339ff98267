"""`dsr rfc3797`, `dsr commit` and `dsr draw`: the ceremony on the command line, one library call each."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from dsr.announce import load_entropy, load_sources
from dsr.core import commitment as cm
from dsr.core import entropy
from dsr.core.rfc3797 import rfc3797_entropy_needed, rfc3797_key, rfc3797_trace
from dsr.ceremony.service import (
    COMMITMENT_FILE, COMMITMENT_HASH_FILE, commit_files, draw_file, draw_files, prepare_brigades,
    read_commitment,
)
from dsr.errors import DrawError

DEFAULT_PARAMS = Path("params/detachment.yaml")


def register(subparsers) -> None:
    """Add the `rfc3797`, `commit` and `draw` subcommands."""
    _register_rfc3797(subparsers)
    _register_commit(subparsers)
    _register_draw(subparsers)


def _register_rfc3797(subparsers) -> None:
    p = subparsers.add_parser("rfc3797", help="按 RFC 3797 从 1..P 中抽取 K 个序号（兼容 IETF NomCom 抽取）")
    p.add_argument("--pool", type=int, required=True, metavar="P", help="名单人数 P（≤ 65535）")
    p.add_argument("--select", type=int, required=True, metavar="K", help="抽取个数 K")
    p.add_argument("--trace", action="store_true", help="同时输出 RFC 3797 §6 式的计算表（到标准错误）")
    p.add_argument("sources", nargs="+", metavar="SOURCE", help="一个熵源的全部取值，以逗号分隔，如 2,5,12,8,10")
    p.set_defaults(func=run_rfc3797)


def _inputs_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--inputs", nargs="+", type=Path, required=True, metavar="FILE", help="一单两库等输入文件")
    p.add_argument("--rules", nargs="+", type=Path, required=True, metavar="RULES", help="各大队的抽查工作细则 YAML")
    p.add_argument("--params", type=Path, default=DEFAULT_PARAMS, help="支队与大队参数（默认 %(default)s）")
    p.add_argument("--out", type=Path, required=True, metavar="DIR", help="输出文件夹（已有同名文件则拒绝）")


def _register_commit(subparsers) -> None:
    p = subparsers.add_parser("commit", help="在产生任何随机数之前，冻结输入并写出承诺（commitment.json）")
    _inputs_args(p)
    p.add_argument("--sources", type=Path, required=True, metavar="SOURCES.yaml", help="熵源声明文件")
    p.add_argument("--ceremony-id", required=True, metavar="ID", help="仪式编号，如 AY-2026-12")
    p.add_argument("--created-at", required=True, metavar="ISO", help="承诺时间，带时区，如 2026-11-27T09:00:00+08:00")
    p.add_argument("--inspection-date", type=_date, required=True, metavar="YYYY-MM-DD", help="检查日期")
    p.add_argument("--operator", required=True, metavar="NAME", help="操作员")
    p.add_argument("--notes", default="", help="备注")
    p.set_defaults(func=run_commit)


def _register_draw(subparsers) -> None:
    p = subparsers.add_parser("draw", help="核对输入与承诺、接受熵值、导出种子并为各大队抽取")
    _inputs_args(p)
    p.add_argument("--commitment", type=Path, required=True, metavar="commitment.json", help="dsr commit 写出的承诺")
    p.add_argument("--entropy", type=Path, required=True, metavar="ENTROPY.yaml", help="摇号现场读出的熵值")
    p.set_defaults(func=run_draw)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"日期应为 YYYY-MM-DD：{text}") from exc


# ---------------------------------------------------------------- rfc3797


def run_rfc3797(args: argparse.Namespace) -> int:
    """Print the selected 1-based positions, one per line, in order of selection."""
    try:
        key = rfc3797_key([s.split(",") for s in args.sources])
        steps = rfc3797_trace(args.pool, args.select, key)
    except ValueError as exc:
        raise DrawError(str(exc)) from None
    if args.trace:
        _print_trace(args.pool, args.select, key, steps)
    for step in steps:
        print(step.selected)
    return 0


def _print_trace(pool: int, k: int, key: str, steps) -> None:
    import sys

    print(f"key: {key}", file=sys.stderr)
    print(f"approximately {rfc3797_entropy_needed(pool, k):.1f} bits of entropy needed", file=sys.stderr)
    print("index        hex value of MD5        div  selected", file=sys.stderr)
    for s in steps:
        print(f"{s.index:3d}  {s.digest}  {s.divisor:3d}  -> {s.selected:2d} <-", file=sys.stderr)


def run_commit(args: argparse.Namespace) -> int:
    """Freeze inputs and rules, check the announced sources, write the commitment."""
    sources = load_sources(args.sources)
    brigades = prepare_brigades(args.inputs, args.rules, args.params, args.inspection_date)
    detachment = next(iter(brigades.values())).detachment
    c, digest = commit_files(args.out, brigades, sources, args.ceremony_id, args.created_at,
                             args.operator, args.notes, detachment)
    outcome = sum(cm.outcome_log2(e["strata"]) for e in c["brigades"].values())
    print(f"承诺哈希（SHA-256）：{digest}")
    print(f"熵源共 {entropy.entropy_bits(sources):.1f} 比特；本批抽取需要 {entropy.required_bits(outcome):.1f} 比特。")
    for b, e in c["brigades"].items():
        print(f"{b}：{sum(s['N'] for s in e['strata'])} 家中抽取 {sum(s['n'] for s in e['strata'])} 家")
    print(f"已写入 {args.out}：{COMMITMENT_FILE}、{COMMITMENT_HASH_FILE} 及 {len(brigades)} 个冻结输入文件")
    return 0


# ---------------------------------------------------------------- draw


def run_draw(args: argparse.Namespace) -> int:
    """Check inputs against the commitment, accept the entropy, draw and write each brigade's result."""
    c, documents = read_commitment(args.commitment)
    readings = load_entropy(args.entropy, entropy.sources_from_plain(c["entropy"]["sources"]))
    if readings.ceremony_id is not None and readings.ceremony_id != c["ceremony_id"]:
        raise DrawError(f"熵值文件属于仪式「{readings.ceremony_id}」，承诺属于仪式「{c['ceremony_id']}」")
    dates = {b: dt.date.fromisoformat(e["inspection_date"]) for b, e in c["brigades"].items()}
    presented = prepare_brigades(args.inputs, args.rules, args.params, dates)
    ceremony = draw_files(args.out, c, presented, readings.values, readings.fallbacks, documents)
    print(f"规范熵串：{ceremony.canonical_entropy}")
    print(f"种子：{ceremony.seed.hex()}")
    for brigade, result in ceremony.results:
        drawn = sum(1 for u in result.units if u.status == "drawn")
        print(f"{brigade}：抽中 {drawn} 家 ▶ {args.out / draw_file(brigade)}")
    return 0

