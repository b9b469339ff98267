"""The `dsr` command: thin subcommands that validate paths, call one library function each,
and turn DsrError into a clean message and exit status (0 ok, 1 refused input, 2 usage)."""

from __future__ import annotations

import argparse
import gc
import importlib
import sys

from dsr.errors import DsrError

# Subcommand modules; each defines register(subparsers) and sets `func` on its parser.
COMMANDS = (
    "dsr.cli.check",
    "dsr.cli.template",
    "dsr.cli.draw",
    "dsr.cli.record",
    "dsr.cli.archive",
    "dsr.cli.batch",
    "dsr.cli.publish",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dsr", description="双随机、一公开 消防监督抽查：可验证的随机抽取")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # that part is not built yet
                continue
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.func(args) or 0)
    except DsrError as exc:
        print(f"dsr {args.command}: {exc}", file=sys.stderr)
        return exc.exit_code
    finally:
        if argv is None:
            # The console command is about to exit: spare the interpreter's teardown a collection over everything
            # the command loaded (WeasyPrint, pyHanko, a draw's units): 0.3-1.2 s of a record or verify run.
            # Only for the real command line, never when called in-process (tests), where it would pin memory.
            gc.freeze()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
