"""Parsed rows ▶ Unit, Inspector, Item, Conflict, Exclusion, with the checks that span columns."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Iterable
from typing import NamedTuple
from collections import deque
from itertools import compress, count, repeat
from operator import and_, eq, is_, is_not, itemgetter, mod, truth

from dsr.core import model
from dsr.inputs import normalize as nz
from dsr.inputs import schema, uscc
from dsr.inputs.headers import Layout
from dsr.inputs.rows import DETACHMENT_UNIT, Context, Located, _empty, chunks

_new = object.__new__
KEY_UNIT = model.UNIT_CLASSES[0]  # 消防安全重点单位
_LEGACY_HINT = "正确的统一社会信用代码；如确为校验位不符的合法历史代码，在「历史代码」列填“是”"
_CODE_HINT = "18 位统一社会信用代码（不使用 I、O、S、V、Z），或 15 位工商注册号"


def _header(layout: Layout, name: str) -> str:
    hit = layout.positions.get(name)
    if hit:
        return hit[1]
    return next(c.header for c in layout.sheet.columns if c.field == name)


def build(kind: str, rows: Iterable[list], layout: Layout, ctx: Context, sink=None) -> list[Located]:
    """Every good row of one input as a located value; bad rows leave problems in ctx.

    With a `sink` (a `reader.UnitTally`), good units go to it instead and the list stays empty: per chunk,
    `sink.add(units, file, sheet, rows)` (the good units and their rows, in row order), or, for a chunk whose
    every row is quick (see `_QuickUnits`), `sink.add_columns(keys, brigades, classes, file, sheet, rows)`
    without making the units at all.
    """
    make = _BUILDERS[kind]
    out: list[Located] = []
    if sink is not None and kind == schema.UNITS.kind:  # the tally keeps these fields' values, the rest only checked
        ctx.unused = frozenset(layout.positions).difference(_TALLIED)
    absent = {c.field: _empty(c) for c in layout.sheet.columns if c.field not in layout.positions}
    quick = _QuickUnits(layout, ctx) if kind == schema.UNITS.kind else None
    file, sheet = ctx.file, ctx.sheet
    for numbers, fields, parsed, bad in chunks(rows, layout, ctx):
        if quick:
            decided = quick.decide(numbers, fields, parsed, bad, absent)
            if sink is not None and decided.every:  # dsr check: count the chunk, no unit needed
                sink.add_columns(decided.codes, decided.brigades, decided.column["unit_class"], file, sheet, numbers)
                continue
            ready = quick.units(decided)
        else:
            ready = None
        if ready is not None and not any(map(is_, ready, repeat(None))):  # every row quick: the usual chunk
            good, rows_of = ready, numbers
        else:
            good, rows_of = [], []
            for i, (number, values) in enumerate(zip(numbers, zip(*parsed))):
                if i in bad:
                    continue  # a cell failed: the row is not built (the cell's problem says why)
                if ready is not None and (unit := ready[i]) is not None:
                    good.append(unit)  # a quick row: exactly what _unit would build, silently
                    rows_of.append(number)
                    continue
                record = dict(zip(fields, values))
                record.update(absent)
                before = ctx.errors
                value = make(record, number, layout, ctx)
                if value is not None and ctx.errors == before:
                    good.append(value)
                    rows_of.append(number)
        if sink is not None:
            sink.add(good, file, sheet, rows_of)
        else:  # Located(value, file, sheet, row), made in C
            out.extend(map(tuple.__new__, repeat(Located), zip(good, repeat(file), repeat(sheet), rows_of)))
    return out


# ---------------------------------------------------------------- units


def _unit(v: dict, number: int, layout: Layout, ctx: Context) -> model.Unit | None:
    key = _unit_key(v["code"], v["legacy_code"], number, _header(layout, "code"), ctx)
    brigade = _brigade(v["brigade"], number, _header(layout, "brigade"), ctx, allow_detachment=False)
    _key_category(v, number, layout, ctx)
    if key is None or brigade is None:
        return None
    credit_code, reg_no, legacy = key
    unit = _new(model.Unit)  # the frozen dataclass's __init__ sets each field through object.__setattr__: slow
    unit.__dict__.update(zip(_UNIT_FIELDS, (
        credit_code or reg_no, v["name"], credit_code, reg_no, v["legal_rep"], v["address"], v["reg_authority"],
        brigade, v["unit_class"], v["key_category"], v["crowded"], v["public_gathering"], v["building_category"],
        v["floor_area"], v["scale"], v["facilities"], v["industry"], v["risk"], v["credit"], v["status"], legacy,
    )))  # the same fields in the same order as model.Unit(...) would set them
    return unit


# What a check's tally and the quick-row decision read of a unit row (`_QuickUnits.decide`, `_unit`, `UnitTally`)
_TALLIED = frozenset(("code", "legacy_code", "brigade", "unit_class", "key_category"))
_UNIT_FIELDS = tuple(f.name for f in dataclasses.fields(model.Unit))  # key, name, credit_code, ..., legacy_code
_ALNUM = "[0-9A-HJ-NPQRTUWXY]"  # the credit-code alphabet (uscc.ALPHABET)


class _Decided(NamedTuple):
    """A chunk's quick rows (`ok`, `every` if all are), and the columns their units are made of."""

    ok: list[bool]
    every: bool
    column: dict[str, list]
    codes: list
    brigades: list


class _QuickUnits:
    """Units of the rows that need no message at all, decided column-wise; other rows go through `_unit`.

    A row is quick when its code is a valid 统一社会信用代码 registered in this city and 历史代码 is not 是, its
    管辖单位 names a brigade, and 重点单位类别 agrees with 单位类别. `_unit` would build the same Unit for it and
    record nothing, so skipping it changes neither values nor messages.
    """

    def __init__(self, layout: Layout, ctx: Context) -> None:
        city = ctx.detachment.city_division[:4]
        self.city = city
        # every code of a chunk joined with NUL: all valid in structure and registered in this city (the usual case)
        self.all_local = re.compile(f"(?:\x00{_ALNUM}{{2}}{city}[0-9]{{{6 - len(city)}}}{_ALNUM}{{10}})*") \
            if city.isascii() and city.isdigit() else None
        self.brigades: dict[object, str | None] = {}
        self.resolve = ctx.detachment.resolve_brigade
        # the check character's residue: the code read backwards in base 34 (34 ≡ 3 mod 31, see uscc) includes
        # the check character c at weight 3^17 ≡ 22; a valid code has Σ₁₇ + c ≡ 0, so the whole number ≡ 21·c
        self.residue = {ch: 21 * value % 31 for value, ch in enumerate(uscc.ALPHABET)}

    def decide(self, numbers: list[int], fields: list[str], parsed: list, bad: set[int], absent: dict) -> _Decided:
        """Which rows of a chunk are quick, with the columns their units are made of."""
        n = len(numbers)
        column = dict(zip(fields, parsed))
        for name, value in absent.items():
            column[name] = [value] * n
        codes = column["code"]
        ok = self._valid_local(codes)
        ok = list(map(and_, ok, map(is_, column["legacy_code"], repeat(False))))
        brigade = self._brigades(column["brigade"])
        ok = list(map(and_, ok, map(is_not, brigade, repeat(None))))
        # 重点单位类别 filled exactly when 单位类别 is 消防安全重点单位
        ok = list(map(and_, ok, map(eq, map(eq, column["unit_class"], repeat(KEY_UNIT)),
                                    map(truth, column["key_category"]))))
        for i in bad:
            ok[i] = False
        return _Decided(ok, all(ok), column, codes, brigade)

    def units(self, decided: _Decided) -> list:
        """For each row of a decided chunk: its Unit if the row is quick, else None."""
        column, codes, ok = decided.column, decided.codes, decided.ok
        values = zip(codes, column["name"], codes, repeat(None), column["legal_rep"], column["address"],
                     column["reg_authority"], decided.brigades, *(column[f] for f in _UNIT_FIELDS[8:-1]),
                     repeat(False))
        if not decided.every:
            values = compress(values, ok)
        units = list(map(_new, repeat(model.Unit, ok.count(True))))
        # each Unit's __dict__ filled with its fields in model.Unit's order, as _unit does: all of it in C
        deque(map(dict.update, map(vars, units), map(zip, repeat(_UNIT_FIELDS), values)), 0)
        if decided.every:
            return units
        out: list = [None] * len(ok)
        for i, unit in zip(compress(count(), ok), units):
            out[i] = unit
        return out

    def _valid_local(self, codes: list) -> list[bool]:
        """Per code: a valid 统一社会信用代码 whose positions 3–8 are in this city."""
        try:
            joined = "\x00" + "\x00".join(codes)
        except TypeError:  # a failed cell (_MISSING) in the column
            joined = None
        if joined is None or self.all_local is None or not self.all_local.fullmatch(joined):
            return [c.__class__ is str and c.isascii() and len(c) == 18 and c.startswith(self.city, 2)
                    and uscc.problem(c) is None for c in codes]
        whole = map(int, joined[:0:-1].translate(uscc._AS_DIGITS).split("\x00")[::-1], repeat(34))
        return list(map(eq, map(mod, whole, repeat(31)), map(self.residue.__getitem__, map(itemgetter(17), codes))))

    def _brigades(self, texts: list) -> list:
        seen = self.brigades
        for text in set(texts).difference(seen):
            seen[text] = self.resolve(text) if text.__class__ is str else None
        return list(map(seen.__getitem__, texts))


def _unit_key(code: str, legacy: bool, number: int, column: str, ctx: Context) -> tuple | None:
    """(credit_code, reg_no, legacy_code) for a unit's code cell, or None after an error."""
    if uscc.is_reg_no(code):
        ctx.add(number, column, code, "仅有 15 位注册号，尚无统一社会信用代码", "如已换发营业执照，填 18 位统一社会信用代码",
                severity="warning")
        return None, code, False
    problem = uscc.problem(code)
    if problem is None:
        _division(code, number, column, ctx)
        if legacy:
            ctx.add(number, column, code, "「历史代码」填了“是”，但该代码校验通过，无需标注", "留空", severity="warning")
        return code, None, False
    if problem.startswith("校验位错误") and legacy:
        ctx.add(number, column, code, f"{problem}；已按「历史代码」接受", severity="warning")
        _division(code, number, column, ctx)
        return code, None, True
    ctx.add(number, column, code, problem, _LEGACY_HINT if problem.startswith("校验位错误") else _CODE_HINT)
    return None


def _division(code: str, number: int, column: str, ctx: Context) -> None:
    city = ctx.detachment.city_division
    division = uscc.division(code)
    if not division.startswith(city[:4]):
        ctx.add(number, column, code, f"第 3–8 位登记机关行政区划码 {division} 不在本市（{city[:4]}xx）",
                "核对代码；在外地登记的单位可保留", severity="warning")


def _key_category(v: dict, number: int, layout: Layout, ctx: Context) -> None:
    column = _header(layout, "key_category")
    if v["key_category"] and v["unit_class"] != KEY_UNIT:
        ctx.add(number, column, v["key_category"], f"单位类别为「{v['unit_class']}」，不应填写重点单位类别",
                f"留空，或将单位类别改为「{KEY_UNIT}」")
    elif v["unit_class"] == KEY_UNIT and not v["key_category"]:
        ctx.add(number, column, None, "消防安全重点单位未填写重点单位类别", "公安部令第61号第十三条的类别之一",
                severity="warning")


def _brigade(text: str, number: int, column: str, ctx: Context, allow_detachment: bool) -> str | None:
    det = ctx.detachment
    if allow_detachment and text in (DETACHMENT_UNIT, det.name):
        return DETACHMENT_UNIT
    name = det.resolve_brigade(text)
    if name is None:
        valid = "、".join(det.brigade_names() + ((DETACHMENT_UNIT,) if allow_detachment else ()))
        ctx.add(number, column, text, "不是本支队所属的大队", valid)
    return name


# ---------------------------------------------------------------- inspectors


def _inspector(v: dict, number: int, layout: Layout, ctx: Context) -> model.Inspector | None:
    brigade = _brigade(v["brigade"], number, _header(layout, "brigade"), ctx, allow_detachment=True)
    years = _years(v["years"], v["enforcement_since"], number, layout, ctx)
    if v["cert_expiry"] < ctx.on:
        ctx.add(number, _header(layout, "cert_expiry"), v["cert_expiry"],
                f"执法证已过期（参照日期 {ctx.on.isoformat()}），抽取时不会被选中", "有效期未届满的执法证", severity="warning")
    if brigade is None or years is None:
        return None
    items = tuple(sorted({nz.code(p) for p in nz.split_multi(v["items"] or "")}))
    return model.Inspector(
        cert_no=v["cert_no"], name=v["name"], gender=v["gender"], brigade=brigade, post=v["post"],
        title=v["title"], enforcement_since=v["enforcement_since"], years=years, cert_expiry=v["cert_expiry"],
        status=v["status"], leader=v["leader"], expert=v["expert"], items=items,
    )


def _years(years: int | None, since: dt.date | None, number: int, layout: Layout, ctx: Context) -> int | None:
    column = _header(layout, "years")
    if since is not None:
        if since > ctx.on:
            ctx.add(number, _header(layout, "enforcement_since"), since, f"晚于参照日期 {ctx.on.isoformat()}",
                    "不晚于参照日期的日期")
            return None
        derived = full_years(since, ctx.on)
        if years is not None and abs(years - derived) > 1:
            ctx.add(number, column, years, f"与执法工作起始日期推算的 {derived} 年不符，按起始日期计算",
                    f"{derived}", severity="warning")
        return derived
    if years is None:
        ctx.add(number, column, None, "与「执法工作起始日期」至少填一项", "整数，如 5")
        return None
    if years < 0:
        ctx.add(number, column, years, "不能为负数", "不小于 0 的整数")
        return None
    return years


def full_years(since: dt.date, on: dt.date) -> int:
    """Whole years from `since` to `on` (a birthday-style count)."""
    return on.year - since.year - ((on.month, on.day) < (since.month, since.day))


# ---------------------------------------------------------------- items, conflicts, exclusions


def _item(v: dict, number: int, layout: Layout, ctx: Context) -> model.Item:
    return model.Item(code=v["code"], name=v["name"], basis=v["basis"], subject=v["subject"], target=v["target"],
                      content=v["content"], method=v["method"], ratio_freq=v["ratio_freq"], category=v["category"])


def _period(v: dict, number: int, layout: Layout, ctx: Context) -> bool:
    start, end = v["valid_from"], v["valid_to"]
    if start is not None and end is not None and start > end:
        ctx.add(number, _header(layout, "valid_to"), end, f"早于开始日期 {start.isoformat()}", "不早于开始日期的日期")
        return False
    return True


def _conflict(v: dict, number: int, layout: Layout, ctx: Context) -> model.Conflict | None:
    if not _period(v, number, layout, ctx):
        return None
    return model.Conflict(cert_no=v["cert_no"], unit_key=v["unit_key"], kind=v["kind"], source=v["source"],
                          valid_from=v["valid_from"], valid_to=v["valid_to"])


def _exclusion(v: dict, number: int, layout: Layout, ctx: Context) -> model.Exclusion | None:
    if not _period(v, number, layout, ctx):
        return None
    return model.Exclusion(unit_key=v["unit_key"], reason=v["reason"], valid_from=v["valid_from"],
                           valid_to=v["valid_to"], note=v["note"])


_BUILDERS = {
    schema.UNITS.kind: _unit,
    schema.INSPECTORS.kind: _inspector,
    schema.ITEMS.kind: _item,
    schema.CONFLICTS.kind: _conflict,
    schema.EXCLUSIONS.kind: _exclusion,
}
