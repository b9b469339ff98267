"""Record HTML ▶ A4 PDF/A-3b with the inputs and the record JSON attached (WeasyPrint)."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import logging
import os
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from dsr.core.draw import collector_paused
from dsr.errors import RecordError
from dsr.record.offline import import_weasyprint

PDF_VARIANT = "pdf/a-3b"
# The user-agent stylesheet records are rendered with: WeasyPrint's own rules for these elements only.
UA_CSS_FILE = Path(__file__).parent / "templates" / "witness" / "ua.css"
LEAN_TAGS = frozenset((
    "html", "head", "meta", "title", "style", "body", "main", "div", "section", "p", "h1", "h2", "h3", "h4", "h5",
    "h6", "pre", "code", "b", "strong", "em", "i", "small", "sub", "sup", "del", "s", "span", "br", "ol", "ul",
    "li", "table", "caption", "colgroup", "col", "thead", "tbody", "tfoot", "tr", "th", "td", "img", "svg"))
# Inline SVG content (drawn by WeasyPrint's SVG renderer; none of these names has a user-agent rule).
LEAN_SVG_TAGS = frozenset(("svg", "g", "path", "rect", "line", "polyline", "polygon", "circle", "ellipse",
                           "text", "tspan", "title", "desc", "defs"))
_SVG = "{http://www.w3.org/2000/svg}"


@dataclass(frozen=True)
class Attachment:
    """One file embedded in the PDF: its name in the PDF, bytes, and PDF/A-3 relationship."""

    name: str
    data: bytes
    relationship: str  # "Source" (an input the draw was made from) or "Data" (the record JSON)
    description: str = ""


def _fetcher():
    """A URL fetcher that allows only inline data: URLs, so rendering never reads a file or the network."""
    import_weasyprint()
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols=("data",), allow_redirects=False)


def lean_ua_applies(root) -> bool:
    """True if the lean user-agent sheet styles this parsed document exactly as WeasyPrint's own would:
    every element is one of LEAN_TAGS (or plain SVG content) and none has an attribute that one of the
    left-out rules selects on (hidden, dir; a table's rules, frame)."""
    for element in root.iter():
        tag = element.tag
        if not isinstance(tag, str):
            continue  # a comment: never styled
        if tag.startswith(_SVG):
            if tag[len(_SVG):] not in LEAN_SVG_TAGS:
                return False
        elif tag not in LEAN_TAGS:
            return False
        attributes = element.attrib
        if "hidden" in attributes or "dir" in attributes or (
                tag == "table" and ("rules" in attributes or "frame" in attributes)):
            return False
    return True


@lru_cache(maxsize=1)
def _record_html_class():
    """weasyprint.HTML whose user-agent stylesheet is the lean one when `lean_ua_applies`, else WeasyPrint's.

    WeasyPrint's sheet matches `::marker` and the footnote/note pseudo-elements against every element and
    computes a style for each (about 6 per element): with the lean sheet the cascade of a record costs about
    a third. `_ua_stylesheets` is WeasyPrint's own (private) hook, version pinned in constraints.txt;
    tests/test_record_pdf.py checks that it is used and that both sheets give byte-identical PDFs.
    """
    weasyprint = import_weasyprint()
    lean = weasyprint.CSS(string=UA_CSS_FILE.read_text(encoding="utf-8"))

    class RecordHTML(weasyprint.HTML):
        lean_used = 0  # how many documents were styled with the lean sheet (tests)

        def _ua_stylesheets(self, *args, **kwargs):
            sheets = super()._ua_stylesheets(*args, **kwargs)
            if len(sheets) == 1 and lean_ua_applies(self.etree_element):  # not with the form fields' sheet
                type(self).lean_used += 1
                return [lean]
            return sheets

    return RecordHTML


@lru_cache(maxsize=1)
def _record_sheet():
    """The record's <style> element as render.py writes it, and its stylesheet parsed once per process.

    WeasyPrint parses a document's <style> text for every render (10-14 ms for the record's). A record whose
    only <style> is exactly this element is rendered with that text left out and the parsed sheet passed as a
    user stylesheet instead: with no other author sheet and no `!important` in either (tested), the cascade is
    the same — user-agent rules below it, the elements' own style attributes above it — and so are the PDF
    bytes (tests/test_record_pdf.py)."""
    weasyprint = import_weasyprint()
    from dsr.record.render import record_css, style_element

    return style_element(), weasyprint.CSS(string=record_css(), base_url=None, url_fetcher=_fetcher())


_STYLE_TAG = re.compile(r"<style", re.IGNORECASE)


def _own_sheet(text: str) -> tuple[str, list]:
    """The HTML text to parse and the user stylesheets to pass: the record's <style> text taken out and its
    parsed sheet given, when it is the document's only <style> element; otherwise the text as it is."""
    element, sheet = _record_sheet()
    if element in text and len(_STYLE_TAG.findall(text)) == 1:
        return text.replace(element, "<style></style>", 1), [sheet]
    return text, []


_FONTS_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _font_config():
    """One WeasyPrint FontConfiguration per process: Pango's font map keeps the faces it has loaded and
    measured, so a process's later records do not load them again (same PDF bytes, tested)."""
    import_weasyprint()
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


# Deflate level of the PDF's streams: zlib's default. pydyf 0.13 deflates every stream at level 9, which took
# twice the time for files 0.7 % smaller (the record's pages, fonts and attachments: 968 against 962 KiB).
DEFLATE_LEVEL = 6


def _deflated(stream) -> bytes:
    """pydyf.Stream.data (0.13), with the stream deflated at DEFLATE_LEVEL instead of 9."""
    import zlib

    import pydyf

    content = b"\n".join(pydyf._to_bytes(item) for item in stream.stream)
    extra = pydyf.Dictionary(stream.extra.copy())
    extra["Filter"] = "/FlateDecode"
    compressor = zlib.compressobj(level=DEFLATE_LEVEL)
    content = compressor.compress(content) + compressor.flush()
    extra["Length"] = len(content)
    return b"\n".join((extra.data, b"stream", content, b"endstream"))


@lru_cache(maxsize=None)
def _written_once(cls: type) -> type:
    """A subclass of a pydyf stream class whose bytes (compressed) are made once. pydyf builds them when it
    writes the object and, for PDF/A, again for the /ID digest over every object: each font, attachment and
    page was compressed twice (about half of pydyf's time). A class that keeps pydyf's own `data` is deflated
    at DEFLATE_LEVEL."""
    import pydyf

    own = cls.data is pydyf.Stream.data

    def data(self):
        try:
            return self._dsr_data
        except AttributeError:
            self._dsr_data = _deflated(self) if own and self.compress else cls.data.fget(self)
            return self._dsr_data

    return type(f"{cls.__name__}WrittenOnce", (cls,),
                {"data": property(data), "written_once": True, "__module__": __name__})


def _compress_once(document, pdf) -> None:
    """WeasyPrint finisher, run once every object exists, right before pydyf writes them: each stream's bytes
    are made once, at DEFLATE_LEVEL. Nothing changes a stream after this point; pydyf only reads them (the
    bytes pydyf itself writes at that level, tested)."""
    import pydyf

    for obj in pdf.objects:
        if isinstance(obj, pydyf.Stream) and not getattr(obj, "written_once", False):
            obj.__class__ = _written_once(type(obj))
            if _is_zip_file(obj):
                obj.compress = False


def _is_zip_file(stream) -> bool:
    """An attached ZIP container (an .xlsx workbook): deflated already, so a deflate of it
    (about 25 ms for a 650 KiB workbook) would shrink it by under 1 %."""
    content = stream.stream
    return (stream.extra.get("Type") == "/EmbeddedFile" and len(content) == 1
            and isinstance(content[0], bytes) and content[0][:4] == b"PK\x03\x04")


# C types WeasyPrint 70 hands to Pango and HarfBuzz in every document; cffi parses each the first time it is
# used (pycparser, re-reading every declared typedef: 5-20 ms each).
_FIXED_C_TYPES = ("PangoFcFontMap *", "char[]", "PangoRectangle *", "PangoLogAttr[]", "unsigned int *",
                  "hb_tag_t[100]", "char[4]", "hb_codepoint_t[11]")
# Arrays sized by a document's glyphs: WeasyPrint's font subsetting asks for two per font ("hb_codepoint_t[623]"),
# and each new size would be parsed again (4-10 ms each, six per record).
_GLYPH_ARRAY = re.compile(r"hb_codepoint_t\[([0-9]+)\]")


class _ParsedTypes(dict):
    """cffi's table of parsed C types (`FFI._parsed_types`, looked up by the declaration's text before
    parsing it) for WeasyPrint's ffi, which builds a missing "hb_codepoint_t[N]" as cffi does after parsing it
    — the array type of N of the parsed item type (`model.ArrayType`), made under cffi's lock — without
    pycparser. Any other missing declaration is parsed by cffi as before."""

    def __init__(self, ffi, parsed: dict):
        super().__init__(parsed)
        self._ffi = ffi
        with ffi._lock:
            self._item = ffi._parser.parse_type("hb_codepoint_t")

    def __missing__(self, key):
        match = _GLYPH_ARRAY.fullmatch(key) if isinstance(key, str) else None
        if match is None:
            raise KeyError(key)
        from cffi import model

        with self._ffi._lock:
            result = self._ffi._get_cached_btype(model.ArrayType(self._item, int(match[1]))), False
        self[key] = result
        return result


@lru_cache(maxsize=1)
def _c_types():
    """WeasyPrint's ffi with the fixed C types parsed and glyph-sized arrays built without parsing."""
    import_weasyprint()
    from weasyprint.text.ffi import ffi

    for name in _FIXED_C_TYPES:
        ffi.typeof(name)
    try:
        if not isinstance(ffi._parsed_types, _ParsedTypes):
            ffi._parsed_types = _ParsedTypes(ffi, ffi._parsed_types)
    except (AttributeError, TypeError):  # a cffi whose internals differ from 2.x: it parses each size itself
        pass
    return ffi


def prepare() -> None:
    """Load what any record's render needs, without rendering: the lean user-agent sheet, the record's own
    stylesheet, the process's font configuration, the C types WeasyPrint uses and the modules it imports
    while rendering (about 0.1-0.15 s of CPU), e.g. while the kernel runs.
    (A throw-away render did more but held the interpreter for 0.2-0.3 s beside the notebook's client.)"""
    _record_html_class()
    _font_config()
    _record_sheet()
    _c_types()
    _render_imports()


def _render_imports() -> None:
    """Modules WeasyPrint 70 imports only while it renders a record (Pillow's image plugins for the emoji
    bitmaps, the fontTools tables it reads, decimal and fractions): about 30 ms of a first render."""
    import decimal  # noqa: F401
    import fractions  # noqa: F401

    import fontTools.agl  # noqa: F401
    import PIL.Image
    import PIL.ImageChops  # noqa: F401
    import PIL.ImageSequence  # noqa: F401
    from fontTools.ttLib import getTableModule

    PIL.Image.preinit()
    for tag in ("OS/2", "hhea", "vhea"):
        getTableModule(tag)


def parse_clock(clock: str) -> dt.datetime:
    """The record's clock value (ISO 8601 with offset) as an aware datetime."""
    try:
        when = dt.datetime.fromisoformat(clock)
    except ValueError as exc:
        raise RecordError(f"时间「{clock}」不是 ISO 8601 格式（例如 2026-11-26T10:00:00+08:00）") from exc
    if when.tzinfo is None:
        raise RecordError(f"时间「{clock}」缺少时区（例如 +08:00）")
    return when


_EPOCH_LOCK = threading.Lock()


@contextlib.contextmanager
def _font_timestamps(when: dt.datetime):
    """Make fontTools stamp the record's clock, not the current second, into fonts it rewrites.

    WeasyPrint saves colour-emoji fonts (e.g. a witness phrase holding 🔥) through fontTools, which writes
    the time of saving into the font's `head` table unless SOURCE_DATE_EPOCH is set: without this, two
    renders of the same record a second apart gave different PDF bytes.
    """
    with _EPOCH_LOCK:
        before = os.environ.get("SOURCE_DATE_EPOCH")
        os.environ["SOURCE_DATE_EPOCH"] = str(int(when.timestamp()))
        try:
            yield
        finally:
            if before is None:
                os.environ.pop("SOURCE_DATE_EPOCH", None)
            else:
                os.environ["SOURCE_DATE_EPOCH"] = before


def html_to_pdf(html: bytes, attachments: list[Attachment] | tuple[Attachment, ...], clock: str) -> bytes:
    """Render the record HTML to PDF/A-3b bytes; identical inputs give identical bytes."""
    # A render makes a few hundred thousand boxes, styles and layout objects: with the collector on, about 100
    # young, 10 middle and one full collection per record walked them and everything loaded before (WeasyPrint,
    # pyHanko, the fonts). What a render leaves in cycles is freed by the next collection; peak memory is no
    # higher (124 against 130 MiB).
    with collector_paused():
        return _html_to_pdf(html, attachments, clock)


def _html_to_pdf(html: bytes, attachments: list[Attachment] | tuple[Attachment, ...], clock: str) -> bytes:
    weasyprint = import_weasyprint()

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    when = parse_clock(clock).astimezone(dt.timezone.utc)
    files = [
        weasyprint.Attachment(file_obj=io.BytesIO(a.data), name=a.name, description=a.description or a.name,
                              relationship=a.relationship, created=when, modified=when)
        for a in attachments
    ]
    _c_types()
    text, sheets = _own_sheet(html.decode("utf-8"))
    document = _record_html_class()(string=text, url_fetcher=_fetcher(), base_url=None)
    # The process's font configuration, unless another thread is rendering with it right now.
    shared = _FONTS_LOCK.acquire(blocking=False)
    try:
        fonts = _font_config() if shared else None
        with _font_timestamps(when):
            return document.write_pdf(attachments=files, pdf_variant=PDF_VARIANT, uncompressed_pdf=False,
                                      font_config=fonts, finisher=_compress_once, stylesheets=sheets)
    finally:
        if shared:
            _FONTS_LOCK.release()
