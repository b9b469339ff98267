"""Frozen inputs: one brigade's DrawInputs, their canonical document, section digests and diffs."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from itertools import islice
from operator import attrgetter, eq
from typing import Any

from dsr.core import model
from dsr.core.canonical import canonical_bytes, from_plain, plain_bytes, sha256_hex, to_plain
from dsr.errors import DrawError, RecordError

FORMAT = "dsr-frozen-inputs/1"
# Sections of the frozen document, in the order docs/ALGORITHM.md lists them.
SECTIONS = ("scope", "units", "inspectors", "items", "conflicts", "exclusions", "history", "rules")
# Keyed sections: (section, stable key field, value type, Chinese noun for messages).
KEYED = (
    ("units", "key", model.Unit, "单位"),
    ("inspectors", "cert_no", model.Inspector, "执法检查人员"),
    ("items", "code", model.Item, "抽查事项"),
)
# Rows without a stable key are sorted by their canonical bytes.
UNKEYED = (
    ("conflicts", model.Conflict, "利害关系"),
    ("exclusions", model.Exclusion, "不列入抽查名单"),
    ("history", model.HistoryEntry, "抽查历史"),
)
_SHOW = 5  # rows named per kind of change before "等"


def _by_key(rows: Iterable[Any], field: str, noun: str, label: str) -> tuple[Any, ...]:
    """Rows sorted by their stable key; a key appearing twice is refused."""
    rows = tuple(rows)
    counts = Counter(getattr(r, field) for r in rows)
    dups = sorted(k for k, n in counts.items() if n > 1)
    if dups:
        raise DrawError("；".join(f"{noun}{label}「{k}」出现 {counts[k]} 次" for k in dups))
    return tuple(sorted(rows, key=lambda r: getattr(r, field)))


def _units_by_key(units: Iterable[model.Unit]) -> model.UnitTable:
    """Units as a table sorted by key (model.UnitTable); a key appearing twice is refused as _by_key does.

    The table's rows are made in key order, so they lie in memory in the order every later pass reads them:
    units already sorted (a reader's directory is) take one pass over the objects, others two.
    """
    units = units if isinstance(units, (tuple, model.UnitTable)) else tuple(units)
    table = model.UnitTable.of(units)
    if table.keys_ascending():  # sorted and unique: the usual case
        return table
    keys = table.column("key")
    order = sorted(range(len(keys)), key=keys.__getitem__)
    if any(map(eq, map(keys.__getitem__, order), map(keys.__getitem__, islice(order, 1, None)))):
        _by_key(units, "key", "单位", "键")  # raises, naming every duplicate key
    table = table.take(order) if units is table else model.UnitTable.of(map(units.__getitem__, order))
    if not table.keys_ascending():  # checked here, once, for every later reader of the frozen inputs
        raise AssertionError("sorted unit keys do not ascend")  # pragma: no cover - sorted and deduplicated above
    return table


def _by_bytes(rows: Iterable[Any]) -> tuple[Any, ...]:
    """Rows without a stable key, sorted by their canonical JSON bytes so input order never matters."""
    return tuple(sorted(rows, key=canonical_bytes))


def build_draw_inputs(
    directory: model.Directory,
    detachment: str,
    brigade: str,
    rules: Any,
    history: Iterable[model.HistoryEntry],
    inspection_date: dt.date,
) -> model.DrawInputs:
    """What one brigade's draw depends on: its units, the pool its rules name, and rows touching them."""
    pool = set(rules.team.pool) or {brigade}  # an empty pool means the brigade's own inspectors
    units = tuple(u for u in directory.units if u.brigade == brigade)
    keys = {u.key for u in units}
    return normalise(model.DrawInputs(
        detachment=detachment,
        brigade=brigade,
        units=units,
        inspectors=tuple(i for i in directory.inspectors if i.brigade in pool),
        items=directory.items,
        conflicts=tuple(c for c in directory.conflicts if c.unit_key in keys),
        exclusions=tuple(e for e in directory.exclusions if e.unit_key in keys),
        history=tuple(h for h in history if h.unit_key in keys),
        rules=rules,
        inspection_date=inspection_date,
    ))


def normalise(inputs: model.DrawInputs) -> model.DrawInputs:
    """The same inputs with every tuple in canonical order; duplicate keys are refused."""
    return model.DrawInputs(
        detachment=inputs.detachment,
        brigade=inputs.brigade,
        units=_units_by_key(inputs.units),
        inspectors=_by_key(inputs.inspectors, "cert_no", "执法检查人员", "执法证号"),
        items=_by_key(inputs.items, "code", "抽查事项", "编码"),
        conflicts=_by_bytes(inputs.conflicts),
        exclusions=_by_bytes(inputs.exclusions),
        history=_by_bytes(inputs.history),
        rules=inputs.rules,
        inspection_date=inputs.inspection_date,
    )


_SCALARS = (str, bool, int, type(None))


def _rows_plain(rows: Sequence[Any]) -> list[dict[str, Any]]:
    """to_plain of flat value rows, converting only non-scalar fields (the document's hot loop)."""
    if not rows:
        return []
    names = list(to_plain(rows[0]))  # the row type's fields in canonical key order
    if isinstance(rows, model.UnitTable):  # from its rows: no Unit is made
        values = rows.values(names)
    else:
        values = map(attrgetter(*names), rows)
    return [{n: v if type(v) in _SCALARS else to_plain(v) for n, v in zip(names, row)} for row in values]


def frozen_document(inputs: model.DrawInputs) -> dict[str, Any]:
    """The canonical plain form of one brigade's inputs: what is hashed, committed and attached to records."""
    inputs = normalise(inputs)
    doc: dict[str, Any] = {
        "format": FORMAT,
        "scope": to_plain({
            "detachment": inputs.detachment,
            "brigade": inputs.brigade,
            "inspection_date": inputs.inspection_date,
        }),
    }
    for section in SECTIONS[1:-1]:
        doc[section] = _rows_plain(getattr(inputs, section))
    doc["rules"] = to_plain(inputs.rules)
    return doc


def _digests_of(section_bytes: Mapping[str, bytes], format_bytes: bytes) -> dict[str, str]:
    """Section digests, and the document digest from the same bytes assembled as one canonical object."""
    members = {**section_bytes, "format": format_bytes}
    document = b"{" + b",".join(b'"' + k.encode() + b'":' + members[k] for k in sorted(members)) + b"}"
    digests = {section: sha256_hex(section_bytes[section]) for section in SECTIONS}
    digests["document"] = sha256_hex(document)
    return digests


def input_digests(inputs: model.DrawInputs | Mapping[str, Any]) -> dict[str, str]:
    """SHA-256 (hex) of each section's canonical bytes, and of the whole document under "document"."""
    if isinstance(inputs, Mapping):
        if set(inputs) != {"format", *SECTIONS}:
            raise RecordError(f"不是 {FORMAT} 格式的冻结输入文件")
        # a document read from a file: re-encode every value canonically, trusting nothing about its order
        sections = {s: canonical_bytes(inputs[s]) for s in SECTIONS}
        return _digests_of(sections, canonical_bytes(inputs["format"]))
    doc = frozen_document(inputs)
    return _digests_of({s: plain_bytes(doc[s]) for s in SECTIONS}, plain_bytes(FORMAT))


def inputs_from_document(doc: Mapping[str, Any], rules_type: Any = None) -> model.DrawInputs:
    """Rebuild DrawInputs from a frozen document (as a verifier does from a record's attachment)."""
    if doc.get("format") != FORMAT or set(doc) != {"format", *SECTIONS}:
        raise RecordError(f"不是 {FORMAT} 格式的冻结输入文件")
    if rules_type is None:
        from dsr.core.rules import Rules as rules_type  # imported late: rules is written alongside this module
    try:
        scope = doc["scope"]
        for field in ("detachment", "brigade", "inspection_date"):
            if not isinstance(scope[field], str):
                raise TypeError(f"scope.{field} 应为文字")
        rows = {name: from_plain(tuple[cls, ...], doc[name]) for name, _, cls, _ in KEYED}
        rows |= {name: from_plain(tuple[cls, ...], doc[name]) for name, cls, _ in UNKEYED}
        inputs = model.DrawInputs(
            detachment=scope["detachment"],
            brigade=scope["brigade"],
            rules=from_plain(rules_type, doc["rules"]),
            inspection_date=dt.date.fromisoformat(scope["inspection_date"]),
            **rows,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise RecordError(f"冻结输入文件无法读取：{exc}") from None
    if frozen_document(inputs) != dict(doc):
        raise RecordError("冻结输入文件不是规范形式（行序或取值写法与规范编码不符）")
    return inputs


def _show(value: Any) -> str:
    """A plain value as a clerk reads it."""
    if value is None:
        return "空"
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)


def _names(keys: list[str]) -> str:
    """At most _SHOW keys, then 等."""
    head = "、".join(keys[:_SHOW])
    return head + ("等" if len(keys) > _SHOW else "")


def _field_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> str:
    """`field：old→new` for every field that differs, sorted by field name."""
    names = sorted(set(old) | set(new))
    return "，".join(
        f"{n}：{_show(old.get(n))}→{_show(new.get(n))}" for n in names if old.get(n) != new.get(n)
    )


def _diff_keyed(noun: str, field: str, old: list[dict], new: list[dict]) -> list[str]:
    """Added, removed and changed rows of a keyed section."""
    before = {r[field]: r for r in old}
    after = {r[field]: r for r in new}
    added = sorted(set(after) - set(before))
    removed = sorted(set(before) - set(after))
    changed = sorted(k for k in set(before) & set(after) if before[k] != after[k])
    lines = []
    if added:
        lines.append(f"新增 {len(added)} 个{noun}：{_names(added)}")
    if removed:
        lines.append(f"删除 {len(removed)} 个{noun}：{_names(removed)}")
    if changed:
        shown = [f"{k}（{_field_changes(before[k], after[k])}）" for k in changed]
        lines.append(f"{len(changed)} 个{noun}有变化：{_names(shown)}")
    return lines


def _diff_rows(noun: str, old: list[dict], new: list[dict]) -> list[str]:
    """Added and removed rows of a section without a stable key (a changed row is one of each)."""
    before = Counter(canonical_bytes(r) for r in old)
    after = Counter(canonical_bytes(r) for r in new)
    lines = []
    for verb, rows in (("新增", after - before), ("删除", before - after)):
        if rows:
            texts = [b.decode("utf-8") for b in sorted(rows.elements())]
            lines.append(f"{noun}{verb} {len(texts)} 条：{_names(texts)}")
    return lines


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested plain rules as dotted paths (list items by 0-based index), so a change names the setting."""
    if isinstance(value, dict):
        items = [(key, value[key]) for key in sorted(value)]
    elif isinstance(value, list):
        items = [(str(i), v) for i, v in enumerate(value)]
    else:
        return {prefix: value}
    out: dict[str, Any] = {}
    for key, item in items:
        out |= _flatten(item, f"{prefix}.{key}" if prefix else key)
    return out


def diff_inputs(committed: Mapping[str, Any], presented: Mapping[str, Any]) -> list[str]:
    """Name, in Chinese, what differs between two frozen documents (empty if nothing does)."""
    lines = []
    scope = _field_changes(committed.get("scope", {}), presented.get("scope", {}))
    if scope:
        lines.append(f"抽取范围有变化：{scope}")
    for section, field, _, noun in KEYED:
        lines += _diff_keyed(noun, field, committed.get(section, []), presented.get(section, []))
    for section, _, noun in UNKEYED:
        lines += _diff_rows(noun, committed.get(section, []), presented.get(section, []))
    rules = _field_changes(_flatten(committed.get("rules")), _flatten(presented.get("rules")))
    if rules:
        lines.append(f"抽查细则有变化：{rules}")
    return lines
