"""Frozen value types shared by every part: units, inspectors, conflicts, exclusions, items.

These are what the readers produce after checking and normalising a workbook, and what the
pure core consumes. Field names are English; the Chinese header each comes from is in
dsr/inputs/schema.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

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
    units: tuple[Unit, ...]  # this brigade's units, sorted by key
    inspectors: tuple[Inspector, ...]  # the eligible pool per rules.team.pool, sorted by cert_no
    items: tuple[Item, ...]  # sorted by code
    conflicts: tuple[Conflict, ...]
    exclusions: tuple[Exclusion, ...]
    history: tuple[HistoryEntry, ...]  # earlier draws of this year / last year (from the ledger)
    rules: object  # dsr.core.rules.Rules (typed loosely here to keep this module leaf-level)
    inspection_date: dt.date  # the date certificates, statuses, conflicts and exclusions are judged on
