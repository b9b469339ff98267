"""Record HTML ▶ PDF/A-3b: the same HTML, attachments and clock give the same bytes, whenever rendered."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dsr.record.pdf import Attachment, html_to_pdf

CLOCK = "2026-11-30T10:30:00+08:00"
HTML = ('<!DOCTYPE html><html lang="zh"><head><meta charset="utf-8"><title>记录</title></head>'
        "<body><p>见证：今天安阳晴，大家平安 🔥🚒</p></body></html>").encode()


@pytest.mark.slow
def test_pdf_with_an_emoji_is_identical_a_second_later():
    """fontTools rewrites colour-emoji fonts; their timestamp is the record's clock, not the time of rendering."""
    attachments = [Attachment("record.json", b"{}", "Data", "record")]
    first = html_to_pdf(HTML, attachments, CLOCK)
    time.sleep(1.1)
    assert html_to_pdf(HTML, attachments, CLOCK) == first
    assert "SOURCE_DATE_EPOCH" not in os.environ


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the search is skipped on Linux only")
def test_weasyprint_loads_its_libraries_without_a_library_search():
    """In a fresh process, import_weasyprint runs no ctypes.util.find_library (ldconfig, gcc) and WeasyPrint
    has pango, harfbuzz (with subsetting) and fontconfig; afterwards the search works as before."""
    code = (
        "import ctypes.util\n"
        "calls = []\n"
        "real = ctypes.util.find_library\n"
        "ctypes.util.find_library = lambda n: calls.append(n) or real(n)\n"
        "from dsr.record.offline import import_weasyprint\n"
        "import_weasyprint()\n"
        "from weasyprint.text import ffi\n"
        "assert ffi.pango and ffi.harfbuzz and ffi.harfbuzz_subset and ffi.fontconfig\n"
        "assert ctypes.util.find_library('c') is not None\n"
        "print(len(calls) - 1)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "0"


GOLDEN_HTML = Path(__file__).parent / "golden" / "record-文峰区.html"
# Every element the lean user-agent sheet is written for, nested as Markdown and the record nest them.
ALL_LEAN_TAGS = (
    '<!DOCTYPE html><html lang="zh"><head><meta charset="utf-8"><title>全部</title>'
    "<style>table { border-collapse: collapse } td, th { border: 1px solid #999 }</style></head><body><main>"
    "<h1>一</h1><h2>二</h2><h3>三</h3><h4>四</h4><h5>五</h5><h6>六</h6>"
    "<section><p>段落 <b>粗</b> <strong>强</strong> <em>强调</em> <i>斜</i> <small>小</small> H<sub>2</sub>O "
    "x<sup>2</sup> <del>删</del> <s>划</s> <span>跨</span> <code>code()</code><br>换行</p></section>"
    "<div><ul><li>一<ul><li>二<ul><li>三</li></ul></li></ul></li></ul>"
    "<ol><li>甲<ol><li>乙</li></ol><ul><li>丙</li></ul></li></ol></div>"
    "<pre>def f():\n    return 1\n</pre>"
    "<table><caption>表</caption><colgroup><col><col></colgroup><thead><tr><th>头</th><th>头</th></tr></thead>"
    "<tbody><tr><td>格</td><td>格</td></tr></tbody><tfoot><tr><td>脚</td><td>脚</td></tr></tfoot></table>"
    '<table><tr><td>无 tbody</td></tr></table>'
    '<svg xmlns="http://www.w3.org/2000/svg" width="60" height="20"><title>图</title><desc>说明</desc><defs></defs>'
    '<g><rect x="0" y="0" width="10" height="10"/><line x1="0" y1="0" x2="9" y2="9" stroke="#000"/>'
    '<circle cx="15" cy="5" r="4"/><ellipse cx="25" cy="5" rx="4" ry="2"/><polyline points="30,0 35,9"/>'
    '<polygon points="40,0 45,9 50,0"/><path d="M50 0h5v5z"/><text x="0" y="18">字<tspan>符</tspan></text></g></svg>'
    '<img alt="" src="data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==">'
    "</main></body></html>"
)


def _full_ua_pdf(monkeypatch, html: bytes) -> bytes:
    """The same render with WeasyPrint's own user-agent stylesheet."""
    import weasyprint

    from dsr.record import pdf

    with monkeypatch.context() as patch:
        patch.setattr(pdf, "_record_html_class", lambda: weasyprint.HTML)
        return html_to_pdf(html, [Attachment("record.json", b"{}", "Data", "record")], CLOCK)


@pytest.mark.parametrize("name", ["golden", "all-lean-tags"])
def test_lean_user_agent_sheet_gives_the_same_pdf_bytes(monkeypatch, name):
    """The record is styled with the lean user-agent sheet (WeasyPrint's hook still exists and is called), and
    the PDF is byte for byte the one WeasyPrint's full sheet gives."""
    import weasyprint

    from dsr.record import pdf

    assert callable(getattr(weasyprint.HTML, "_ua_stylesheets", None))
    html = GOLDEN_HTML.read_bytes() if name == "golden" else ALL_LEAN_TAGS.encode()
    cls = pdf._record_html_class()
    used = cls.lean_used
    lean = html_to_pdf(html, [Attachment("record.json", b"{}", "Data", "record")], CLOCK)
    assert cls.lean_used == used + 1
    assert lean == _full_ua_pdf(monkeypatch, html)


@pytest.mark.parametrize("fragment", [
    '<a href="#x">链接</a>', "<blockquote>引</blockquote>", "<hr>", '<p hidden>隐</p>', '<p dir="rtl">向</p>',
    '<table rules="all"><tr><td>格</td></tr></table>', "<dl><dt>词</dt><dd>义</dd></dl>",
    '<svg xmlns="http://www.w3.org/2000/svg"><a href="#x"><text>链</text></a></svg>',
])
def test_other_elements_are_styled_with_weasyprints_own_sheet(fragment):
    """An element or attribute the lean sheet has no rule for makes the render use WeasyPrint's full sheet."""
    import weasyprint

    from dsr.record import pdf

    html = f'<!DOCTYPE html><html lang="zh"><head><meta charset="utf-8"></head><body><main>{fragment}</main></body></html>'
    assert not pdf.lean_ua_applies(weasyprint.HTML(string=html).etree_element)
    cls = pdf._record_html_class()
    used = cls.lean_used
    html_to_pdf(html.encode(), [], CLOCK)
    assert cls.lean_used == used


def test_a_process_renders_with_one_font_configuration_and_the_same_bytes(monkeypatch):
    """Renders share one FontConfiguration (faces loaded once per process); the PDF is the one a fresh
    configuration gives, and a render while another holds it (a second thread) gets a fresh one."""
    from weasyprint.text.fonts import FontConfiguration

    from dsr.record import pdf

    html = GOLDEN_HTML.read_bytes()
    shared = pdf._font_config()
    first = html_to_pdf(html, [], CLOCK)
    assert pdf._font_config() is shared
    with monkeypatch.context() as patch:
        patch.setattr(pdf, "_font_config", lambda: FontConfiguration())
        assert html_to_pdf(html, [], CLOCK) == first
    with pdf._FONTS_LOCK:  # as if another thread were rendering
        assert html_to_pdf(html, [], CLOCK) == first
    assert html_to_pdf(html, [], CLOCK) == first


def test_each_stream_is_compressed_once_and_the_bytes_are_unchanged(monkeypatch):
    """pydyf makes a stream's bytes for the file and again for PDF/A's /ID digest; the finisher makes each
    font, page and attachment stream once (only pydyf's own object and xref streams are made twice), and
    the PDF is byte for byte the one pydyf writes without it when it deflates at the same level."""
    import types
    import zlib

    import pydyf

    from dsr.record import pdf

    html = GOLDEN_HTML.read_bytes()
    attachments = [Attachment("record.json", b'{"a": 1}' * 5000, "Data", "record")]
    made: dict[int, list] = {}
    original = pydyf.Stream.data

    def counted(self):
        made.setdefault(id(self), [self, 0])[1] += 1
        return original.fget(self)

    deflated = pdf._deflated

    def counted_deflate(stream):
        made.setdefault(id(stream), [stream, 0])[1] += 1
        return deflated(stream)

    with monkeypatch.context() as patch:
        patch.setattr(pydyf.Stream, "data", property(counted))
        patch.setattr(pdf, "_deflated", counted_deflate)
        once = html_to_pdf(html, attachments, CLOCK)
    twice = [obj.extra.get("Type") for obj, n in made.values() if n > 1]
    assert len(made) > 20 and set(twice) <= {"/ObjStm", "/XRef"}
    with monkeypatch.context() as patch:
        patch.setattr(pdf, "_compress_once", lambda document, pdf_: None)
        level_nine = html_to_pdf(html, attachments, CLOCK)
        # pydyf at DEFLATE_LEVEL for every stream but the object and xref streams it makes while writing
        shim = types.SimpleNamespace(compress=zlib.compress,
                                     compressobj=lambda level=-1: zlib.compressobj(level=pdf.DEFLATE_LEVEL))

        def at_level(self):
            if self.extra.get("Type") in ("/ObjStm", "/XRef"):
                return original.fget(self)
            pydyf.zlib = shim
            try:
                return original.fget(self)
            finally:
                pydyf.zlib = zlib

        patch.setattr(pydyf.Stream, "data", property(at_level))
        assert html_to_pdf(html, attachments, CLOCK) == once
    assert pdf.DEFLATE_LEVEL == 6 and level_nine != once and len(level_nine) < len(once) < len(level_nine) * 1.02


def test_an_attached_workbook_is_stored_as_it_is():
    """A ZIP container (.xlsx) is attached without a second deflate; it reads back byte for byte."""
    import io
    import zipfile

    from dsr.record.verify import pdf_attachments

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as book:
        book.writestr("xl/workbook.xml", "<workbook>" + "单位" * 2000 + "</workbook>")
    workbook = buffer.getvalue()
    data = html_to_pdf(HTML, [Attachment("名录库.xlsx", workbook, "Source", "workbook"),
                              Attachment("record.json", b"{}" * 3000, "Data", "record")], CLOCK)
    assert workbook in data  # not deflated again
    assert b"{}" * 3000 not in data  # other attachments still are
    assert pdf_attachments(data) == {"名录库.xlsx": workbook, "record.json": b"{}" * 3000}


def test_prepare_leaves_a_render_no_c_type_to_parse():
    """After pdf.prepare(), a fresh process's first render parses no C type (the list in pdf._FIXED_C_TYPES is
    complete and valid, and the glyph arrays sized by the document are built without pycparser) and imports
    no module — also with an emoji in a witness phrase, as the demo records have."""
    with_emoji = GOLDEN_HTML.read_bytes().replace(b"</main>", "<p>见证：今天安阳晴，大家平安 🔥🚒</p></main>".encode())
    code = (
        "import cffi.cparser as cp\n"
        "from dsr.record.pdf import Attachment, html_to_pdf, prepare\n"
        "prepare()\n"
        "seen = []\n"
        "real = cp.Parser._parse\n"
        "cp.Parser._parse = lambda self, src: seen.append(src) or real(self, src)\n"
        f"html_to_pdf({with_emoji!r}, [Attachment('record.json', b'{{}}', 'Data')], {CLOCK!r})\n"
        "from weasyprint.text.ffi import ffi\n"
        "print(len(seen), sum(1 for k in ffi._parsed_types if k.startswith('hb_codepoint_t[')))\n"
        "print(sorted(set(sys.modules) - loaded))\n"
    )
    code = code.replace("prepare()\n", "prepare()\nimport sys\nloaded = set(sys.modules)\n", 1)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    counts, imported = done.stdout.strip().split("\n")
    parsed, arrays = counts.split()
    assert parsed == "0" and int(arrays) > 2
    assert imported == "[]"  # and the modules a render imports were imported by prepare()


def test_glyph_arrays_are_the_types_cffi_parses_and_give_the_same_bytes(monkeypatch):
    """A glyph array built without the parser is the type cffi's parser gives for the same text, and the PDF is
    byte for byte the one rendered with cffi parsing every size."""
    from cffi import model

    from dsr.record import pdf

    ffi = pdf._c_types()
    assert isinstance(ffi._parsed_types, pdf._ParsedTypes)
    for size in (1, 7, 623, 65536):
        built = ffi.typeof(f"hb_codepoint_t[{size}]")
        with ffi._lock:
            parsed = ffi._parser.parse_type(f"hb_codepoint_t[{size}]")
            assert parsed == model.ArrayType(ffi._parsed_types._item, size)
            assert ffi._get_cached_btype(parsed) is built
        assert ffi.sizeof(built) == 4 * size
    with pytest.raises(KeyError):
        ffi._parsed_types["hb_codepoint_t[x]"]
    html = GOLDEN_HTML.read_bytes()
    built_pdf = html_to_pdf(html, [], CLOCK)
    plain = {k: v for k, v in ffi._parsed_types.items() if not pdf._GLYPH_ARRAY.fullmatch(k)}
    with monkeypatch.context() as patch:
        patch.setattr(ffi, "_parsed_types", plain)
        assert html_to_pdf(html, [], CLOCK) == built_pdf
    assert any(pdf._GLYPH_ARRAY.fullmatch(k) for k in plain)  # cffi parsed them this time


def test_the_records_stylesheet_is_parsed_once_per_process_with_the_same_bytes(monkeypatch):
    """The record's own <style> (render.style_element) is not parsed again for each render: its sheet, parsed
    once, is passed instead (user origin: the same cascade with no other author sheet and no `!important`),
    and the PDF is byte for byte the one WeasyPrint gives parsing the <style> text. A document with another
    <style> element is rendered as it is."""
    import weasyprint

    from dsr.record import pdf
    from dsr.record.render import record_css, style_element

    html = GOLDEN_HTML.read_bytes()
    assert style_element().encode() in html
    assert "!important" not in record_css() and "!important" not in pdf.UA_CSS_FILE.read_text(encoding="utf-8")
    text, sheets = pdf._own_sheet(html.decode())
    assert sheets == [pdf._record_sheet()[1]] and record_css() not in text
    parsed = []
    real = weasyprint.CSS.__init__

    def counted(self, *args, **kwargs):
        parsed.append(kwargs.get("string"))
        real(self, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(weasyprint.CSS, "__init__", counted)
        once = html_to_pdf(html, [], CLOCK)
    assert parsed == [""]  # only the emptied <style> element
    with monkeypatch.context() as patch:
        patch.setattr(pdf, "_own_sheet", lambda text: (text, []))
        assert html_to_pdf(html, [], CLOCK) == once
    other = html.replace(b"</main>", b"<style>p { color: red }</style></main>")
    assert pdf._own_sheet(other.decode()) == (other.decode(), [])


def test_the_collector_is_paused_while_rendering_and_restored(monkeypatch):
    """No cyclic collection runs during a render (the collector is off while WeasyPrint lays out and writes),
    and the collector is left as it was found: on stays on, off stays off, also when the render fails."""
    import gc

    from dsr.record import pdf

    seen = []
    finisher = pdf._compress_once

    def watched(document, pdf_):
        seen.append(gc.isenabled())
        finisher(document, pdf_)

    monkeypatch.setattr(pdf, "_compress_once", watched)
    assert gc.isenabled()
    html_to_pdf(HTML, [], CLOCK)
    assert seen == [False] and gc.isenabled()
    gc.disable()
    try:
        html_to_pdf(HTML, [], CLOCK)
        assert not gc.isenabled()
    finally:
        gc.enable()
    with pytest.raises(Exception):
        html_to_pdf(HTML, [], "not a clock")
    assert gc.isenabled()
