"""The one exception tree of dsr: a root, and subclasses by who must act."""

from __future__ import annotations

from dataclasses import dataclass


class DsrError(Exception):
    """Root of every error dsr raises on purpose; the CLI turns it into a message and exit 1."""

    exit_code = 1


@dataclass(frozen=True)
class Problem:
    """One finding about one cell of one input file (Excel numbering: row 1 is the first row)."""

    file: str
    message: str
    sheet: str | None = None
    row: int | None = None
    column: str | None = None
    value: str | None = None
    expected: str | None = None
    severity: str = "error"  # "error" | "warning"

    def render(self) -> str:
        """One line a clerk can act on: 文件、工作表、行、列、值、应为."""
        parts = [f"文件 {self.file}"]
        if self.sheet is not None:
            parts.append(f"工作表 {self.sheet}")
        if self.row is not None:
            parts.append(f"第 {self.row} 行")
        if self.column is not None:
            parts.append(f"列「{self.column}」")
        if self.value is not None:
            parts.append(f"值「{self.value}」")
        where = "，".join(parts)
        text = f"{where}：{self.message}"
        if self.expected:
            text += f"（应为：{self.expected}）"
        return text


class InputError(DsrError):
    """A spreadsheet or CSV the clerk must fix; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]):
        self.problems = tuple(problems)
        errors = [p for p in self.problems if p.severity == "error"]
        head = f"输入有 {len(errors)} 处错误，未写入任何文件："
        super().__init__("\n".join([head, *(p.render() for p in errors)]))


class RulesError(DsrError):
    """A rules (抽查工作细则) YAML file the legal department must fix."""


class DrawError(DsrError):
    """The draw was refused: entropy, commitment mismatch, infeasible strata or teams."""


class CommitmentMismatch(DrawError):
    """Inputs presented at the draw differ from those the commitment froze."""


class RecordError(DsrError):
    """A record cannot be built, rendered, signed or read."""


class SigningKeyError(DsrError):
    """A signing identity (PKCS#12) is unusable: wrong passphrase, expired, wrong usage."""


class ArchiveError(DsrError):
    """The archive or ledger refuses an operation (write-once, double draw, lock held)."""


class UsageError(DsrError):
    """The command line itself is wrong; exit status 2."""

    exit_code = 2
