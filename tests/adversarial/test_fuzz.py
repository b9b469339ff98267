"""Fuzzing every reader and parser: only the project's own error types (DsrError) may escape."""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
import tempfile
import time
from collections import Counter
from pathlib import Path

import pytest
import yaml
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from hypothesis import given, settings
from hypothesis import strategies as st

from dsr.announce import load_entropy, load_sources
from dsr.ceremony.config import load_ceremony
from dsr.core import entropy, freeze
from dsr.core.canonical import from_plain
from dsr.core.rules import Rules
from dsr.errors import DsrError
from dsr.inputs import load_detachment, schema
from dsr.inputs.reader import read_one
from dsr.rules import load_rules_text
from dsr.synth import write_workbook

from .builders import REPO

DETACHMENT = load_detachment(REPO / "params" / "detachment.yaml")
ON = dt.date(2026, 12, 1)
SCRATCH = Path(tempfile.mkdtemp(prefix="dsr-fuzz-"))
RULES_TEXT = (REPO / "params/demo/_common.yaml").read_text(encoding="utf-8") + "brigade: 文峰区\n"
SOURCES_PLAIN = yaml.safe_load((REPO / "params/demo/sources.yaml").read_text(encoding="utf-8"))
SOURCES = load_sources(REPO / "params/demo/sources.yaml")
CEREMONY_TEXT = (REPO / "params/demo/ceremony.yaml").read_text(encoding="utf-8")
COUNTS: Counter[str] = Counter()

# ---------------------------------------------------------------- strategies

_TEXTS = st.sampled_from(["", " ", "是", "否", "Y", "×", "=1+1", "+1", "-1", "@SUM(1)", "文峰区", "安阳市文峰区消防救援大队",
                          "支队", "XF-001", "2026/13/01", "2026-02-30", "20260301", "1,200", "1200平方米", "９１",
                          "91410502MA9XK3L71X", "410502123456789", "\x00", "\u202e", "🔥", "a\nb", "消防安全重点单位"])
CELLS = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(allow_nan=True), _TEXTS,
                  st.text(max_size=30), st.dates(dt.date(1, 1, 1), dt.date(9999, 12, 31)),
                  st.datetimes(dt.datetime(1900, 1, 1), dt.datetime(2100, 1, 1)))
JSONISH = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=12)),
                       lambda inner: st.one_of(st.lists(inner, max_size=4),
                                               st.dictionaries(st.text(max_size=8), inner, max_size=4)),
                       max_leaves=12)
YAML_SCALARS = st.one_of(JSONISH, _TEXTS, st.decimals(allow_nan=False, allow_infinity=False).map(float))


def _csv_seed() -> bytes:
    head = ",".join(c.header for c in schema.UNITS.columns)
    row = ",".join(["某商贸公司", "91410502MA9XK3L71X", "张三", "文峰区某路 1 号", "市场监管局", "文峰区", "一般单位", "",
                    "否", "否", "多层", "1200", "", "灭火器", "零售业", "一般", "A", "在营", ""])
    return f"{head}\n{row}\n".encode("utf-8")


CSV_SEED = _csv_seed()


def _xlsx_seed() -> bytes:
    path = SCRATCH / "seed.xlsx"
    values = ("某商贸公司", "91410502MA9XK3L71X", "张三", "文峰区某路 1 号", "市场监管局", "文峰区", "一般单位", None, "否", "否",
              "多层", 1200, None, "灭火器", "零售业", "一般", "A", "在营", None)
    write_workbook(path, schema.UNITS, [values])
    return path.read_bytes()


XLSX_SEED = _xlsx_seed()


@st.composite
def mutated(draw, seed: bytes):
    """Seed bytes with a few random byte edits (flip, insert, delete, truncate)."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "insert", "delete", "truncate"]))
        i = draw(st.integers(0, max(0, len(data) - 1)))
        if op == "flip" and data:
            data[i] ^= draw(st.integers(1, 255))
        elif op == "insert":
            data[i:i] = draw(st.binary(min_size=1, max_size=8))
        elif op == "delete" and data:
            del data[i:i + draw(st.integers(1, 16))]
        elif op == "truncate":
            del data[i:]
    return bytes(data)


@st.composite
def yaml_edit(draw, plain):
    """A deep copy of `plain` with one value somewhere replaced, added or deleted."""
    doc = copy.deepcopy(plain)
    node = doc
    for _ in range(draw(st.integers(0, 3))):
        if isinstance(node, dict) and node:
            key = draw(st.sampled_from(sorted(node, key=str)))
            if isinstance(node[key], (dict, list)) and node[key]:
                node = node[key]
        elif isinstance(node, list) and node:
            i = draw(st.integers(0, len(node) - 1))
            if isinstance(node[i], (dict, list)) and node[i]:
                node = node[i]
    value = draw(YAML_SCALARS)
    if isinstance(node, dict):
        key = draw(st.one_of(st.sampled_from(sorted(node, key=str)) if node else st.just("x"), st.text(max_size=8)))
        if draw(st.booleans()) and key in node:
            del node[key]
        else:
            node[key] = value
    elif isinstance(node, list) and node:
        node[draw(st.integers(0, len(node) - 1))] = value
    return doc


# ---------------------------------------------------------------- properties


def _only_dsr(target: str, call) -> None:
    COUNTS[target] += 1
    try:
        call()
    except DsrError:
        pass


def _write(name: str, data: bytes) -> Path:
    path = SCRATCH / f"{os.getpid()}-{name}"
    path.write_bytes(data)
    return path


def prop_csv_bytes(data: bytes) -> None:
    """Any bytes as a CSV: read_one reports problems and never raises."""
    COUNTS["csv"] += 1
    read_one(_write("检查对象名录库.csv", data), DETACHMENT, ON)


def prop_xlsx_bytes(data: bytes) -> None:
    """Any damage to a workbook's bytes: read_one reports problems and never raises."""
    COUNTS["xlsx-bytes"] += 1
    read_one(_write("检查对象名录库.xlsx", data), DETACHMENT, ON)


def _storable(value):
    """Control characters cannot be stored in a workbook at all (the byte-level fuzz covers them)."""
    return ILLEGAL_CHARACTERS_RE.sub("", value) if isinstance(value, str) else value


def prop_xlsx_cells(rows: list[list]) -> None:
    """Any cell values (numbers, dates, text, NUL, formulas-as-text) in the units sheet: no exception."""
    COUNTS["xlsx-cells"] += 1
    path = SCRATCH / f"{os.getpid()}-cells" / "检查对象名录库.xlsx"
    path.parent.mkdir(exist_ok=True)
    write_workbook(path, schema.UNITS, [tuple(_storable(v) for v in r) for r in rows])
    read_one(path, DETACHMENT, ON)


def prop_rules_text(text: str) -> None:
    """Any text as a rules file: RulesError or rules."""
    _only_dsr("rules-text", lambda: load_rules_text(text, "fuzz.yaml", DETACHMENT.brigade_names()))


def prop_rules_edit(doc) -> None:
    """The demo rules with one value changed anywhere: RulesError or rules."""
    text = yaml.safe_dump(doc, allow_unicode=True)
    _only_dsr("rules-edit", lambda: load_rules_text(text, "fuzz.yaml", DETACHMENT.brigade_names()))


def prop_sources_edit(doc) -> None:
    """The demo sources with one value changed anywhere: DrawError or sources."""
    path = _write("sources.yaml", yaml.safe_dump(doc, allow_unicode=True).encode("utf-8"))
    _only_dsr("sources-edit", lambda: load_sources(path))


def prop_sources_bytes(data: bytes) -> None:
    """Any bytes as a sources file: DrawError or sources."""
    _only_dsr("sources-bytes", lambda: load_sources(_write("sources.yaml", data)))


def prop_entropy(doc) -> None:
    """Any entropy file read against the demo sources, then canonicalised: DrawError or a string."""
    path = _write("entropy.yaml", yaml.safe_dump(doc, allow_unicode=True).encode("utf-8"))

    def call():
        readings = load_entropy(path, SOURCES)
        entropy.canonical_entropy(SOURCES, readings.values, readings.fallbacks)
    _only_dsr("entropy", call)


def prop_ceremony(text: str) -> None:
    """The demo ceremony file with edits: CeremonyError or a ceremony."""
    path = _write("ceremony.yaml", text.encode("utf-8", "surrogatepass"))
    _only_dsr("ceremony", lambda: load_ceremony(path, REPO))


def prop_frozen(doc) -> None:
    """A frozen inputs document with one value changed anywhere: RecordError or inputs."""
    _only_dsr("frozen", lambda: freeze.inputs_from_document(doc))


def prop_rules_plain(doc) -> None:
    """from_plain(Rules, …) on an edited plain form: it raises ValueError by contract, nothing else."""
    COUNTS["from_plain"] += 1
    try:
        from_plain(Rules, doc)
    except ValueError:
        pass


def _frozen_plain() -> dict:
    from batch_helpers import write_workbooks
    from dsr.inputs.reader import read_inputs
    from dsr.rules import load_rules

    folder = SCRATCH / "frozen"
    books = write_workbooks(folder, brigades=("文峰区",), sizes={"文峰区": 6})
    checked = read_inputs(books, DETACHMENT, ON)
    (folder / "_common.yaml").write_text(RULES_TEXT, encoding="utf-8")
    rules = load_rules(folder / "_common.yaml")
    inputs = freeze.build_draw_inputs(checked.directory, DETACHMENT.name, "文峰区", rules, (), ON)
    return json.loads(json.dumps(freeze.frozen_document(inputs), ensure_ascii=False))


FROZEN = _frozen_plain()
RULES_PLAIN = FROZEN["rules"]
ENTROPY_PLAIN = {"ceremony_id": "AY-2026-12", "values": {"dice-a": "3 8 0 9 5 1 2 7 4 6 0 9 1 8 2 7 3 6 4 5",
                                                           "dice-b": "7 2 6 0 4 4 9 1 3 8 5 0 2 6 9 7 1 3 8 0",
                                                           "fc3d": "5 2 8", "phrase": "文字"}, "fallbacks": {}}
CEREMONY_EDITS = st.builds(lambda doc: yaml.safe_dump(doc, allow_unicode=True),
                           yaml_edit(yaml.safe_load(CEREMONY_TEXT))) | st.text(max_size=200)

TARGETS = {
    "csv": (prop_csv_bytes, st.one_of(mutated(CSV_SEED), st.binary(max_size=300))),
    "xlsx-bytes": (prop_xlsx_bytes, mutated(XLSX_SEED)),
    "xlsx-cells": (prop_xlsx_cells, st.lists(st.lists(CELLS, min_size=19, max_size=19), min_size=1, max_size=3)),
    "rules-text": (prop_rules_text, st.one_of(st.text(max_size=200), st.builds(lambda t: t, st.sampled_from([RULES_TEXT])),
                                              mutated(RULES_TEXT.encode()).map(lambda b: b.decode("utf-8", "replace")))),
    "rules-edit": (prop_rules_edit, yaml_edit(yaml.safe_load(RULES_TEXT))),
    "sources-edit": (prop_sources_edit, yaml_edit(SOURCES_PLAIN)),
    "sources-bytes": (prop_sources_bytes, mutated(yaml.safe_dump(SOURCES_PLAIN, allow_unicode=True).encode())),
    "entropy": (prop_entropy, yaml_edit(ENTROPY_PLAIN)),
    "ceremony": (prop_ceremony, CEREMONY_EDITS),
    "frozen": (prop_frozen, yaml_edit(FROZEN)),
    "from_plain": (prop_rules_plain, yaml_edit(RULES_PLAIN)),
}


def _run(name: str, examples: int) -> None:
    prop, strategy = TARGETS[name]

    def case(value) -> None:  # a new function per run: Hypothesis refuses to apply settings to one twice
        prop(value)

    case.__name__ = case.__qualname__ = prop.__name__
    given(strategy)(settings(settings.get_profile("adversarial"), max_examples=examples)(case))()


BUGS: dict[str, str] = {}  # target ▶ why it may still fail (strict xfail); empty: none known


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=BUGS[n])) if n in BUGS
                                  else n for n in sorted(TARGETS)])
def test_fuzz_quick(name: str):
    """A quick pass over each reader (DSR_FUZZ_EXAMPLES, default 60 cases): nothing but DsrError escapes."""
    _run(name, settings.get_profile("adversarial").max_examples)


@pytest.mark.slow
@pytest.mark.soak
def test_fuzz_ten_thousand_each():
    """10,000 cases for every reader and parser; prints the count and time of each."""
    n = int(os.environ.get("DSR_FUZZ_FULL", "10000"))
    lines, failed = [], {}
    for name in sorted(TARGETS, key=lambda t: t.startswith("xlsx")):  # the slow workbook targets last
        COUNTS[name] = 0
        start = time.perf_counter()
        try:
            _run(name, n)
        except Exception as exc:  # noqa: BLE001 - reported below; only known bugs may fail
            failed[name] = f"{type(exc).__name__}: {str(exc)[:200]}"
        lines.append(f"{name}: {COUNTS[name]} cases in {time.perf_counter() - start:.1f} s"
                     + (f" (FAILED: {failed[name][:80]})" if name in failed else ""))
        print(f"\nFUZZ {lines[-1]}", flush=True)
    assert set(failed) <= set(BUGS), failed
    assert all(COUNTS[name] >= n for name in TARGETS if name not in failed), COUNTS


def test_frozen_document_with_non_text_brigade_is_a_record_error():
    """A frozen inputs file whose scope.brigade is not text is refused as RecordError, not a TypeError crash."""
    from dsr.errors import RecordError

    doc = copy.deepcopy(FROZEN)
    doc["scope"]["brigade"] = {"x": [1.5]}
    with pytest.raises(RecordError):
        freeze.inputs_from_document(doc)
