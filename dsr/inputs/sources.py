"""Raw tables out of .xlsx and .csv files: sheet choice, encoding detection, formula and merge scans."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import posixpath
import re
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

import python_calamine

from dsr.errors import Problem

_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_NS_PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"
# A formula element <f>, <f ...> or <f/> (with any namespace prefix); <formula1> etc. do not match.
_FORMULA = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s/>]")
_CELL_OR_FORMULA = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:c\s[^>]*?\br=\"([A-Z]+[0-9]+)\"|f[\s/>])")
_CHUNK = 1 << 20
_SHEET_DATA = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?sheetData\b[^>]*>")
_ROW_END = b"</row>"
# A sheet larger than this is read in windows of about this many bytes of XML, each parsed by calamine on its own,
# so that memory stays bounded by the window instead of growing with the sheet.
WINDOW = 8 << 20
_MAX_FORMULAS = 50  # enough to show the clerk the pattern without flooding the report


@dataclass
class RawTable:
    """One sheet (or CSV) as read: header cells of row 1 and an iterator of (Excel row, cells)."""

    file: str
    sheet: str | None
    sha256: str
    encoding: str | None
    rows: list | Iterator  # list of cell lists; row 1 is the header row
    problems: list[Problem] = field(default_factory=list)
    formulas: list[str] = field(default_factory=list)  # references of formula cells (xlsx only)


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of the raw bytes of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def column_letter(index: int) -> str:
    """Excel column letters for a 0-based column index (0 → A, 26 → AA)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


# ---------------------------------------------------------------- xlsx


def open_workbook(path: Path) -> tuple[python_calamine.CalamineWorkbook | None, list[Problem]]:
    """The workbook, or a problem saying why it cannot be opened as .xlsx."""
    name = path.name
    if path.suffix.lower() == ".xls":
        return None, [Problem(name, "不支持旧版 .xls 格式", expected="在 Excel 中“另存为”.xlsx 工作簿")]
    if not zipfile.is_zipfile(path):
        return None, [Problem(name, "不是有效的 .xlsx 文件（无法按 xlsx 打开）", expected=".xlsx 工作簿或 .csv 文件")]
    try:
        return python_calamine.CalamineWorkbook.from_path(str(path)), []
    except Exception as exc:  # calamine raises several unrelated types for damaged files
        return None, [Problem(name, f"工作簿已损坏，无法读取（{type(exc).__name__}）", expected=".xlsx 工作簿")]


def sheet_part(path: Path, sheet: str) -> str | None:
    """The zip member holding the XML of the named sheet (via workbook.xml and its relationships)."""
    with zipfile.ZipFile(path) as zf:
        try:
            book = ElementTree.fromstring(zf.read("xl/workbook.xml"))
            rels = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
        except (KeyError, ElementTree.ParseError):
            return None
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{_NS_PKG}Relationship")}
    for node in book.iter(f"{_NS_MAIN}sheet"):
        if node.get("name") == sheet:
            target = targets.get(node.get(f"{_NS_REL}id"), "")
            return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
    return None


def formula_cells(path: Path, part: str) -> list[str]:
    """References (e.g. D3) of cells holding a formula, streamed out of the sheet XML."""
    return scan_sheet(path, part).formulas


@dataclass
class SheetScan:
    """One streamed pass over a sheet's XML: formula cells, and what reading it in windows needs."""

    formulas: list[str]
    size: int  # uncompressed bytes of the sheet XML
    part: str = ""  # the zip member
    head: bytes = b""  # the XML up to and including the <sheetData> start tag
    tail: bytes = b""  # from </sheetData> to the end (merged cells, validations, ...)
    windowable: bool = False  # plain <row r="..."> elements, no namespace prefixes: may be cut at </row>


def scan_sheet(path: Path, part: str) -> SheetScan:
    """Formula cells (at most 50), and the sheet XML's head and tail, in one streamed pass."""
    found: list[str] = []
    with zipfile.ZipFile(path) as zf, zf.open(part) as fh:
        scan = SheetScan(found, zf.getinfo(part).file_size, part)
        tail, head, windowable, after, before = b"", None, True, None, b""
        while True:
            chunk = fh.read(_CHUNK)
            body, tail = _split(tail + chunk, final=not chunk)
            if head is None:
                m = _SHEET_DATA.search(before + body)
                if m:
                    head, windowable = (before + body)[:m.end()], m.group(0) == b"<sheetData>"
                    body = body[max(0, m.end() - len(before)):]
                else:
                    before += body
            if after is not None:
                after.append(body)
            elif head is not None:
                end = body.find(b"</sheetData>")
                if end >= 0:
                    after = [body[end:]]
                    body = body[:end]
                # rows of a window are numbered by calamine from their r attribute alone
                windowable = windowable and b":row" not in body and body.count(b"<row") == body.count(b'<row r="')
            if len(found) < _MAX_FORMULAS:
                maybe = b"<f" in body or b":f" in body  # a plain byte search before any regex
                if maybe and _FORMULA.search(body):  # rare: only then walk the cells of this chunk
                    found.extend(_formulas_in(body))
            if not chunk:
                break
    del found[_MAX_FORMULAS:]
    if head is not None and after is not None:
        scan.head, scan.tail, scan.windowable = head, b"".join(after), windowable
    return scan


def _split(buf: bytes, final: bool) -> tuple[bytes, bytes]:
    """Cut before the last cell start, so that every cell lies whole in one piece."""
    if final:
        return buf, b""
    cut = buf.rfind(b"<c ")
    if cut < 0:
        cut = buf.rfind(b"<")
    return (buf[:cut], buf[cut:]) if cut >= 0 else (buf, b"")


def _formulas_in(body: bytes) -> list[str]:
    current, found = "", []
    for m in _CELL_OR_FORMULA.finditer(body):
        if m.group(1):
            current = m.group(1).decode()
        else:
            found.append(current)
    return found


def read_sheet(path: Path, book: python_calamine.CalamineWorkbook, sheet: str,
               scan: SheetScan | None = None) -> RawTable:
    """Rows of one sheet from Excel row 1, with merged ranges and formulas reported as problems.

    With a `scan` of a large, plainly written sheet, the rows are read lazily in windows (`WINDOW`).
    """
    table = RawTable(path.name, sheet, "", None, [])
    windowed = scan is not None and scan.windowable and scan.size > 2 * WINDOW
    data = _window_book(path, scan, b"").get_sheet_by_name(sheet) if windowed else book.get_sheet_by_name(sheet)
    for (r1, c1), (r2, c2) in data.merged_cell_ranges or ():
        ref = f"{column_letter(c1)}{r1 + 1}:{column_letter(c2)}{r2 + 1}"
        what = "表头中有合并单元格" if r1 == 0 else "有合并单元格"
        table.problems.append(Problem(path.name, f"{what} {ref}", sheet=sheet, row=r1 + 1,
                                      expected="取消合并，每个单元格各填一个值"))
    if windowed:
        table.rows = _windowed_rows(path, scan, sheet)
        return table
    if data.height == 0 or data.width == 0:
        return table
    offset = data.start[1]  # iter_rows starts at row 1 but at the first used column
    table.rows = _pad(data.iter_rows(), offset)
    return table


class Unordered(Exception):
    """Rows of a sheet read in windows were not in ascending order: read it whole instead."""


def _window_book(path: Path, scan: SheetScan, rows: bytes, members: dict | None = None,
                 part: str | None = None) -> python_calamine.CalamineWorkbook:
    """A workbook equal to `path` except that the sheet holds only `rows` (complete <row> elements)."""
    if members is None:
        members, part = _members(path, scan)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as out:
        for name, data in members.items():
            out.writestr(name, data)
        out.writestr(part, b"".join((scan.head, rows, scan.tail)))
    buf.seek(0)
    return python_calamine.CalamineWorkbook.from_filelike(buf)


def _members(path: Path, scan: SheetScan) -> tuple[dict[str, bytes], str]:
    """Every part of the workbook but its worksheets (calamine reads a sheet only when asked for it)."""
    with zipfile.ZipFile(path) as zf:
        part = scan.part
        members = {n: zf.read(n) for n in zf.namelist()
                   if n != part and not (n.startswith("xl/worksheets/") and n.endswith(".xml"))}
    return members, part


def _windowed_rows(path: Path, scan: SheetScan, sheet: str) -> Iterator[list]:
    """The sheet's rows from Excel row 1, read window by window; blank rows fill the gaps.

    calamine parses the next window in a thread (it releases the GIL) while this one's rows are checked.
    """
    windows = _windows(path, scan, sheet)
    following = 0  # 0-based number of the next row to yield
    try:
        with ThreadPoolExecutor(1) as pool:
            ahead = pool.submit(next, windows, None)
            while (data := ahead.result()) is not None:
                ahead = pool.submit(next, windows, None)
                first, offset = data.start
                if first < following:
                    raise Unordered(sheet)
                for _ in range(first - following):
                    yield []
                block = data.to_python(skip_empty_area=True)
                following = first + len(block)
                del data
                yield from _pad(block, offset)
    finally:
        windows.close()


def _windows(path: Path, scan: SheetScan, sheet: str) -> Iterator[python_calamine.CalamineSheet]:
    """Each window of the sheet (about WINDOW bytes of complete <row> elements) parsed by calamine."""
    members, part = _members(path, scan)
    with zipfile.ZipFile(path) as zf, zf.open(part) as fh:
        fh.read(len(scan.head))
        pieces, size = [], 0
        while True:
            chunk = fh.read(_CHUNK)
            pieces.append(chunk)
            size += len(chunk)
            if size < WINDOW and chunk:
                continue
            buf = b"".join(pieces)
            pieces, size = [buf], len(buf)
            end = buf.rfind(_ROW_END)
            if end < 0:
                if chunk:
                    continue
                return
            rows, buf = buf[:end + len(_ROW_END)], buf[end + len(_ROW_END):]
            pieces, size = [buf], len(buf)
            data = _window_book(path, scan, rows, members, part).get_sheet_by_name(sheet)
            del rows
            if data.height and data.width:
                yield data
            if not chunk:
                return


def _pad(rows: Iterator[list], offset: int) -> Iterator[list]:
    if not offset:
        return rows
    blank = [""] * offset
    return (blank + row for row in rows)


# ---------------------------------------------------------------- csv


def decode_csv(name: str, raw: bytes) -> tuple[str | None, str | None, Problem | None]:
    """(text, encoding) of CSV bytes: UTF-8 (with or without BOM) or GB18030/GBK, else a problem."""
    if raw.startswith(codecs.BOM_UTF8):
        return _decode(name, raw[3:], "UTF-8（带 BOM）", "utf-8")
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return None, None, Problem(name, "文件是 UTF-16 编码（Excel 的“Unicode 文本”）",
                                   expected="另存为“CSV UTF-8（逗号分隔）”")
    try:
        return raw.decode("utf-8"), "UTF-8", None
    except UnicodeDecodeError as exc:
        utf8_error = exc
    if _mostly_utf8(raw):  # valid multi-byte UTF-8 elsewhere: a stray byte, not another encoding
        return None, None, _bad_byte(name, raw, utf8_error, "UTF-8")
    return _decode(name, raw, "GBK/GB18030", "gb18030")


def _decode(name: str, raw: bytes, label: str, codec: str) -> tuple[str | None, str | None, Problem | None]:
    try:
        return raw.decode(codec), label, None
    except UnicodeDecodeError as exc:
        return None, None, _bad_byte(name, raw, exc, label)


def _mostly_utf8(raw: bytes) -> bool:
    text = raw.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    good = sum(1 for ch in text if ord(ch) > 0x7F) - bad
    return good > 4 * bad


def _bad_byte(name: str, raw: bytes, exc: UnicodeDecodeError, label: str) -> Problem:
    line = raw.count(b"\n", 0, exc.start) + 1
    column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
    byte = raw[exc.start:exc.start + 1].hex().upper()
    return Problem(name, f"文件编码无法识别：按 {label} 解码时，第 {line} 行第 {column} 个字节（0x{byte}）无效",
                   row=line, expected="UTF-8 或 GBK/GB18030 编码的 CSV；请用 Excel “另存为”CSV UTF-8")


def read_csv(path: Path) -> RawTable:
    """All records of a CSV file as rows (Excel numbers records, not physical lines)."""
    raw = path.read_bytes()
    table = RawTable(path.name, None, hashlib.sha256(raw).hexdigest(), None, [])
    text, encoding, problem = decode_csv(path.name, raw)
    if problem:
        table.problems.append(problem)
        return table
    table.encoding = encoding
    try:
        table.rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        table.problems.append(Problem(path.name, f"CSV 格式错误：{exc}", expected="逗号分隔、双引号转义的 CSV"))
    return table
