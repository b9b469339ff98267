"""`dsr rfc3797`, `dsr commit` and `dsr draw`: the ceremony on the command line, one library call each."""

from __future__ import annotations

import argparse
import datetime as dt
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from dsr import __version__
from dsr.announce import load_entropy, load_sources
from dsr.core import commitment as cm
from dsr.core import entropy
from dsr.core.canonical import canonical_bytes
from dsr.core.freeze import build_draw_inputs, frozen_document
from dsr.core.model import DrawInputs
from dsr.core.rfc3797 import rfc3797_entropy_needed, rfc3797_key, rfc3797_trace
from dsr.errors import ArchiveError, DrawError, UsageError

DEFAULT_PARAMS = Path("params/detachment.yaml")
COMMITMENT_FILE = "commitment.json"
COMMITMENT_HASH_FILE = "commitment.sha256"


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


# ---------------------------------------------------------------- shared by commit and draw


def prepare_brigades(
    input_paths: Sequence[Path], rules_paths: Sequence[Path], params: Path,
    dates: Mapping[str, dt.date] | dt.date, history: Sequence = (),
) -> dict[str, DrawInputs]:
    """Read inputs and rules files into each brigade's DrawInputs (`dates`: one date, or per brigade)."""
    from dsr.inputs import load_detachment, read_inputs
    from dsr.rules import load_rules

    if not params.is_file():
        raise UsageError(f"找不到参数文件 {params}（用 --params 指定 detachment.yaml）")
    detachment = load_detachment(params)
    rules_by_brigade: dict[str, Any] = {}
    for path in rules_paths:
        rules = load_rules(path, detachment.brigade_names())
        if rules.brigade in rules_by_brigade:
            raise UsageError(f"大队「{rules.brigade}」给了两个细则文件")
        rules_by_brigade[rules.brigade] = rules
    # a rules file for a brigade the commitment lacks is read on the earliest date; the ceremony refuses it
    per_date = {b: dates if isinstance(dates, dt.date) else dates.get(b, min(dates.values())) for b in rules_by_brigade}
    directories = {d: read_inputs(input_paths, detachment, d).directory for d in sorted(set(per_date.values()))}
    return {
        b: build_draw_inputs(directories[per_date[b]], detachment.name, b, rules, history, per_date[b])
        for b, rules in sorted(rules_by_brigade.items())
    }


def _write_new(files: Mapping[Path, bytes]) -> None:
    """Write every file, refusing (before writing any) if one already exists: outputs are write-once."""
    existing = sorted(str(p) for p in files if p.exists())
    if existing:
        raise ArchiveError(f"输出文件已存在，拒绝覆盖：{'、'.join(existing)}")
    for path, data in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "xb") as handle:
            handle.write(data)


def frozen_file(brigade: str) -> str:
    """File name of a brigade's frozen inputs beside the commitment."""
    return f"inputs-{brigade}.json"


def draw_file(brigade: str) -> str:
    """File name of a brigade's draw result."""
    return f"draw-{brigade}.json"


# ---------------------------------------------------------------- commit


def commit_files(
    out: Path, brigades: Mapping[str, DrawInputs], sources: Sequence[entropy.Source], ceremony_id: str,
    created_at: str, operator: str, notes: str, detachment: str,
) -> tuple[dict[str, Any], str]:
    """Make the commitment and write commitment.json, commitment.sha256 and each frozen inputs file."""
    c = cm.make_commitment(ceremony_id, detachment, brigades, sources, __version__, cm.ALGORITHM,
                           created_at, operator, notes)
    digest = cm.commitment_hash(c)
    files = {out / COMMITMENT_FILE: canonical_bytes(c), out / COMMITMENT_HASH_FILE: f"{digest}  {COMMITMENT_FILE}\n".encode()}
    files |= {out / frozen_file(b): canonical_bytes(frozen_document(i)) for b, i in brigades.items()}
    _write_new(files)
    return c, digest


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


def read_commitment(path: Path) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The commitment (which must be in canonical form) and the frozen inputs files beside it."""
    try:
        raw = path.read_bytes()
        c = json.loads(raw.decode("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DrawError(f"承诺文件 {path.name} 无法读取：{exc}") from None
    if not isinstance(c, dict) or canonical_bytes(c) != raw:
        raise DrawError(f"承诺文件 {path.name} 不是规范 JSON，可能被改动过")
    hash_file = path.parent / COMMITMENT_HASH_FILE
    digest = cm.commitment_hash(c)
    if hash_file.is_file() and hash_file.read_text(encoding="utf-8").split()[:1] != [digest]:
        raise DrawError(f"承诺文件 {path.name} 的哈希与 {COMMITMENT_HASH_FILE} 不符")
    documents = {}
    for brigade in c.get("brigades", {}):
        frozen = path.parent / frozen_file(brigade)
        if frozen.is_file():
            documents[brigade] = json.loads(frozen.read_text(encoding="utf-8"))
    return c, documents


def draw_files(
    out: Path, c: Mapping[str, Any], presented: Mapping[str, DrawInputs], values, fallbacks,
    documents: Mapping[str, Mapping[str, Any]],
) -> cm.Ceremony:
    """Run the ceremony and write draw-<brigade>.json, canonical, for every brigade."""
    ceremony = cm.run_ceremony(c, presented, values, fallbacks, documents, __version__)
    files = {out / draw_file(b): canonical_bytes(cm.draw_document(c, ceremony, b)) for b, _ in ceremony.results}
    _write_new(files)
    return ceremony


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

