"""Frozen value types shared by every part: units, inspectors, conflicts, exclusions, items.

These are what the readers produce after checking and normalising a workbook, and what the
pure core consumes. Field names are English; the Chinese header each comes from is in
dsr/inputs/schema.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import NamedTuple
from itertools import islice
from operator import itemgetter, lt

# Enumerations, in Chinese as clerks write them. Order matters only for display.
UNIT_CLASSES = ("消防安全重点单位", "一般单位", "九小场所")
CREDIT_LEVELS = ("A", "B", "C", "D")
RISK_LEVELS = ("低", "较低", "一般", "较高", "高")
UNIT_STATUSES = ("在营", "停业", "注销")
INSPECTOR_STATUSES = ("在岗", "借调", "休假", "离岗")
GENDERS = ("男", "女")
CONFLICT_TYPES = ("近亲属", "曾任职", "持股", "经济往来", "其他")
EXCLUSION_REASONS = ("投诉举报核查", "临时查封中", "专项整治", "重大活动安保", "申请恢复使用检查", "其他")


@dataclass(frozen=True)
class Unit:
    """One 检查对象 from the 检查对象名录库."""

    key: str  # stable draw key: 统一社会信用代码 if present, else 注册号
    name: str  # 单位名称
    credit_code: str | None  # 统一社会信用代码 (18 chars, GB 32100-2015)
    reg_no: str | None  # 注册号 (15 digits, legacy)
    legal_rep: str | None  # 法定代表人
    address: str  # 住所
    reg_authority: str  # 登记机关
    brigade: str  # 管辖单位 (大队 name, e.g. "文峰区")
    unit_class: str  # 单位类别: one of UNIT_CLASSES
    key_category: str | None  # 重点单位类别 (61号令 category), for key units
    crowded: bool  # 人员密集场所
    public_gathering: bool  # 公众聚集场所
    building_category: str | None  # 建筑类别 (高层/多层/单层/地下)
    floor_area: Decimal | None  # 建筑面积 (m²)
    scale: str | None  # 规模
    facilities: tuple[str, ...]  # 消防设施类别, sorted
    industry: str | None  # 行业
    risk: str  # 风险等级: one of RISK_LEVELS (internal, never published)
    credit: str  # 信用等级: one of CREDIT_LEVELS (internal, never published)
    status: str  # 状态: one of UNIT_STATUSES
    legacy_code: bool = False  # a credit code failing GB 32100 check, accepted as known legacy


UNIT_FIELDS = tuple(f.name for f in fields(Unit))  # key, name, credit_code, ..., legacy_code
_unit_values = itemgetter(*UNIT_FIELDS)  # of a Unit's __dict__: its row


class UnitName(NamedTuple):
    """A unit's key and name: all that team matching reads of a drawn unit (dsr.core.teams.match)."""

    key: str
    name: str


class TupleView(Sequence):
    """What a sequence standing for a tuple (RowView's kinds, draw.UnitOutcomes) shares with the tuple: `!=`, hash
    and repr, all as the tuple of its items. Subclasses define __len__, __getitem__ and __eq__."""

    __slots__ = ()

    def __ne__(self, other: object) -> bool:
        same = self.__eq__(other)
        return same if same is NotImplemented else not same

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return repr(tuple(self))


class RowView(TupleView):
    """A sequence standing for a tuple, kept as rows (`_rows`) and made into its items (`_make`) when asked for:
    length, iteration, equality with the tuple of its items or with its own kind, pickling. Subclasses define
    __getitem__ (a slice's kind is theirs to choose)."""

    __slots__ = ()
    _rows: tuple | list
    _make: Callable[[tuple], object]  # a staticmethod: one row into its item

    def __len__(self) -> int:
        return len(self._rows)

    def __iter__(self):
        return map(self._make, self._rows)

    def __reversed__(self):
        return map(self._make, reversed(self._rows))

    def __eq__(self, other: object) -> bool:
        if type(other) is type(self):
            return self._rows == other._rows  # type: ignore[attr-defined]
        if isinstance(other, tuple):  # equal to the tuple of items it stands for, as a tuple would be
            return len(self) == len(other) and all(a == b for a, b in zip(self, other))
        return NotImplemented

    __hash__ = TupleView.__hash__  # defining __eq__ above would otherwise make the class unhashable

    def __reduce__(self):
        return (type(self), (self._rows,))


_new = object.__new__


def _unit(values: tuple) -> Unit:
    """The Unit of one row of field values (in UNIT_FIELDS order), made as the readers make it (no frozen __init__)."""
    unit = _new(Unit)
    unit.__dict__.update(zip(UNIT_FIELDS, values))
    return unit


class UnitTable(RowView, Sequence[Unit]):
    """Units kept as rows of field values (plain tuples in UNIT_FIELDS order); each Unit is made when asked for.

    Reads like the tuple of Units it stands for: len, indexing (a slice gives a table), iteration, equality with
    a tuple of Units or another table, hash, repr, pickling; to_plain writes the same list (canonical_plain).
    dsr.core.freeze keeps a draw's units so, sorted by key. A Unit keeps its fields in a dict of its own and a
    reader makes them in row order, so once sorted they lie all over the heap; reading a few fields of a million
    of them costs about a second of cache misses per pass. The rows are made in one such pass, in key order, and
    lie side by side: a pass over them (dsr.core.draw.read_units, dsr.core.freeze.frozen_document) reads memory
    in order. A row is a sixth of a Unit's size.
    """

    __slots__ = ("_rows", "_keys", "_ascending")
    _make = staticmethod(_unit)

    def __init__(self, rows: Iterable[tuple]):
        rows = tuple(map(tuple, rows))
        if any(len(r) != len(UNIT_FIELDS) for r in rows):
            raise ValueError(f"a unit table's rows have {len(UNIT_FIELDS)} values")
        self._rows = rows
        self._keys = tuple(map(_first, rows))
        self._ascending: bool | None = None

    @classmethod
    def of(cls, units: Iterable[Unit]) -> UnitTable:
        """The table of some units, in their order (one pass over the objects)."""
        if isinstance(units, UnitTable):
            return units
        return _table(tuple(map(_unit_values, map(vars, units))))

    def column(self, field: str) -> list:
        """One field of every unit, in order (a new list)."""
        if field == "key":  # kept apart: every pass reads it
            return list(self._keys)
        return list(map(itemgetter(UNIT_FIELDS.index(field)), self._rows))

    @property
    def keys(self) -> tuple[str, ...]:
        """Every unit's key, in order (the table's own tuple: nothing is copied)."""
        return self._keys

    def keys_ascending(self) -> bool:
        """Whether the keys ascend strictly (sorted, none twice); computed once, as the table cannot change."""
        if self._ascending is None:
            keys = self._keys
            self._ascending = all(map(lt, keys, islice(keys, 1, None)))
        return self._ascending

    def field(self, field: str) -> Sequence:
        """One field of every unit, read from the rows when asked for (no list is made)."""
        return Mapped(self._rows, itemgetter(UNIT_FIELDS.index(field)))

    def values(self, fields: Sequence[str]) -> Iterator:
        """Per unit, in order, these fields' values as attrgetter(*fields) gives them (one field: the value)."""
        return map(itemgetter(*map(UNIT_FIELDS.index, fields)), self._rows)

    def names_at(self, positions: Iterable[int]) -> list[UnitName]:
        """The key and name of the units at these positions, in this order (no Unit is made)."""
        return list(map(UnitName._make, map(_key_name, map(self._rows.__getitem__, positions))))

    def take(self, positions: Iterable[int]) -> UnitTable:
        """The units at these positions, in this order."""
        positions = positions if isinstance(positions, (list, tuple)) else list(positions)
        return _table(tuple(map(self._rows.__getitem__, positions)), tuple(map(self._keys.__getitem__, positions)))

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            part = _table(self._rows[index], self._keys[index])
            if self._ascending and (index.step or 1) > 0:  # a forward slice of ascending keys ascends
                part._ascending = True
            return part
        return _unit(self._rows[index])

    def canonical_plain(self) -> list[dict]:
        """What to_plain gives for the tuple of Units."""
        from dsr.core.canonical import to_plain

        return [to_plain(u) for u in self]


_first = itemgetter(0)  # a row's key
_key_name = itemgetter(0, 1)  # a row's key and name (UNIT_FIELDS begins with them)


def _table(rows: tuple[tuple, ...], keys: tuple[str, ...] | None = None) -> UnitTable:
    """A table of rows known to be well formed (and their keys, if known)."""
    table = _new(UnitTable)
    table._rows = rows
    table._keys = tuple(map(_first, rows)) if keys is None else keys
    table._ascending = None
    return table


class Mapped(Sequence):
    """A function of each item of a sequence, computed when asked for (no list is made): one field of every unit,
    read from a UnitTable's rows (itemgetter) or from Unit objects (attrgetter)."""

    __slots__ = ("_get", "_items")

    def __init__(self, items: Sequence, get: Callable):
        self._items, self._get = items, get

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return list(map(self._get, self._items[index]))
        return self._get(self._items[index])

    def __iter__(self):
        return map(self._get, self._items)


@dataclass(frozen=True)
class Inspector:
    """One 执法检查人员 from the 执法检查人员名录库; `cert_no` (执法证号) is the stable key."""

    cert_no: str  # 执法证号
    name: str  # 姓名
    gender: str  # 性别
    brigade: str  # 单位 (大队 name, or "支队" for the detachment)
    post: str  # 岗位
    title: str | None  # 专业技术职称类别
    enforcement_since: dt.date | None  # 执法工作起始日期 (years derived from it)
    years: int  # 执法工作年限 as of the reference date given by the directory
    cert_expiry: dt.date  # 执法证有效期至
    status: str  # 状态: one of INSPECTOR_STATUSES
    leader: bool  # 可任组长
    expert: bool  # 专家
    items: tuple[str, ...] = ()  # 可执法事项 (item codes); empty = every item


@dataclass(frozen=True)
class Conflict:
    """One 利害关系 entry: this inspector must recuse from this unit while valid."""

    cert_no: str
    unit_key: str
    kind: str  # 利害关系类型
    source: str  # 来源 (本人申报 / 单位申请 / 其他)
    valid_from: dt.date | None
    valid_to: dt.date | None


@dataclass(frozen=True)
class Exclusion:
    """One entry of the 不列入随机抽查 list: the unit is left out of the draw while valid."""

    unit_key: str
    reason: str
    valid_from: dt.date | None
    valid_to: dt.date | None
    note: str | None = None


@dataclass(frozen=True)
class Item:
    """One 随机抽查事项 of the 随机抽查事项清单."""

    code: str  # 事项编码
    name: str  # 事项名称
    basis: str  # 抽查依据
    subject: str  # 抽查主体
    target: str  # 抽查对象
    content: str  # 抽查内容
    method: str  # 抽查方式
    ratio_freq: str  # 抽查比例/频次
    category: str = "一般检查事项"  # 事项类别


@dataclass(frozen=True)
class HistoryEntry:
    """A unit drawn in an earlier draw (from the ledger): used for year and rotation rules."""

    unit_key: str
    draw_id: str
    date: dt.date
    inspectors: tuple[str, ...] = ()  # cert_no of the team that inspected it


@dataclass(frozen=True)
class Directory:
    """All normalised inputs of one draw: the 一单两库 plus conflicts and exclusions."""

    units: tuple[Unit, ...]
    inspectors: tuple[Inspector, ...]
    items: tuple[Item, ...]
    conflicts: tuple[Conflict, ...] = ()
    exclusions: tuple[Exclusion, ...] = ()


@dataclass(frozen=True)
class DrawInputs:
    """Everything one brigade's draw depends on besides the seed: what a commitment freezes.

    Built by dsr.core.freeze from a Directory, the brigade's rules and the ledger history;
    consumed by dsr.core.draw. Tuples are sorted by their stable keys so row order never matters.
    """

    detachment: str
    brigade: str
    units: tuple[Unit, ...]  # this brigade's units, sorted by key; once frozen a UnitTable, which reads as the tuple
    inspectors: tuple[Inspector, ...]  # the eligible pool per rules.team.pool, sorted by cert_no
    items: tuple[Item, ...]  # sorted by code
    conflicts: tuple[Conflict, ...]
    exclusions: tuple[Exclusion, ...]
    history: tuple[HistoryEntry, ...]  # earlier draws of this year / last year (from the ledger)
    rules: object  # dsr.core.rules.Rules (typed loosely here to keep this module leaf-level)
    inspection_date: dt.date  # the date certificates, statuses, conflicts and exclusions are judged on
