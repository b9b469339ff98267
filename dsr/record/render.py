"""Executed notebook ▶ deterministic, self-contained HTML (no scripts, nothing fetched)."""

from __future__ import annotations

import copy
import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from dsr.errors import RecordError
from dsr.record.notebook import quick_import

if TYPE_CHECKING:
    import nbformat

TEMPLATES = Path(__file__).parent / "templates"
TEMPLATE_NAME = "witness"
# Anything that would make a browser fetch or run something when the record is opened.
_FORBIDDEN = re.compile(
    rb"<script|<iframe|<object|<embed|<link\b|<meta[^>]*http-equiv|@import"
    rb"|<[^>]*\s(?:src|href|xlink:href)\s*=\s*[\"']?(?:[a-z]+:)?//"
    rb"|<[^>]*\son[a-z]+\s*=|url\(\s*[\"']?(?:[a-z]+:)?//",
    re.IGNORECASE,
)


def strip_volatile(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy without the defaults cell, timestamps and run metadata, so equal runs render equally."""
    nb = copy.deepcopy(nb)
    # The defaults cell is overridden by the injected values shown right after it.
    nb.cells = [c for c in nb.cells if "parameters" not in c.get("metadata", {}).get("tags", ())]
    for key in ("papermill", "widgets", "execution"):
        nb.metadata.pop(key, None)
    for cell in nb.cells:
        for key in ("papermill", "execution", "collapsed", "scrolled", "ExecuteTime"):
            cell.metadata.pop(key, None)
        for output in cell.get("outputs", ()):
            output.get("metadata", {}).pop("execution", None)
    return nb


@lru_cache(maxsize=1)
def _exporter_class():
    """nbconvert's HTMLExporter without its BeautifulSoup pass.

    `HTMLExporter.from_notebook_node` renders the template, then parses the whole page again with
    BeautifulSoup only to add `tabindex` to cells and a stock `alt` to images, and serialises it anew:
    0.15-0.45 s of CPU on the critical path of every record. The record has neither interactive cells nor
    images without alt text (its charts are inline SVG), so this exporter does what HTMLExporter does up to
    that pass (the same filters as nbconvert 7.17) and returns the template's output as it is.
    """
    nbconvert = quick_import("nbconvert")
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.highlight import Highlight2HTML
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class WitnessExporter(nbconvert.HTMLExporter):
        def from_notebook_node(self, nb, resources=None, **kw):
            langinfo = nb.metadata.get("language_info", {})
            lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
            highlight_code = self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self))
            resources = self._init_resources(resources)
            data_type = WidgetsDataTypeFilter(notebook_metadata=self._nb_metadata, parent=self, resources=resources)
            self.register_filter("highlight_code", highlight_code)
            self.register_filter("filter_data_type", data_type)
            return TemplateExporter.from_notebook_node(self, nb, resources, **kw)

    return WitnessExporter


@lru_cache(maxsize=1)
def _exporter():
    """The record's exporter, ready to use: its templates compiled and nbformat's validator built.

    Jinja compiles the template chain, and nbformat builds its schema validator, on the first render only
    (about 0.15 s of CPU). A throw-away render of a two-cell notebook pays that here, so a caller that
    prepares the exporter early (make_record's warm-up, while the kernel runs) takes it off the record's path.
    """
    exporter = _exporter_class()(template_name=TEMPLATE_NAME, extra_template_basedirs=[str(TEMPLATES)])
    exporter.exclude_anchor_links = True
    # No "In [n]:" / "Out[n]:" prompt elements: hidden in print anyway, and each element costs layout time.
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    exporter.language_code = "zh"
    v4 = quick_import("nbformat.v4")
    shown = v4.new_code_cell("show.note('预热')", execution_count=1, outputs=[
        v4.new_output("execute_result", {"text/html": "<p>预热</p>", "text/plain": "预热"}, execution_count=1),
        v4.new_output("stream", name="stdout", text="预热\n")])
    exporter.from_notebook_node(v4.new_notebook(cells=[v4.new_markdown_cell("## 预热"), shown]),
                                resources={"dsr_css": "", "dsr_created": "", "metadata": {"name": "warm-up"}})
    return exporter


@lru_cache(maxsize=1)
def record_css() -> str:
    """The record's own stylesheet (screen and A4 print)."""
    return (TEMPLATES / TEMPLATE_NAME / "witness.css").read_text(encoding="utf-8")


def render_html(nb: nbformat.NotebookNode, title: str, created: str) -> bytes:
    """Render an executed notebook to the record's HTML bytes; refuse output that would run or fetch anything."""
    clean = strip_volatile(nb)
    clean.metadata["title"] = title
    resources = {"dsr_css": record_css(), "dsr_created": created, "metadata": {"name": title},
                 "language_code": "zh-CN"}
    body, _ = _exporter().from_notebook_node(clean, resources=resources)
    data = body.encode("utf-8")
    check_offline(data)
    return data


def check_offline(html: bytes) -> None:
    """Raise RecordError if the HTML holds a script, an event handler or a reference to the network."""
    found = _FORBIDDEN.search(html)
    if found:
        start = max(found.start() - 40, 0)
        context = html[start:found.end() + 40].decode("utf-8", "replace")
        raise RecordError(f"记录 HTML 含有脚本或外部引用，已拒绝生成：…{context}…")
