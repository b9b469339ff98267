"""Rows of one input ▶ frozen values of dsr.core.model, each bad cell reported with row and column."""

from __future__ import annotations

import datetime as dt
import difflib
import itertools
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import compress, count, repeat, zip_longest
from operator import add, is_, ne, sub
from typing import NamedTuple

from dsr.errors import Problem
from dsr.inputs import normalize as nz
from dsr.inputs import schema
from dsr.inputs.detachment import Detachment
from dsr.inputs.headers import Layout

DETACHMENT_UNIT = "支队"
# Credit-code columns: spaces and hyphens inside are dropped (item and certificate codes keep hyphens).
_UNIT_KEY_COLUMNS = (("units", "code"), ("conflicts", "unit_key"), ("exclusions", "unit_key"))
_EXACT_DIGITS = 15  # a double holds at most 15 significant digits exactly


class Located(NamedTuple):
    """A value and where it came from, for messages about duplicates and references."""

    value: object
    file: str
    sheet: str | None
    row: int


@dataclass
class Context:
    """What one file's rows are read against, and where its problems are collected."""

    file: str
    sheet: str | None
    detachment: Detachment
    on: dt.date
    formula_fields: frozenset[tuple[int, str]] = frozenset()  # (Excel row, field) already reported as formulas
    formula_source: Callable[[], frozenset[tuple[int, str]]] | None = None  # refreshes formula_fields per chunk
    problems: list[Problem] = field(default_factory=list)
    parsers: dict[str, Callable] = field(default_factory=dict)  # field ▶ its remembered parser (see `_memo`)
    quiet: dict[str, dict] = field(default_factory=dict)  # field ▶ value ▶ what `_quiet` made of it
    distinct: set[str] = field(default_factory=set)  # text fields whose values hardly repeat (not shared)
    # fields whose values are only checked, not kept (`dsr check`): a cell that needs no message may keep its raw
    # value, and a column whose every cell is plainly good is not converted at all
    unused: frozenset[str] = frozenset()
    errors: int = 0  # problems of severity "error" so far; tells a builder whether its row failed

    def add(self, row: int, column: str | None, value: object, message: str, expected: str | None = None,
            severity: str = "error") -> None:
        """Record one problem of this file."""
        shown = None if value is None else nz.cell_text(value)
        self.errors += severity == "error"
        self.problems.append(Problem(self.file, message, self.sheet, row, column, shown, expected, severity))


_MISSING = object()  # a cell that failed; its row is not built
_SLOW = object()  # a cell the fast path leaves to `_cell`
_BOOL = {"是": True, "否": False}
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")  # C0 controls and DEL; tab and line breaks allowed
_TRIM = nz.TRIM
_TRIM_CLASS = "[" + re.escape(nz.TRIM) + "]"
# In a column joined with \x00 (and one more at each end): a cell that starts or ends with a character `clean`
# would remove. The pattern starts with a literal, so the search jumps from separator to separator.
_UNTRIMMED = re.compile(f"\x00(?:{_TRIM_CLASS}|(?<={_TRIM_CLASS}\x00))")
_CONTROL_BUT_NUL = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]")  # NUL is the separator of a joined column
# A joined column (NUL before, between and after the cells) whose every cell is non-empty ASCII letters and digits
# (what str.isascii() and str.isalnum() accept), or ASCII digits (str.isascii() and str.isdigit()).
_ASCII_ALNUM_CELLS = re.compile("\x00(?:[0-9A-Za-z]+\x00)*")
_ASCII_DIGIT_CELLS = re.compile("\x00(?:[0-9]+\x00)*")


def _parser(kind: str, col: schema.Column) -> Callable[[object], tuple[object, str | None, str | None]]:
    """A function raw cell ▶ (value, message, expected); message None when the cell is fine."""
    if col.kind == schema.CODE:
        drop = (kind, col.field) in _UNIT_KEY_COLUMNS
        return lambda raw: _code(raw, drop)
    if col.kind == schema.ENUM:
        return lambda raw: _enum(raw, col.choices)
    if col.kind == schema.BOOL:
        return lambda raw: _typed(nz.parse_bool(raw), bool, "是 或 否（也接受 Y/N、√/×）")
    if col.kind == schema.DATE:
        return lambda raw: _typed(nz.parse_date(raw), dt.date, nz.DATE_EXPECTED)
    if col.kind == schema.INT:
        return lambda raw: _typed(nz.parse_int(raw), int, "整数，如 5")
    if col.kind == schema.DECIMAL:
        return lambda raw: _decimal(raw)
    if col.kind == schema.MULTI:
        return lambda raw: _multi(raw, col.choices)
    return lambda raw: (raw if raw.__class__ is str else nz.cell_text(raw), None, None)


def _typed(result: object, kind: type, expected: str) -> tuple[object, str | None, str | None]:
    if isinstance(result, str):  # the parsers return a reason instead of a value
        return None, result, expected
    return result, None, None


def _decimal(raw: object) -> tuple[object, str | None, str | None]:
    return _typed(nz.parse_decimal(raw), Decimal, "不小于 0 的数字，如 1200 或 1200.5（不带单位）")


def _code(raw: object, drop_hyphens: bool) -> tuple[object, str | None, str | None]:
    if isinstance(raw, float) and raw == raw and abs(raw) != float("inf") and len(str(int(abs(raw)))) > _EXACT_DIGITS:
        return None, "代码被存成了数字，超过 15 位的部分已丢失", "将该列设为“文本”格式后重新输入代码"
    return nz.code(nz.cell_text(raw), drop_hyphens), None, None


def _enum(raw: object, choices: tuple[str, ...]) -> tuple[object, str | None, str | None]:
    hit = nz.parse_enum(raw, choices)
    if hit is not None:
        return hit, None, None
    near = difflib.get_close_matches(nz.cell_text(raw), choices, n=1, cutoff=0.5)
    hint = f"；是否应为「{near[0]}」？" if near else ""
    return None, f"不是可选值{hint}", "、".join(choices)


def _multi(raw: object, choices: tuple[str, ...]) -> tuple[object, str | None, str | None]:
    parts = nz.split_multi(nz.cell_text(raw))
    bad = [p for p in parts if nz.parse_enum(p, choices) is None]
    if bad:
        return None, f"含有不可选的值「{'、'.join(bad)}」", "、".join(choices) + "（多项用顿号分隔）"
    return tuple(sorted({nz.parse_enum(p, choices) for p in parts})), None, None


def _empty(col: schema.Column) -> object:
    if col.kind == schema.BOOL:
        return False
    if col.kind == schema.MULTI:
        return ()
    return None


_MEMO = 20_000  # distinct values a column's parser remembers
_CHUNK_ROWS = 4096  # rows converted together: column-wise in comprehensions, memory bounded per chunk


def cells(rows: Iterable[list], layout: Layout, ctx: Context) -> Iterable[tuple[int, dict]]:
    """(Excel row, field ▶ parsed value) for every non-blank data row; bad cells become problems."""
    absent = {c.field: _empty(c) for c in layout.sheet.columns if c.field not in layout.positions}
    for numbers, fields, parsed, _bad in chunks(rows, layout, ctx):
        for number, values in zip(numbers, zip(*parsed)):
            record = dict(zip(fields, values))
            record.update(absent)
            yield number, record


def chunks(rows: Iterable[list], layout: Layout, ctx: Context) -> Iterable[tuple[list[int], list[str], list, set]]:
    """Per chunk of rows: (Excel row numbers, fields, one parsed column per field, indices of rows with a bad cell).

    Only non-blank rows are kept. A bad cell holds _MISSING and has left a problem in ctx.
    """
    plan = [(col, *layout.positions[col.field]) for col in layout.sheet.columns if col.field in layout.positions]
    fields = [col.field for col, _, _ in plan]
    width = max(index for _, index, _ in plan) + 1
    # a required text or code column: when every cell of it holds text, no row of the chunk is blank
    witness = next((index for col, index, _ in plan if col.nonempty and col.kind in (schema.TEXT, schema.CODE)), None)
    first = 2
    for chunk in _batches(rows, _CHUNK_ROWS):
        columns = _transpose(chunk, width)
        joined = _joined(columns[witness]) if witness is not None else None
        if _all_filled(joined, len(chunk)):  # the usual chunk: no blank row, found without looking at each row
            numbers, kept = list(range(first, first + len(chunk))), chunk
        else:
            numbers, kept = _non_blank(chunk, first)
            if len(kept) != len(chunk):
                columns, joined = _transpose(kept, width), _UNJOINED
        first += len(chunk)
        if not kept:
            continue
        if ctx.formula_source is not None:  # a streamed sheet: the formulas of these rows are known by now
            ctx.formula_fields = ctx.formula_source()
        bad: set[int] = set()
        parsed = [_column(layout.sheet.kind, col, columns[index], numbers, header, ctx, bad,
                          joined if index == witness else _UNJOINED) for col, index, header in plan]
        yield numbers, fields, parsed, bad


def _transpose(rows: list[list], width: int) -> list[tuple]:
    """The rows' columns (in C), at least `width` of them; short rows (a window of a sheet may end before the last
    column) padded with empty cells."""
    lengths = list(map(len, rows))
    if min(lengths) == max(lengths):
        columns = list(zip(*rows))
    else:
        columns = list(zip_longest(*rows, fillvalue=""))
    if len(columns) < width:
        columns += [("",) * len(rows)] * (width - len(columns))
    return columns


def _joined(raw: tuple) -> str | None:
    """A column's cells joined with NUL before, between and after them (C speed); None unless all are text."""
    try:
        return "\x00" + "\x00".join(raw) + "\x00"
    except TypeError:  # numbers, dates or None in the column
        return None


_UNJOINED = object()  # a column not joined yet


def _all_filled(joined: str | None, n: int) -> bool:
    """True if every cell of a joined column is text that trimming leaves non-empty (and none holds a NUL)."""
    return (joined is not None and "\x00\x00" not in joined and joined.count("\x00") == n + 1
            and not _UNTRIMMED.search(joined))


def _non_blank(chunk: list[list], first: int) -> tuple[list[int], list[list]]:
    """(Excel row numbers, rows) of the rows holding anything but blanks."""
    try:  # cells filled per row, counted in C
        filled = list(map(sub, map(len, chunk), map(add, map(list.count, chunk, repeat("")),
                                                         map(list.count, chunk, repeat(None)))))
    except TypeError:  # a row that is not a list
        filled = [len(row) - row.count("") - row.count(None) for row in chunk]
    if min(filled) > 2:
        return list(range(first, first + len(chunk))), chunk
    numbers, kept = [], []
    for number, row, full in zip(count(first), chunk, filled):
        if full > 2 or full and any(nz.cell_text(c) for c in row if c is not None):
            numbers.append(number)
            kept.append(row)
    return numbers, kept


def _batches(rows: Iterable[list], size: int) -> Iterable[list]:
    iterator = iter(rows)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _column(kind: str, col: schema.Column, raw: tuple, numbers: list[int], header: str, ctx: Context,
            bad: set[int] | None = None, joined: str | None | object = _UNJOINED) -> list:
    """One column of a chunk: a fast comprehension for ordinary cells, `_cell` for the rest.

    Indices of cells that failed (_MISSING) are added to `bad`. `joined` is the column as `_joined` gives it, if
    the caller has it already.
    """
    if col.kind in (schema.ENUM, schema.BOOL):
        return _choice_column(kind, col, raw, numbers, header, ctx, bad)
    if joined is _UNJOINED:
        joined = _joined(raw)
    if (joined is not None and joined.count("\x00") == len(raw) + 1 and not _UNTRIMMED.search(joined)
            and not _CONTROL_BUT_NUL.search(joined)):
        # text cells only, none to trim, no control character (no NUL but the separators): the whole column is
        # judged in C; only the cells it cannot vouch for go through the comprehension of _fast
        vals = list(raw)
        out, sure = _fast_text_column(kind, col, vals, joined, ctx)
        failed = False
    else:
        if joined is None or _UNTRIMMED.search(joined):
            vals = [v.strip(_TRIM) if v.__class__ is str else v for v in raw]
            texts = [v for v in vals if v.__class__ is str]
        else:  # no cell starts or ends with a character to trim: the column is used as read
            vals = texts = list(raw)
        out = _fast(kind, col, vals, col.field in ctx.unused)
        sure = out.__class__ is _Sure  # number cells only, all of them good: nothing left to `_cell`
        failed = bool(_CONTROL.search("\n".join(texts)))  # one C-speed search per column
        if failed:
            _controls(col, vals, out, range(len(vals)), numbers, header, ctx)
    # the cells left to `_cell` (unless the fast path is sure there are none)
    slow = [] if sure else _where(out, _SLOW)
    if slow:
        _slow(kind, col, vals, out, slow, numbers, header, ctx, joined is not None)
    if bad is not None and (slow or failed):  # only _controls and the slow cells can fail
        bad.update(_where(out, _MISSING))
    return out


def _choice_column(kind: str, col: schema.Column, raw: tuple, numbers: list[int], header: str, ctx: Context,
                   bad: set[int] | None) -> list:
    """An enumeration or 是/否 column: each cell that is exactly a choice (or empty, in an optional column) is
    looked up in C; only the others (to trim, another spelling, a control character, ...) go further. A choice
    holds no control character and nothing to trim, so the column need not be searched for them."""
    blank = _empty(col) if not col.nonempty and not col.warn_empty else _SLOW  # what an empty cell becomes
    if col.field in ctx.unused:  # only checked: every cell a choice (or empty where it may be) is left as it is
        valid = {*(_BOOL if col.kind == schema.BOOL else col.choices), *(("",) if blank is not _SLOW else ())}
        if valid.issuperset(raw):
            return list(raw)
    table = dict(_BOOL) if col.kind == schema.BOOL else {c: c for c in col.choices}  # one shared string a choice
    table[""] = blank
    out = list(map(table.get, raw, repeat(_SLOW)))
    if _SLOW not in out:
        return out
    slow = _where(out, _SLOW)
    vals = list(raw)
    failed = any(v.__class__ is str and _CONTROL.search(v) for v in map(vals.__getitem__, slow))
    if failed:
        _controls(col, vals, out, slow, numbers, header, ctx)
        slow = [i for i in slow if out[i] is _SLOW]
    if slow:
        _slow(kind, col, vals, out, slow, numbers, header, ctx, False)
    if bad is not None:
        bad.update(_where(out, _MISSING))
    return out


def _where(values: list, marker: object) -> list[int]:
    """Indices of `marker` in `values` (found by identity, in C; the usual column holds none)."""
    if marker not in values:
        return []
    return list(compress(count(), map(is_, values, repeat(marker))))


def _slow(kind: str, col: schema.Column, vals: list, out: list, slow: list[int], numbers: list[int], header: str,
          ctx: Context, texts_only: bool) -> None:
    """The cells the fast path left: one by one in a column with formula cells, else each distinct value once."""
    formulas = ctx.formula_fields
    if formulas and any(field == col.field for _, field in formulas):
        _slow_cells(kind, col, vals, out, slow, numbers, header, ctx)
    else:
        _slow_values(kind, col, vals, out, slow, numbers, header, ctx, texts_only)


def _slow_values(kind: str, col: schema.Column, vals: list, out: list, slow: list[int], numbers: list[int],
                 header: str, ctx: Context, texts_only: bool) -> None:
    """The cells the fast path left, in a column without formulas: each distinct value judged once.

    A value that needs no message takes the value `_cell` would give; the others go through `_cell`, in row order.
    """
    parse = ctx.parsers.get(col.field) or ctx.parsers.setdefault(col.field, _memo(_parser(kind, col)))
    raws = vals if len(slow) == len(vals) else list(map(vals.__getitem__, slow))
    keys = raws if texts_only else [(raw.__class__, raw) for raw in raws]  # as _memo keys them
    # each distinct key's outcome, kept across the chunks of the file (at most _MEMO keys: then it starts over)
    quiet = ctx.quiet.get(col.field)
    if quiet is None:
        quiet = ctx.quiet[col.field] = {}
    distinct = set(keys)
    new = distinct.difference(quiet)
    if new:
        if len(quiet) + len(new) > _MEMO:
            quiet.clear()
            new = distinct
        for key in new:
            quiet[key] = _quiet(col, key if texts_only else key[1], parse)
    if len(slow) == len(out) and not any(map(is_, map(quiet.__getitem__, distinct), repeat(_SLOW))):
        # every cell needs no message: its value (a column only checked keeps the cells as they are)
        out[:] = raws if col.field in ctx.unused else map(quiet.__getitem__, keys)
        return
    values = list(map(quiet.__getitem__, keys))
    for i, value in zip(slow, values):
        out[i] = value if value is not _SLOW else _cell(col, header, vals[i], parse, numbers[i], ctx)


def _slow_cells(kind: str, col: schema.Column, vals: list, out: list, slow: list[int], numbers: list[int],
                header: str, ctx: Context) -> None:
    """The cells the fast path left, one by one (a column with formula cells)."""
    if not col.nonempty and not col.warn_empty:  # blank optional cells need no message
        empty = _empty(col)
        for i in slow:
            if vals[i] == "" or vals[i] is None:
                out[i] = empty
    parse = _memo(_parser(kind, col))
    for i in slow:
        if out[i] is not _SLOW:
            continue
        if (numbers[i], col.field) in ctx.formula_fields:
            out[i] = _MISSING  # reported once, as a formula; its cached value means nothing
            continue
        out[i] = _cell(col, header, vals[i], parse, numbers[i], ctx)


def _controls(col: schema.Column, vals: list, out: list, which: Iterable[int], numbers: list[int], header: str,
              ctx: Context) -> None:
    """Refuse cells holding C0 control characters: they break XML outputs and can drive a terminal."""
    for i in which:
        v = vals[i]
        if v.__class__ is str and _CONTROL.search(v):
            shown = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", v)
            ctx.add(numbers[i], header, shown, "含有不可见的控制字符（多为从其他系统复制时带入）", "删除这些字符后重新填写")
            out[i] = _MISSING


def _memo(parse: Callable) -> Callable:
    """`parse` remembered per distinct value: enumerations and lists repeat a lot, within a chunk and across the
    chunks of a file (a column's parser is kept in its Context). At most _MEMO values are kept: then it starts over."""
    seen: dict = {}

    def parse_once(raw: object) -> tuple[object, str | None, str | None]:
        key = (raw.__class__, raw)
        if key not in seen:
            if len(seen) >= _MEMO:
                seen.clear()
            seen[key] = parse(raw)
        return seen[key]

    return parse_once


def _fast_text_column(kind: str, col: schema.Column, vals: list, joined: str, ctx: Context) -> tuple[list, bool]:
    """_fast for a column of text cells that holds no NUL, joined with NUL separators (and one at each end).

    The same values as _fast, found with C-speed searches of the joined column and C-level maps where possible;
    an empty cell of an optional column already takes its empty value here. Also says whether it is sure that no
    cell is left to `_cell` (else the caller looks for them).
    """
    blank = _empty(col) if not col.nonempty and not col.warn_empty else _SLOW  # what an empty cell becomes
    if col.kind == schema.TEXT and "\x00=" not in joined:
        empty = "\x00\x00" in joined
        if not empty and col.field in ctx.distinct:  # texts that hardly repeat (names, addresses): as they are
            return vals, True
        if col.field in ctx.unused and (not empty or blank is not _SLOW):  # only checked: nothing to share
            return vals, True
        share = {"": blank}.setdefault  # equal texts in a chunk (登记机关, 行业, …) become one object
        out = list(map(share, vals, vals))
        if len(vals) >= _DISTINCT_SAMPLE and share.__self__.__len__() > 0.9 * len(vals):
            ctx.distinct.add(col.field)  # sharing saved nothing here: later chunks of the file skip it
        return out, not empty or blank is not _SLOW
    if col.kind == schema.CODE and _ASCII_ALNUM_CELLS.fullmatch(joined):
        return (joined[1:-1].upper().split("\x00") if vals else []), True
    if col.kind == schema.DECIMAL and _ASCII_DIGIT_CELLS.fullmatch(joined):
        return list(map(Decimal, vals)), True
    if col.kind == schema.DATE:
        return [_SLOW] * len(vals), False  # text, not a date cell
    return _fast(kind, col, vals, col.field in ctx.unused), False


_DISTINCT_SAMPLE = 1024  # a chunk this long tells whether a text column's values repeat


def _fast(kind: str, col: schema.Column, vals: list, unused: bool = False) -> list:
    """Ordinary values converted in one comprehension; _SLOW marks cells needing `_cell`. A column whose values
    are `unused` (only checked) is not converted where `_Sure` can vouch for every cell."""
    if col.kind == schema.TEXT:
        share = {}.setdefault  # equal texts in a chunk (登记机关, 行业, …) become one object
        return [share(v, v) if v.__class__ is str and v and v[0] != "=" else _SLOW for v in vals]
    if col.kind == schema.CODE:
        return [v.upper() if v.__class__ is str and v.isascii() and v.isalnum() else _SLOW for v in vals]
    if col.kind == schema.DECIMAL:  # digits as text, or a number cell: parse_decimal reads a float's repr
        if vals and all(map(isinstance, vals, _FLOAT)) and not any(map(ne, vals, vals)) and min(vals) >= 0.0 \
                and max(vals) < _INF:  # number cells only, none negative, infinite or NaN (NaN != NaN): in C
            return _Sure(vals if unused else map(Decimal, map(repr, vals)))
        return [Decimal(v) if v.__class__ is str and v.isascii() and v.isdigit() else
                Decimal(repr(v)) if v.__class__ is float and 0.0 <= v < _INF else _SLOW for v in vals]
    if col.kind == schema.DATE:
        return [v if v.__class__ is dt.date else _SLOW for v in vals]
    return [_SLOW] * len(vals)


_INF = float("inf")


class _Sure(list):
    """A column `_fast` converted whole: no cell is left to `_cell`."""
_FLOAT = repeat(float)


_UNSEEN = object()


def _quiet(col: schema.Column, raw: object, parse: Callable) -> object:
    """What `_cell` returns for `raw` if it records no problem for it, else _SLOW (then `_cell` must run).

    It does what `_cell` does, minus the recording: the outcome depends on the value alone, not on its row.
    """
    if raw.__class__ is str:
        raw = nz.clean(raw)
        if raw[:1] == "=":
            return _SLOW
    if raw == "" or raw is None:
        return _SLOW if col.nonempty or col.warn_empty else _empty(col)
    value, message, _expected = parse(raw)
    return _SLOW if message else value


def _cell(col, header, raw, parse, number, ctx) -> object:
    if raw.__class__ is str:
        raw = nz.clean(raw)
        if raw[:1] == "=":
            ctx.add(number, header, raw, "以“=”开头，会被当作公式", "纯文本或数值，不要以 = 开头")
            return _MISSING
    if raw == "" or raw is None:
        if col.nonempty:
            ctx.add(number, header, None, "必填，不能为空", col.hint or None)
            return _MISSING
        if col.warn_empty:
            ctx.add(number, header, None, "未填写", col.hint or None, severity="warning")
        return _empty(col)
    value, message, expected = parse(raw)
    if message:
        ctx.add(number, header, raw, message, expected)
        return _MISSING
    return value


def complete(values: dict) -> bool:
    """True if every cell of the row parsed (no problem was recorded for it)."""
    return not any(v is _MISSING for v in values.values())
