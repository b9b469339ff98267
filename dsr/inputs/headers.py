"""Header row ▶ columns of an input: exact names, aliases (with a warning), near misses suggested."""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass

from dsr.errors import Problem
from dsr.inputs import schema
from dsr.inputs.normalize import cell_text

_SPACE = re.compile(r"\s+")
_HEADER_SCAN = 20  # rows searched for a misplaced header row


def fold(header: str) -> str:
    """A header for comparison: NFKC (（→( ), no spaces at all."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", header))


def _lookup(sheet: schema.Sheet) -> dict[str, tuple[schema.Column, bool]]:
    table: dict[str, tuple[schema.Column, bool]] = {}
    for col in sheet.columns:
        for alias in col.aliases:
            table.setdefault(fold(alias), (col, True))
    for col in sheet.columns:  # standard names win over another column's alias
        table[fold(col.header)] = (col, False)
    return table


@dataclass(frozen=True)
class Layout:
    """Where each field of an input sits: field ▶ (0-based column index, header as written)."""

    sheet: schema.Sheet
    positions: dict[str, tuple[int, str]]

    def header_of(self, index: int) -> str | None:
        """The header as written above a 0-based column index, if that column is used."""
        for pos, written in self.positions.values():
            if pos == index:
                return written
        return None


def score(sheet: schema.Sheet, headers: list) -> int:
    """How many cells of a row name a column of `sheet` (exactly or by alias)."""
    lookup = _lookup(sheet)
    return len({lookup[fold(cell_text(h))][0].field for h in headers if fold(cell_text(h)) in lookup})


def guess_kind(headers: list) -> schema.Sheet | None:
    """The input whose columns this header row names best (at least half its required ones)."""
    best = max(schema.SHEETS.values(), key=lambda s: (score(s, headers), -len(s.columns)))
    required = sum(1 for c in best.columns if c.required)
    return best if score(best, headers) * 2 >= required else None


def misplaced_header(sheet: schema.Sheet, rows: list[list]) -> int | None:
    """Excel row number (>1) of a row that looks like `sheet`'s header row, if row 1 does not."""
    required = sum(1 for c in sheet.columns if c.required)
    for number, row in enumerate(rows[1:_HEADER_SCAN], 2):
        if score(sheet, row) * 2 >= required:
            return number
    return None


def match(sheet: schema.Sheet, headers: list, where: dict) -> tuple[Layout, list[Problem]]:
    """Map header cells to columns; every missing, duplicate, aliased or unknown header reported."""
    lookup = _lookup(sheet)
    positions: dict[str, tuple[int, str]] = {}
    problems: list[Problem] = []
    unknown: list[tuple[int, str]] = []
    for index, raw in enumerate(headers):
        written = cell_text(raw)
        if not written:
            continue
        hit = lookup.get(fold(written))
        if hit is None:
            unknown.append((index, written))
            continue
        col, is_alias = hit
        if col.field in positions:
            first = positions[col.field][1]
            problems.append(Problem(**where, row=1, column=written, message=f"与列「{first}」重复，同一列只能出现一次",
                                    expected=f"只保留一列「{col.header}」"))
            continue
        positions[col.field] = (index, written)
        if is_alias:
            problems.append(Problem(**where, row=1, column=written, severity="warning",
                                    message=f"不是标准列名，已按「{col.header}」读取",
                                    expected=f"列名改为「{col.header}」"))
    problems += _missing(sheet, positions, unknown, where)
    problems += _unknown(sheet, positions, unknown, where)
    return Layout(sheet, positions), problems


def _near(name: str, candidates: list[str]) -> str | None:
    folded = {fold(c): c for c in candidates}
    hit = difflib.get_close_matches(fold(name), list(folded), n=1, cutoff=0.5)
    return folded[hit[0]] if hit else None


def _missing(sheet, positions, unknown, where) -> list[Problem]:
    problems = []
    names = [w for _, w in unknown]
    for col in sheet.columns:
        if col.required and col.field not in positions:
            near = _near(col.header, names)
            hint = f"；表头中的「{near}」是否即为此列？" if near else ""
            problems.append(Problem(**where, row=1, column=col.header, message=f"缺少必填列{hint}",
                                    expected=f"第 1 行有一列名为「{col.header}」"))
    return problems


def _unknown(sheet, positions, unknown, where) -> list[Problem]:
    problems = []
    missing = [c.header for c in sheet.columns if c.field not in positions]
    required_missing = {c.header for c in sheet.columns if c.required and c.field not in positions}
    for _, written in unknown:
        near = _near(written, missing)
        if near in required_missing:
            continue  # already named in the missing-column error
        hint = f"；是否应为「{near}」？" if near else ""
        problems.append(Problem(**where, row=1, column=written, severity="warning", message=f"不是本表的列，已忽略{hint}",
                                expected="、".join(c.header for c in sheet.columns)))
    return problems
