"""Strict loader of rules YAML (抽查工作细则): unknown keys, types and ranges refused in Chinese."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from dsr.core import model
from dsr.core.rules import (
    BATCH_ORDERS,
    MODES,
    ROUNDINGS,
    Batches,
    Factor,
    HazardIndustry,
    LeaderRule,
    Rules,
    Stratum,
    Team,
    UnitFilter,
    Witnesses,
)
from dsr.errors import RulesError

TOP_KEYS = (
    "title", "brigade", "year", "item_code", "include", "strata", "multipliers", "hazard_industries",
    "rounding", "exclude_drawn_this_year", "priority_not_drawn_last_year", "include_nine_small",
    "eligible_statuses", "team", "batches", "witnesses",
)
STRATUM_KEYS = ("name", "mode", "filter", "ratio", "count", "minimum", "maximum", "multipliers",
                "exclude_drawn_this_year")
FILTER_KEYS = ("unit_class", "crowded", "public_gathering", "key_category", "industry")
MULTIPLIER_KEYS = ("credit", "risk")
HAZARD_KEYS = ("multiplier", "ratio")
TEAM_KEYS = ("size", "leader", "pool", "rotation", "max_extra_load", "max_units_per_inspector")
LEADER_KEYS = ("required", "min_years")
BATCH_KEYS = ("count", "order")
WITNESS_KEYS = ("minimum", "required_roles")
REQUIRED_TOP = ("brigade", "year", "item_code", "strata")


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml parser when present: ~10x faster
    """Safe YAML that keeps dates as text, reads decimals exactly and refuses duplicate keys."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _decimal(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Decimal:
    # Never a float: 0.1 must stay exactly one tenth for the draw to be byte-exact.
    text = loader.construct_scalar(node).replace("_", "")
    try:
        return Decimal(text)
    except InvalidOperation:
        return Decimal("NaN")


def _mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict:
    seen: set = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise _DuplicateKey(key, key_node.start_mark.line + 1)
        seen.add(key)
    return loader.construct_mapping(node)


class _DuplicateKey(Exception):
    def __init__(self, key: Any, line: int):
        self.key, self.line = key, line


_Loader.add_constructor("tag:yaml.org,2002:float", _decimal)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


class _Checker:
    """Collects every problem of one file, so the legal department can fix it in one pass."""

    def __init__(self, name: str, brigades: Sequence[str] | None):
        self.name = name
        self.brigades = tuple(brigades) if brigades is not None else None
        self.problems: list[str] = []

    def fail(self, text: str) -> None:
        self.problems.append(text)

    def keys(self, d: dict, valid: Sequence[str], path: str) -> None:
        """Refuse unknown keys, naming the nearest valid one."""
        for key in d:
            if key in valid:
                continue
            where = f"{path}.{key}" if path else str(key)
            near = difflib.get_close_matches(str(key), valid, n=1, cutoff=0.6)
            if near:
                self.fail(f"「{where}」是未知的键，是否应为「{near[0]}」？")
            else:
                self.fail(f"「{where}」是未知的键（可用的键：{'、'.join(valid)}）")

    def mapping(self, value: Any, path: str, valid: Sequence[str]) -> dict:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.fail(f"「{path}」应为映射（键: 值），实际为「{value}」")
            return {}
        self.keys(value, valid, path)
        return value

    def typed(self, d: dict, key: str, path: str, kind: str, default: Any = None, required: bool = False) -> Any:
        where = f"{path}.{key}" if path else key
        if key not in d or d[key] is None:
            if required:
                self.fail(f"缺少必填项「{where}」")
            return default
        value = d[key]
        ok, converted = _CONVERT[kind](value)
        if not ok:
            self.fail(f"「{where}」应为{_KIND_TEXT[kind]}，实际为「{value}」")
            return default
        return converted

    def nonneg(self, value: Any, path: str) -> Any:
        if value is not None and value < 0:
            self.fail(f"「{path}」不能为负数，实际为 {value}")
            return 0
        return value

    def unit_interval(self, value: Decimal | None, path: str) -> Decimal | None:
        if value is not None and not (0 <= value <= 1):
            self.fail(f"「{path}」应在 0 到 1 之间，实际为 {value}")
        return value

    def choice(self, value: Any, choices: Sequence[str], path: str) -> Any:
        if value is not None and value not in choices:
            self.fail(f"「{path}」应为 {'、'.join(choices)} 之一，实际为「{value}」")
        return value

    def choices(self, values: tuple[str, ...], choices: Sequence[str], path: str) -> tuple[str, ...]:
        for v in values:
            self.choice(v, choices, path)
        return values


def _int(v: Any) -> tuple[bool, Any]:
    return type(v) is int, v


def _bool(v: Any) -> tuple[bool, Any]:
    return isinstance(v, bool), v


def _str(v: Any) -> tuple[bool, Any]:
    if isinstance(v, int) and not isinstance(v, bool):
        return True, str(v)  # an item code or a brigade may be written as a bare number
    return isinstance(v, str) and v.strip() != "", v.strip() if isinstance(v, str) else v


def _dec(v: Any) -> tuple[bool, Any]:
    if isinstance(v, bool) or not isinstance(v, (int, Decimal)):
        return False, v
    d = Decimal(v)
    return d.is_finite(), d.normalize() if d.is_finite() else d


def _strs(v: Any) -> tuple[bool, Any]:
    items = [v] if isinstance(v, str) else v
    if not isinstance(items, list) or not all(isinstance(x, str) and x.strip() for x in items):
        return False, v
    return True, tuple(x.strip() for x in items)


_CONVERT: dict[str, Callable[[Any], tuple[bool, Any]]] = {
    "int": _int, "bool": _bool, "str": _str, "decimal": _dec, "strs": _strs,
}
_KIND_TEXT = {"int": "整数", "bool": "布尔值（true 或 false）", "str": "文字", "decimal": "数字", "strs": "文字列表"}


def _filter(c: _Checker, raw: Any, path: str) -> UnitFilter:
    d = c.mapping(raw, path, FILTER_KEYS)
    classes = c.typed(d, "unit_class", path, "strs", ())
    return UnitFilter(
        unit_classes=c.choices(classes, model.UNIT_CLASSES, f"{path}.unit_class"),
        crowded=c.typed(d, "crowded", path, "bool"),
        public_gathering=c.typed(d, "public_gathering", path, "bool"),
        key_categories=c.typed(d, "key_category", path, "strs", ()),
        industries=c.typed(d, "industry", path, "strs", ()),
    )


def _stratum(c: _Checker, raw: Any, path: str) -> Stratum:
    d = c.mapping(raw, path, STRATUM_KEYS)
    mode = c.choice(c.typed(d, "mode", path, "str", required=True), MODES, f"{path}.mode")
    ratio = c.unit_interval(c.typed(d, "ratio", path, "decimal"), f"{path}.ratio")
    count = c.nonneg(c.typed(d, "count", path, "int"), f"{path}.count")
    if mode == "RATIO" and ratio is None and "ratio" not in d:
        c.fail(f"「{path}.ratio」在 mode 为 RATIO 时必填")
    if mode == "COUNT" and count is None and "count" not in d:
        c.fail(f"「{path}.count」在 mode 为 COUNT 时必填")
    for key, wanted in (("ratio", "RATIO"), ("count", "COUNT")):
        if key in d and mode in MODES and mode != wanted:  # a setting that would be silently ignored
            c.fail(f"「{path}.{key}」只在 mode 为 {wanted} 时使用，本层 mode 为 {mode}")
    return Stratum(
        name=c.typed(d, "name", path, "str", "", required=True),
        mode=mode or "ALL",
        filter=_filter(c, d.get("filter"), f"{path}.filter"),
        ratio=ratio if mode == "RATIO" else None,
        count=count if mode == "COUNT" else None,
        minimum=c.nonneg(c.typed(d, "minimum", path, "int", 0), f"{path}.minimum"),
        maximum=c.nonneg(c.typed(d, "maximum", path, "int"), f"{path}.maximum"),
        multipliers=c.typed(d, "multipliers", path, "bool", True),
        exclude_drawn_this_year=c.typed(d, "exclude_drawn_this_year", path, "bool"),
    )


def _strata(c: _Checker, raw: Any) -> tuple[Stratum, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not raw:
        c.fail(f"「strata」应为至少含一个抽查层的列表，实际为「{raw}」")
        return ()
    out = tuple(_stratum(c, s, f"strata[{i}]") for i, s in enumerate(raw, start=1))
    seen: set[str] = set()
    for i, s in enumerate(out, start=1):
        if s.name in seen:
            c.fail(f"「strata[{i}].name」抽查层名称「{s.name}」重复")
        seen.add(s.name)
    return out


def _factors(c: _Checker, raw: Any, path: str, levels: Sequence[str]) -> tuple[Factor, ...]:
    d = c.mapping(raw, path, levels)
    out = []
    for level in levels:  # the enumeration order, so the tuple never depends on the file's order
        value = c.nonneg(c.typed(d, level, path, "decimal"), f"{path}.{level}")
        if value is not None:
            out.append(Factor(level, value))
    return tuple(out)


def _hazards(c: _Checker, raw: Any) -> tuple[HazardIndustry, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        c.fail(f"「hazard_industries」应为映射（行业: 设置），实际为「{raw}」")
        return ()
    out = []
    for industry in sorted(raw, key=str):
        path = f"hazard_industries.{industry}"
        d = c.mapping(raw[industry], path, HAZARD_KEYS)
        mult = c.nonneg(c.typed(d, "multiplier", path, "decimal"), f"{path}.multiplier")
        ratio = c.unit_interval(c.typed(d, "ratio", path, "decimal"), f"{path}.ratio")
        if (mult is None) == (ratio is None):
            c.fail(f"「{path}」须填 multiplier 或 ratio 其中之一")
        out.append(HazardIndustry(str(industry), mult, ratio))
    return tuple(out)


def _team(c: _Checker, raw: Any, brigade: str) -> Team:
    d = c.mapping(raw, "team", TEAM_KEYS)
    size = c.typed(d, "size", "team", "int", 2)
    if size < 2:
        c.fail(f"「team.size」检查组人数不得少于 2 人，实际为 {size}")
    lead = c.mapping(d.get("leader"), "team.leader", LEADER_KEYS)
    pool = c.typed(d, "pool", "team", "strs", ())
    for p in pool:
        c_known(c, p, "team.pool")
    return Team(
        size=size,
        leader=LeaderRule(c.typed(lead, "required", "team.leader", "bool", True),
                          c.nonneg(c.typed(lead, "min_years", "team.leader", "int", 0), "team.leader.min_years")),
        pool=pool or (brigade,),
        rotation=c.typed(d, "rotation", "team", "bool", True),
        max_extra_load=c.nonneg(c.typed(d, "max_extra_load", "team", "int", 1), "team.max_extra_load"),
        max_units_per_inspector=_positive(c, c.typed(d, "max_units_per_inspector", "team", "int"),
                                          "team.max_units_per_inspector"),
    )


def _positive(c: _Checker, value: int | None, path: str) -> int | None:
    if value is not None and value < 1:
        c.fail(f"「{path}」应至少为 1，实际为 {value}")
    return value


def c_known(c: _Checker, brigade: str, path: str) -> None:
    """A brigade name must be one of the detachment's, when the caller gave the list."""
    if c.brigades is not None and brigade not in c.brigades:
        c.fail(f"「{path}」大队「{brigade}」不在支队的大队名单中（应为：{'、'.join(c.brigades)}）")


def _batches(c: _Checker, raw: Any) -> Batches:
    d = c.mapping(raw, "batches", BATCH_KEYS)
    count = _positive(c, c.typed(d, "count", "batches", "int", 1), "batches.count")
    order = c.choice(c.typed(d, "order", "batches", "str", "random"), BATCH_ORDERS, "batches.order")
    return Batches(count, order)


def _witnesses(c: _Checker, raw: Any) -> Witnesses:
    d = c.mapping(raw, "witnesses", WITNESS_KEYS)
    minimum = c.nonneg(c.typed(d, "minimum", "witnesses", "int", 2), "witnesses.minimum")
    return Witnesses(minimum, c.typed(d, "required_roles", "witnesses", "strs", ()))


def _rules(c: _Checker, d: dict) -> Rules:
    c.keys(d, TOP_KEYS, "")
    for key in REQUIRED_TOP:
        if d.get(key) is None:
            c.fail(f"缺少必填项「{key}」")
    brigade = c.typed(d, "brigade", "", "str", "")
    if brigade:
        c_known(c, brigade, "brigade")
    mult = c.mapping(d.get("multipliers"), "multipliers", MULTIPLIER_KEYS)
    statuses = c.typed(d, "eligible_statuses", "", "strs", ("在营",))
    return Rules(
        brigade=brigade,
        year=c.typed(d, "year", "", "int", 0),
        item_code=c.typed(d, "item_code", "", "str", ""),
        strata=_strata(c, d.get("strata")),
        credit_multipliers=_factors(c, mult.get("credit"), "multipliers.credit", model.CREDIT_LEVELS),
        risk_multipliers=_factors(c, mult.get("risk"), "multipliers.risk", model.RISK_LEVELS),
        hazard_industries=_hazards(c, d.get("hazard_industries")),
        rounding=c.choice(c.typed(d, "rounding", "", "str", "ceil"), ROUNDINGS, "rounding"),
        exclude_drawn_this_year=c.typed(d, "exclude_drawn_this_year", "", "bool", True),
        priority_not_drawn_last_year=c.typed(d, "priority_not_drawn_last_year", "", "bool", False),
        include_nine_small=c.typed(d, "include_nine_small", "", "bool", False),
        eligible_statuses=c.choices(statuses, model.UNIT_STATUSES, "eligible_statuses"),
        team=_team(c, d.get("team"), brigade),
        batches=_batches(c, d.get("batches")),
        witnesses=_witnesses(c, d.get("witnesses")),
        title=c.typed(d, "title", "", "str"),
    )


def _parse(text: str, name: str) -> Any:
    try:
        return yaml.load(text, Loader=_Loader)
    except _DuplicateKey as e:
        raise RulesError(f"细则文件 {name}：第 {e.line} 行的键「{e.key}」重复出现") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"第 {mark.line + 1} 行" if mark is not None else "某处"
        raise RulesError(f"细则文件 {name}：YAML 格式错误（{where}）：{getattr(e, 'problem', e)}") from None


def _merge_include(d: dict, name: str, base: Path | None) -> dict:
    """The included file's settings, overridden key by key by the including file's own."""
    target = d.get("include")
    if target is None:
        return d
    if not isinstance(target, str) or base is None or Path(target).name != target or target in ("", ".", ".."):
        # a bare file name only: an include must never reach outside the rules folder
        raise RulesError(f"细则文件 {name}：「include」应为同一目录下的文件名，实际为「{target}」")
    path = base / target
    if not path.is_file():
        raise RulesError(f"细则文件 {name}：「include」找不到文件「{target}」")
    shared = _parse(path.read_text(encoding="utf-8"), target)
    if not isinstance(shared, dict):
        raise RulesError(f"细则文件 {target}：内容应为映射（键: 值）")
    if "include" in shared:
        raise RulesError(f"细则文件 {target}：被引用的文件不能再使用「include」")
    return _deep_merge(shared, {k: v for k, v in d.items() if k != "include"})


def _deep_merge(base: dict, over: dict) -> dict:
    """Mappings merge key by key (the including file wins); lists and scalars are replaced whole."""
    out = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def load_rules_text(text: str, name: str, brigades: Sequence[str] | None = None,
                    base: Path | None = None) -> Rules:
    """Rules from YAML text; `name` is the file name used in messages, `base` resolves include."""
    d = _parse(text, name)
    if not isinstance(d, dict):
        raise RulesError(f"细则文件 {name}：内容应为映射（键: 值），实际为「{d}」")
    d = _merge_include(d, name, base)
    c = _Checker(name, brigades)
    rules = _rules(c, d)
    if c.problems:
        head = f"细则文件 {name} 有 {len(c.problems)} 处错误："
        raise RulesError("\n".join([head, *c.problems]))
    return rules


def load_rules(path: str | Path, brigades: Sequence[str] | None = None) -> Rules:
    """Rules from a YAML file (UTF-8); include is resolved beside it."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise RulesError(f"细则文件 {p.name}：无法读取（{e.strerror}）") from None
    return load_rules_text(text, p.name, brigades, base=p.parent)
