"""The record notebook's parameters: declared names, strict checking, readable injected values."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from dsr.errors import RecordError
from dsr.record import notebook as nbrun
from dsr.record.pipeline import notebook_parameters
from record_data import OPERATOR, WITNESSES, Ceremony, Keys, params

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "draw.ipynb"


def _toy(source: str) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["tags"] = ["parameters"]
    return nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("标题"), cell])


def _fake_ceremony(tmp_path: Path) -> Ceremony:
    keys = Keys(tmp_path / "ca.pem", tmp_path / "x.p12", tmp_path / "w.p12", "秘密")
    return Ceremony(tmp_path, (tmp_path / "单位.csv",), tmp_path / "detachment.yaml", tmp_path / "rules.yaml",
                    tmp_path / "c.json", tmp_path / "f.json", keys)


def test_parameter_names_are_the_top_level_assignments():
    """Names assigned at top level of the parameters cell, in order, annotated ones included."""
    nb = _toy("a = 1\nb: int = 2\nc = d = 3\nif a:\n    e = 4\n")
    assert nbrun.parameter_names(nb) == ("a", "b", "c", "d")


def test_unknown_and_missing_parameters_are_refused_together():
    """Parameters the cell does not declare, and declared ones not given, are named in one message."""
    with pytest.raises(RecordError) as info:
        nbrun.check_parameters(_toy("brigade = ''\nseed = ''\n"), {"brigade": "文峰区", "brigad": "x", "zz": 1})
    assert str(info.value) == "参数与笔记本不符。笔记本 parameters 单元中没有这些参数：brigad、zz；缺少这些参数：seed"


def test_notebook_without_parameters_cell_is_refused():
    """A notebook with no cell tagged parameters cannot be run as a record."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    with pytest.raises(RecordError) as info:
        nbrun.parameter_names(nb)
    assert str(info.value) == "笔记本应恰有一个标记为 parameters 的单元，实有 0 个"


def test_pipeline_parameters_match_the_draw_notebook(tmp_path):
    """What make_record passes is exactly what notebooks/draw.ipynb declares: no more, no less."""
    c = _fake_ceremony(tmp_path)
    files = [(p, p.name, "workbook") for p in c.workbooks]
    files += [(c.detachment, "detachment.yaml", "detachment"), (c.rules, "rules.yaml", "rules"),
              (c.commitment, "commitment.json", "commitment"), (c.frozen, "frozen-inputs.json", "frozen-inputs")]
    given = notebook_parameters(params(c), files, {"subject": "s"},
                                "2026-11-30T10:30:00+08:00")
    nbrun.check_parameters(nbrun.read_notebook(NOTEBOOK), given)
    assert set(given) == set(nbrun.parameter_names(nbrun.read_notebook(NOTEBOOK)))


def test_pipeline_parameters_hold_relative_paths_only(tmp_path):
    """No path of the machine reaches the record: inputs are referred to under inputs/."""
    c = _fake_ceremony(tmp_path)
    files = [(c.workbooks[0], "单位.csv", "workbook"), (c.detachment, "detachment.yaml", "detachment"),
             (c.rules, "rules.yaml", "rules"), (c.commitment, "commitment.json", "commitment"),
             (c.frozen, "frozen-inputs.json", "frozen-inputs")]
    given = notebook_parameters(params(c), files, {}, "t")
    text = repr(given)
    assert str(tmp_path) not in text and "秘密" not in text
    assert given["workbooks"] == ["inputs/单位.csv"] and given["rules_file"] == "inputs/rules.yaml"


def test_injected_cell_keeps_chinese_readable_and_follows_parameters():
    """The injected values are Python literals with Chinese as Chinese, right after the parameters cell."""
    nb = nbrun.with_parameters(_toy("brigade = ''\nwitnesses = []\n"),
                               {"brigade": "文峰区", "witnesses": list(WITNESSES[:1])})
    injected = nb.cells[2]
    assert injected.metadata["tags"] == ["injected-parameters"]
    assert "brigade = '文峰区'" in injected.source
    assert "'name': '王建国'" in injected.source


def test_injected_values_must_be_plain_literals():
    """Anything but str, int, bool, None, lists and dicts is refused, so no object can carry code."""
    with pytest.raises(RecordError) as info:
        nbrun.with_parameters(_toy("operator = {}\n"), {"operator": {"name": OPERATOR["name"], "x": object()}})
    assert str(info.value) == "参数「operator」只能是文字、整数、列表或字典，实为 object"


def test_draw_notebook_is_stored_without_outputs():
    """The committed notebook has no outputs or execution counts."""
    nb = nbrun.read_notebook(NOTEBOOK)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)


def test_quick_import_leaves_out_what_dsr_never_uses_and_only_while_importing():
    """In a fresh interpreter: papermill and nbformat load without requests and jsonschema's optional format
    checkers; papermill's HTTP handler refuses to be used; later imports get the real modules; nbformat still
    validates."""
    import json
    import subprocess
    import sys

    code = """
import json, sys
from dsr.errors import RecordError
from dsr.record import notebook as n
n.quick_import("papermill")
out = {"loaded": sorted(m for m in ("requests", "urllib3", "isoduration", "rfc3987_syntax", "webcolors", "idna")
                        if m in sys.modules)}
import papermill.iorw
try:
    papermill.iorw.HttpHandler.read("http://example.invalid/x.ipynb")
except RecordError:
    out["http"] = "refused"
import requests, isoduration
out["later"] = [hasattr(requests, "get"), hasattr(isoduration, "parse_duration")]
import nbformat
try:
    nbformat.validate({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [], "stray": 1})
except nbformat.ValidationError:
    out["validates"] = True
print(json.dumps(out))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got == {"loaded": [], "http": "refused", "later": [True, True], "validates": True}, done.stderr
