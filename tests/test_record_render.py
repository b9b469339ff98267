"""Executed notebook ▶ HTML: no scripts, nothing fetched, inputs escaped, volatile metadata dropped."""

from __future__ import annotations

import nbformat
import pytest

from dsr.errors import RecordError
from dsr.record.render import check_offline, render_html, strip_volatile
from dsr.record.show import Html, table

CLOCK = "2026-11-30T10:30:00+08:00"


def _executed(html_output: str) -> nbformat.NotebookNode:
    """A small notebook with outputs, as papermill would leave it (with its metadata)."""
    params = nbformat.v4.new_code_cell("brigade = ''", execution_count=1)
    params.metadata["tags"] = ["parameters"]
    injected = nbformat.v4.new_code_cell("brigade = '文峰区'", execution_count=2)
    injected.metadata["tags"] = ["injected-parameters"]
    shown = nbformat.v4.new_code_cell("show.table(rows)", execution_count=3, outputs=[
        nbformat.v4.new_output("execute_result", data={"text/html": html_output}, execution_count=3)])
    shown.metadata["papermill"] = {"start_time": "2026-11-26T17:00:00", "duration": 0.1}
    shown.metadata["execution"] = {"iopub.execute_input": "2026-11-26T17:00:00"}
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell("## 抽中的单位"), params, injected, shown])
    nb.metadata["papermill"] = {"start_time": "2026-11-26T17:00:00", "parameters": {}}
    return nb


def test_record_html_has_no_script_and_no_remote_reference():
    """The rendered record carries its own CSS and neither scripts nor links to the network."""
    html = render_html(_executed(table([("甲",)], ("单位",)).text), "记录", CLOCK).decode()
    assert "<script" not in html and "http://" not in html.replace('xmlns="http://www.w3.org', "")
    assert "https://" not in html and "<link" not in html
    assert "@page" in html and "WenQuanYi Micro Hei" in html


def test_hostile_unit_name_is_escaped_in_tables():
    """A unit name holding <script> is shown as text, never as markup."""
    cell = table([("<script>alert(1)</script>商店",)], ("单位名称",))
    html = render_html(_executed(cell.text), "记录", CLOCK).decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;商店" in html
    assert "<script" not in html


def test_unescaped_script_in_an_output_is_refused():
    """If anything ever put a raw script into an output, rendering refuses instead of publishing it."""
    with pytest.raises(RecordError) as info:
        render_html(_executed("<b>x</b><script>alert(1)</script>"), "记录", CLOCK)
    assert str(info.value).startswith("记录 HTML 含有脚本或外部引用，已拒绝生成：")


@pytest.mark.parametrize("fragment", [
    b'<img src="https://example.org/x.png">', b'<a href="//evil.example/">x</a>', b'<div onclick="x()">',
    b"<style>@import 'x.css';</style>", b'<link rel="stylesheet" href="a.css">', b"<iframe></iframe>",
])
def test_check_offline_refuses_fetches_and_handlers(fragment):
    """Every way a browser could fetch or run something is refused."""
    with pytest.raises(RecordError):
        check_offline(b"<html><body>" + fragment + b"</body></html>")


def test_check_offline_allows_text_that_only_mentions_urls():
    """Escaped text and SVG namespace declarations are not references."""
    check_offline(b'<p>&lt;script&gt; https://example.org</p><svg xmlns="http://www.w3.org/2000/svg"></svg>')


def test_volatile_metadata_and_defaults_cell_are_dropped():
    """Timestamps from papermill and nbclient, and the overridden defaults cell, never reach the HTML."""
    clean = strip_volatile(_executed("<b>x</b>"))
    assert "papermill" not in clean.metadata
    assert all("papermill" not in c.metadata and "execution" not in c.metadata for c in clean.cells)
    assert [c.metadata.get("tags") for c in clean.cells if c.cell_type == "code"] == [["injected-parameters"], None]


def test_same_notebook_renders_to_identical_bytes():
    """Rendering is a pure function of the notebook, title and clock."""
    nb = _executed(Html("<p>一致</p>").text)
    assert render_html(nb, "记录", CLOCK) == render_html(nb, "记录", CLOCK)


def test_html_is_chinese_and_carries_the_clock():
    """The page says it is Chinese and states the record's clock for the PDF metadata."""
    html = render_html(_executed("<p>x</p>"), "记录", CLOCK).decode()
    assert '<html lang="zh">' in html
    assert f'<meta content="{CLOCK}" name="dcterms.created"/>' in html or f'name="dcterms.created" content="{CLOCK}"' in html
