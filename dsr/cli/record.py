"""`dsr verify PATH` (signatures, attachments, re-run of the draw) and `dsr keys init` (demo test identity)."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
from pathlib import Path

from dsr.errors import UsageError

DEFAULT_KEYS = Path("keys")


def register(subparsers) -> None:
    """Add the `verify` and `keys` subcommands."""
    p = subparsers.add_parser("verify", help="核验抽查记录：签名、附件哈希，并重新抽取逐项比对（无需 Jupyter）")
    p.add_argument("path", type=Path, metavar="PATH", help="记录的 PDF、HTML 或记录文件夹")
    p.add_argument("--trust", type=Path, action="append", default=[], metavar="CA.pem",
                   help="信任的根证书（可多次给出）；不给则使用 keys/ 下的测试根证书并注明")
    p.set_defaults(func=run_verify)
    k = subparsers.add_parser("keys", help="签名证书（演示用测试证书）")
    ksub = k.add_subparsers(dest="keys_command", metavar="ACTION")
    init = ksub.add_parser("init", help="如不存在，则创建测试根证书、支队测试签名证书和见证人测试证书")
    init.add_argument("--dir", type=Path, default=DEFAULT_KEYS, help="存放位置（默认 %(default)s，不入 git）")
    init.set_defaults(func=run_keys_init)


def _roots(paths: list[Path]) -> tuple[tuple, list[str]]:
    from dsr.record.sign import TEST_CA_FILE, load_trust_roots

    notes = []
    if not paths:
        test_ca = DEFAULT_KEYS / TEST_CA_FILE
        if not test_ca.is_file():
            raise UsageError("未指定信任根证书：请用 --trust CA.pem 给出支队公布的根证书")
        paths = [test_ca]
        notes.append(f"⚠ 未指定 --trust，使用测试根证书 {test_ca}（测试，不具法律效力）")
    for path in paths:
        if not path.is_file():
            raise UsageError(f"找不到信任根证书 {path}")
    try:
        return load_trust_roots(paths), notes
    except ValueError as exc:
        raise UsageError(f"信任根证书无法读取：{exc}") from exc


def run_verify(args: argparse.Namespace) -> int:
    """Print one line per check; exit 0 if all pass, 1 if any fails."""
    from dsr.record.verify import verify_path

    for name in ("pyhanko", "pyhanko_certvalidator", "pypdf"):  # their tracebacks would drown the check lines
        logging.getLogger(name).setLevel(logging.CRITICAL)
    if not args.path.exists():
        raise UsageError(f"找不到 {args.path}")
    roots, notes = _roots(args.trust)
    for note in notes:
        print(note)
    result = verify_path(args.path, roots)
    for check in result.checks:
        print(check.line())
    failed = sum(not c.ok for c in result.checks)
    print("核验通过：全部 {} 项检查均通过".format(len(result.checks)) if result.ok
          else f"核验失败：{failed} 项检查未通过")
    return 0 if result.ok else 1


def run_keys_init(args: argparse.Namespace) -> int:
    """Create the demo test CA and identities if missing; print where they are."""
    from dsr.record.sign import ensure_test_keys

    keys = ensure_test_keys(args.dir, dt.datetime.now(dt.timezone.utc))
    state = "已创建" if keys.created else "已存在"
    print(f"测试证书{state}（仅供演示，不具法律效力）：")
    print(f"  根证书（供 dsr verify --trust 使用）：{keys.ca_pem}")
    print(f"  支队测试签名证书：{keys.signer_p12}")
    print(f"  见证人测试证书：{keys.witness_p12}")
    print(f"  口令：{keys.passphrase}")
    return 0
