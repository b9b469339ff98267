"""Executed notebook ▶ deterministic, self-contained HTML (no scripts, nothing fetched)."""

from __future__ import annotations

import copy
import html
import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dsr.errors import RecordError

if TYPE_CHECKING:
    import nbformat

TEMPLATES = Path(__file__).parent / "templates"
CSS_FILE = TEMPLATES / "witness" / "witness.css"
# Anything that would make a browser fetch or run something when the record is opened.
_FORBIDDEN = re.compile(
    rb"<script|<iframe|<object|<embed|<link\b|<meta[^>]*http-equiv|@import"
    rb"|<[^>]*\s(?:src|href|xlink:href)\s*=\s*[\"']?(?:[a-z]+:)?//"
    rb"|<[^>]*\son[a-z]+\s*=|url\(\s*[\"']?(?:[a-z]+:)?//",
    re.IGNORECASE,
)
# Terminal colour codes in tracebacks and streams.
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# Output representations in order of preference: the record's own HTML first.
_MIME_ORDER = ("text/html", "image/svg+xml", "image/png", "image/jpeg", "text/markdown", "text/plain")


def _is_parameters(cell: Any) -> bool:
    return "parameters" in cell.get("metadata", {}).get("tags", ())


def strip_volatile(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy without the defaults cell, timestamps and run metadata, so equal runs render equally."""
    nb = copy.deepcopy(nb)
    # The defaults cell is overridden by the injected values shown right after it.
    nb.cells = [c for c in nb.cells if not _is_parameters(c)]
    for key in ("papermill", "widgets", "execution"):
        nb.metadata.pop(key, None)
    for cell in nb.cells:
        for key in ("papermill", "execution", "collapsed", "scrolled", "ExecuteTime"):
            cell.metadata.pop(key, None)
        for output in cell.get("outputs", ()):
            output.get("metadata", {}).pop("execution", None)
    return nb


@lru_cache(maxsize=1)
def record_css() -> str:
    """The record's own stylesheet (screen and A4 print)."""
    return CSS_FILE.read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def _markdown():
    """Markdown ▶ HTML (mistune, as nbconvert uses): the notebook's headings and explanations."""
    import mistune

    return mistune.create_markdown(escape=False, plugins=["table", "strikethrough"])


def style_element() -> str:
    """The record's <style> element exactly as render_html writes it (dsr.record.pdf recognises it and applies
    the stylesheet it parsed once per process instead of parsing this text again)."""
    return f"<style>\n{record_css()}</style>"


def warm_up() -> None:
    """Load what rendering needs (the stylesheet, the Markdown parser), e.g. while the kernel runs."""
    record_css()
    _markdown()("预热")


def _text(value: Any) -> str:
    """A notebook text field (a string or a list of lines) as one string."""
    return "".join(value) if isinstance(value, list) else str(value or "")


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _output(output: Any) -> str:
    """One cell output as HTML. The record's tables come as text/html already escaped by dsr.record.show;
    everything else that is text is escaped here."""
    kind = output.get("output_type")
    if kind == "stream":
        cls = "out err" if output.get("name") == "stderr" else "out"
        return f'<pre class="{cls}">{_esc(_ANSI.sub("", _text(output.get("text"))))}</pre>'
    if kind == "error":
        lines = "\n".join(_ANSI.sub("", line) for line in output.get("traceback", ()))
        return f'<pre class="out err">{_esc(lines or output.get("ename", "") + ": " + output.get("evalue", ""))}</pre>'
    data = output.get("data", {})
    mime = next((m for m in _MIME_ORDER if m in data), None)
    if mime is None:
        return ""
    value = _text(data[mime])
    if mime == "text/html":
        return value
    if mime == "image/svg+xml":
        return f'<div class="svg">{value}</div>'
    if mime in ("image/png", "image/jpeg"):
        return f'<img src="data:{mime};base64,{_esc(value.strip())}" alt="">'
    if mime == "text/markdown":
        return _markdown()(value)
    return f'<pre class="out">{_esc(value)}</pre>'


def _cell(cell: Any) -> str:
    """One cell: Markdown as HTML; code as escaped text followed by its outputs (no prompts, no wrappers
    that print nothing: every element costs WeasyPrint time)."""
    source = _text(cell.get("source"))
    kind = cell.get("cell_type")
    if kind == "markdown":
        return _markdown()(source)
    if kind != "code":
        return f'<pre class="out">{_esc(source)}</pre>' if source.strip() else ""
    outputs = "".join(_output(o) for o in cell.get("outputs", ()))
    return f'<div class="cell"><pre class="code">{_esc(source)}</pre>{outputs}</div>\n'


def render_html(nb: nbformat.NotebookNode, title: str, created: str) -> bytes:
    """Render an executed notebook to the record's HTML bytes; refuse output that would run or fetch anything.

    The page is the notebook's cells in order (the defaults cell, overridden by the injected values, is left
    out) with the record's stylesheet: no script, no metadata of the run, nothing fetched.
    """
    cells = "".join(_cell(c) for c in nb.cells if not _is_parameters(c))
    page = (
        '<!DOCTYPE html>\n<html lang="zh">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1.0">\n'
        f"<title>{_esc(title)}</title>\n"
        '<meta name="generator" content="dsr">\n'
        f'<meta name="dcterms.created" content="{_esc(created)}">\n'
        f'<meta name="dcterms.modified" content="{_esc(created)}">\n'
        f'{style_element()}\n</head>\n<body>\n<main>\n{cells}</main>\n</body>\n</html>\n'
    )
    data = page.encode("utf-8")
    check_offline(data)
    return data


def check_offline(html_bytes: bytes) -> None:
    """Raise RecordError if the HTML holds a script, an event handler or a reference to the network."""
    found = _FORBIDDEN.search(html_bytes)
    if found:
        start = max(found.start() - 40, 0)
        context = html_bytes[start:found.end() + 40].decode("utf-8", "replace")
        raise RecordError(f"记录 HTML 含有脚本或外部引用，已拒绝生成：…{context}…")
