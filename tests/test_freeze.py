"""Frozen inputs: building a brigade's DrawInputs, the canonical document, digests and the Chinese diff."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ceremony_data import DATE, directory, rules, unit
from dsr.core import model
from dsr.core.rules import Rules
from dsr.core.canonical import canonical_bytes, from_plain, to_plain
from dsr.core.freeze import (
    SECTIONS,
    build_draw_inputs,
    diff_inputs,
    frozen_document,
    input_digests,
    inputs_from_document,
    normalise,
)
from dsr.errors import DrawError, RecordError

HISTORY = (model.HistoryEntry("K003", "2026-文峰区-001", dt.date(2026, 3, 2), ("豫A0002",)),
           model.HistoryEntry("L001", "2026-北关区-001", dt.date(2026, 3, 2)))


def wenfeng(d: model.Directory | None = None) -> model.DrawInputs:
    """文峰区's inputs from the test directory."""
    return build_draw_inputs(d or directory(), "安阳市消防救援支队", "文峰区", rules(), HISTORY, DATE)


def test_build_selects_brigade_rows():
    """Only 文峰区 units, the pool named by the rules, and side rows touching 文峰区 units are kept."""
    inputs = wenfeng()
    assert [u.key for u in inputs.units] == ["K000", "K001", "K002", "K003", "K004", "K005"]
    assert [i.cert_no for i in inputs.inspectors] == ["豫A0001", "豫A0002", "豫S0001"]
    assert [c.unit_key for c in inputs.conflicts] == ["K001"]
    assert [e.unit_key for e in inputs.exclusions] == ["K002"]
    assert [h.unit_key for h in inputs.history] == ["K003"]
    assert [i.code for i in inputs.items] == ["XF-001", "XF-002"]


def test_document_sections_and_scope():
    """The document has its format, a scope and the seven input sections."""
    doc = frozen_document(wenfeng())
    assert sorted(doc) == sorted(["format", *SECTIONS])
    assert doc["scope"] == {"detachment": "安阳市消防救援支队", "brigade": "文峰区", "inspection_date": "2026-12-01"}
    assert doc["units"][0]["floor_area"] == "1200.5"


def test_digests_are_section_hashes():
    """Each digest is SHA-256 of that section's canonical bytes; "document" covers the whole."""
    import hashlib

    inputs = wenfeng()
    doc = frozen_document(inputs)
    digests = input_digests(inputs)
    assert digests["units"] == hashlib.sha256(canonical_bytes(doc["units"])).hexdigest()
    assert digests["document"] == hashlib.sha256(canonical_bytes(doc)).hexdigest()
    assert input_digests(doc) == digests


def test_duplicate_unit_key_refused():
    """A unit key appearing twice is refused, naming the key and the count."""
    d = directory()
    d = replace(d, units=d.units + (unit("K001", "另一个单位"),))
    with pytest.raises(DrawError) as err:
        wenfeng(d)
    assert str(err.value) == "单位键「K001」出现 2 次"


def test_duplicate_cert_no_refused():
    """An inspector certificate number appearing twice is refused."""
    d = directory()
    d = replace(d, inspectors=d.inspectors + d.inspectors[:1])
    with pytest.raises(DrawError) as err:
        wenfeng(d)
    assert str(err.value) == "执法检查人员执法证号「豫A0002」出现 2 次"


def test_decimal_formatting_does_not_change_hash():
    """1200.50 and 1200.5 (a cell reformatted) freeze to the same bytes."""
    d = directory()
    reformatted = replace(d, units=tuple(replace(u, floor_area=Decimal("1200.50")) for u in d.units))
    assert input_digests(wenfeng(reformatted)) == input_digests(wenfeng(d))


def test_round_trip_through_document():
    """A frozen document read back gives the same inputs, with the real Rules type by default."""
    inputs = wenfeng()
    assert inputs_from_document(frozen_document(inputs)) == inputs
    assert isinstance(inputs_from_document(frozen_document(inputs)).rules, Rules)


def test_non_canonical_document_refused():
    """A document whose rows are out of canonical order is not accepted as frozen inputs."""
    doc = frozen_document(wenfeng())
    doc["units"] = doc["units"][::-1]
    with pytest.raises(RecordError) as err:
        inputs_from_document(doc, rules_type=Rules)
    assert str(err.value) == "冻结输入文件不是规范形式（行序或取值写法与规范编码不符）"


def test_wrong_format_refused():
    """A JSON file that is not a frozen-inputs document is refused."""
    with pytest.raises(RecordError) as err:
        inputs_from_document({"format": "other"}, rules_type=Rules)
    assert str(err.value) == "不是 dsr-frozen-inputs/1 格式的冻结输入文件"


def test_diff_names_changed_added_removed():
    """The diff names changed units with field old→new, added and removed units, side rows and rules."""
    before = frozen_document(wenfeng())
    d = directory()
    units = [replace(u, name="改名单位") if u.key == "K001" else u for u in d.units if u.key != "K004"]
    units.append(unit("K009", "新单位"))
    d = replace(d, units=tuple(units), conflicts=d.conflicts[1:])
    after_inputs = replace(wenfeng(d), rules=rules(ratio="0.1"))
    after = frozen_document(after_inputs)
    assert diff_inputs(before, after) == [
        "新增 1 个单位：K009",
        "删除 1 个单位：K004",
        "1 个单位有变化：K001（name：文峰单位1号→改名单位）",
        '利害关系删除 1 条：{"cert_no":"豫A0001","kind":"近亲属","source":"本人申报","unit_key":"K001","valid_from":null,"valid_to":null}',
        "抽查细则有变化：strata.0.ratio：0.5→0.1",
    ]


def test_diff_counts_many_changes_and_truncates():
    """Three changed units are counted; names beyond five are cut with 等."""
    before = frozen_document(wenfeng())
    d = directory()
    d = replace(d, units=tuple(replace(u, risk="高") if u.key in ("K000", "K002", "K005") else u for u in d.units))
    assert diff_inputs(before, frozen_document(wenfeng(d))) == [
        "3 个单位有变化：K000（risk：一般→高）、K002（risk：一般→高）、K005（risk：一般→高）"
    ]
    d = replace(directory(12), units=())
    lines = diff_inputs(frozen_document(wenfeng(directory(12))), frozen_document(wenfeng(d)))
    assert lines[0] == "删除 12 个单位：K000、K001、K002、K003、K004等"
    # the units' conflict, exclusion and history rows leave with them
    assert [line.split("：")[0] for line in lines[1:]] == ["利害关系删除 1 条", "不列入抽查名单删除 1 条", "抽查历史删除 1 条"]


def test_diff_scope_change():
    """A changed inspection date is named as a scope change."""
    inputs = wenfeng()
    lines = diff_inputs(frozen_document(inputs), frozen_document(replace(inputs, inspection_date=dt.date(2026, 12, 2))))
    assert lines == ["抽取范围有变化：inspection_date：2026-12-01→2026-12-02"]


def test_identical_documents_have_no_diff():
    """Equal inputs give an empty diff."""
    assert diff_inputs(frozen_document(wenfeng()), frozen_document(wenfeng())) == []


# --- Hypothesis: the hash depends on values only, never on row order -----------------------------

_text = st.text(alphabet=st.sampled_from("安阳文峰区消防ABC0123 -·🔥"), min_size=1, max_size=8)
_units = st.lists(
    st.builds(
        unit,
        key=st.from_regex(r"[0-9A-HJ-NPQRTUWXY]{18}", fullmatch=True),
        name=_text,
        risk=st.sampled_from(model.RISK_LEVELS),
        crowded=st.booleans(),
        floor_area=st.none() | st.decimals(min_value=0, max_value=10**6, places=2),
    ),
    min_size=1,
    max_size=12,
    unique_by=lambda u: u.key,
)


def _digest(units) -> str:
    """Document digest of 文峰区 inputs holding exactly these units."""
    inputs = model.DrawInputs("安阳市消防救援支队", "文峰区", tuple(units), (), (), (), (), (), rules(), DATE)
    return input_digests(inputs)["document"]


@settings(max_examples=60, deadline=None)
@given(_units, st.randoms(use_true_random=False))
def test_hash_invariant_under_row_permutation(units, rnd):
    """Shuffling the rows of the workbook leaves the frozen hash unchanged."""
    shuffled = list(units)
    rnd.shuffle(shuffled)
    assert _digest(shuffled) == _digest(units)


@settings(max_examples=60, deadline=None)
@given(_units, st.data())
def test_hash_changes_with_any_single_field(units, data):
    """Changing any one field of any one unit to a different value changes the frozen hash."""
    index = data.draw(st.integers(0, len(units) - 1))
    field = data.draw(st.sampled_from(["name", "address", "risk", "crowded", "floor_area", "legal_rep"]))
    old = getattr(units[index], field)
    new = data.draw({
        "name": _text, "address": _text, "legal_rep": st.none() | _text,
        "risk": st.sampled_from(model.RISK_LEVELS), "crowded": st.booleans(),
        "floor_area": st.none() | st.decimals(min_value=0, max_value=10**6, places=2),
    }[field].filter(lambda v: v != old or type(v) is not type(old)))
    changed = list(units)
    changed[index] = replace(units[index], **{field: new})
    assert _digest(changed) != _digest(units)


@settings(max_examples=40, deadline=None)
@given(_units)
def test_plain_round_trip(units):
    """from_plain inverts to_plain for any generated unit."""
    assert from_plain(tuple[model.Unit, ...], to_plain(tuple(units))) == tuple(units)


def test_normalise_is_idempotent():
    """Normalising twice equals normalising once."""
    assert normalise(normalise(wenfeng())) == normalise(wenfeng())
