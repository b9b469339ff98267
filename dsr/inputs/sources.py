"""Raw tables out of .xlsx and .csv files: sheet choice, encoding detection, formula and merge scans."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import itertools
import posixpath
import os
import queue
import re
import struct
import threading
import zipfile
import zlib
from collections.abc import Callable, Iterator
from concurrent import futures
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import repeat
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
_NO_MERGES = b"<mergeCells/>"
_CELL_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c[\s/>]")
_CHUNK = 1 << 20
_SHEET_DATA = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?sheetData\b[^>]*>")
_ROW_END = b"</row>"
# A sheet larger than this is read in windows of about this many bytes of XML, each parsed by calamine on its own,
# so that memory stays bounded by the window instead of growing with the sheet.
WINDOW = 8 << 20
_MAX_FORMULAS = 50  # enough to show the clerk the pattern without flooding the report

# What a damaged .xlsx raises while it is read: zipfile, zlib and calamine have no common base class.
DAMAGED = (zipfile.BadZipFile, zlib.error, NotImplementedError, EOFError, python_calamine.CalamineError)


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
    stream: SheetStream | None = None  # a large sheet read in windows: problems and formulas complete at finish()
    then: object = None  # the stream's `then` (see SheetStream)

    def finish(self) -> None:
        """Complete `problems` and `formulas` (a streamed sheet reads the rest of its XML, unparsed)."""
        if self.stream is not None:
            self.stream.finish()
            self.problems = self.stream.problems + self.problems
            self.formulas = self.stream.formulas
            self.stream = None

    def close(self) -> None:
        """Stop a streamed sheet's threads (idempotent; nothing to do otherwise)."""
        if self.stream is not None:
            self.stream.close()


def stream_table(path: Path, part: str, sheet: str, then: Callable[[], object] | None = None) -> RawTable:
    """A large sheet as a RawTable whose rows are read in windows (`SheetStream`); call finish() and close()."""
    stream = SheetStream(path, part, sheet, then)
    return RawTable(path.name, sheet, "", None, stream.rows(), formulas=stream.formulas, stream=stream)


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


def sheet_names(path: Path) -> list[str]:
    """The sheets named in workbook.xml, in order (raises if the zip or the XML is damaged)."""
    with zipfile.ZipFile(path) as zf:
        book = ElementTree.fromstring(zf.read("xl/workbook.xml"))
    return [node.get("name", "") for node in book.iter(f"{_NS_MAIN}sheet")]


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


def _open_part(zf: zipfile.ZipFile, part: str):
    """The member's info and stream; a member the workbook names but the zip lacks is a damaged zip, not a KeyError."""
    try:
        return zf.getinfo(part), zf.open(part)
    except KeyError:
        raise zipfile.BadZipFile(f"the zip has no member {part!r}") from None


class _Scanner:
    """The formula, head and tail scan of a sheet's XML, fed the decompressed XML in the pieces it is read in."""

    def __init__(self) -> None:
        self.found: list[str] = []
        self.carry = b""  # the unfinished cell at the end of the last piece
        self.head: bytes | None = None
        self.windowable = True
        self.after: list[bytes] | None = None  # from </sheetData> on
        self.before = b""  # the XML read while the head was still incomplete

    def feed(self, chunk: bytes) -> None:
        """One piece of the XML (b"" at the end)."""
        body, self.carry = _split(self.carry + chunk, final=not chunk)
        if self.head is None:
            m = _SHEET_DATA.search(self.before + body)
            if m:
                self.head, self.windowable = (self.before + body)[:m.end()], m.group(0) == b"<sheetData>"
                body = body[max(0, m.end() - len(self.before)):]
                self.before = b""
            else:
                self.before += body
        if self.after is not None:
            self.after.append(body)
        elif self.head is not None:
            end = body.find(b"</sheetData>")
            if end >= 0:
                self.after = [body[end:]]
                body = body[:end]
            # rows of a window are numbered by calamine from their r attribute alone
            self.windowable = (self.windowable and (b":" not in body or b":row" not in body)
                               and body.count(b"<row") == body.count(b'<row r="'))
        if len(self.found) < _MAX_FORMULAS:
            # plain byte searches before any regex (a single byte is found fastest: most pieces have no "f")
            maybe = b"f" in body and (b"<f" in body or b":f" in body)
            if maybe and _FORMULA.search(body):  # rare: only then walk the cells of this chunk
                self.found.extend(_formulas_in(body))

    def result(self, size: int, part: str) -> SheetScan:
        """What the whole pass found (call after feeding the final b"")."""
        scan = SheetScan(self.found[:_MAX_FORMULAS], size, part)
        if self.head is not None and self.after is not None:
            scan.head, scan.tail, scan.windowable = self.head, b"".join(self.after), self.windowable
        return scan


def scan_sheet(path: Path, part: str) -> SheetScan:
    """Formula cells (at most 50), and the sheet XML's head and tail, in one streamed pass."""
    with zipfile.ZipFile(path) as zf:
        info, fh = _open_part(zf, part)
        with fh:
            scanner = _Scanner()
            while True:
                chunk = fh.read(_CHUNK)
                scanner.feed(chunk)
                if not chunk:
                    break
    return scanner.result(info.file_size, part)


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

    The sheet is read whole by calamine; `scan` (if given) supplies the formula cells. Large sheets are read
    in windows by `stream_sheet` instead.
    """
    table = RawTable(path.name, sheet, "", None, [])
    data = book.get_sheet_by_name(sheet)
    table.problems.extend(_merge_problems(path.name, sheet, data))
    if scan is not None:
        table.formulas = scan.formulas
    if data.height == 0 or data.width == 0:
        return table
    offset = data.start[1]  # iter_rows starts at row 1 but at the first used column
    table.rows = _pad(data.iter_rows(), offset)
    return table


def _merge_problems(file: str, sheet: str, data: python_calamine.CalamineSheet) -> list[Problem]:
    problems = []
    for (r1, c1), (r2, c2) in data.merged_cell_ranges or ():
        ref = f"{column_letter(c1)}{r1 + 1}:{column_letter(c2)}{r2 + 1}"
        what = "表头中有合并单元格" if r1 == 0 else "有合并单元格"
        problems.append(Problem(file, f"{what} {ref}", sheet=sheet, row=r1 + 1, expected="取消合并，每个单元格各填一个值"))
    return problems


class Unordered(Exception):
    """A large sheet cannot be read in windows after all (rows out of order, or XML that is not plain rows)."""


def should_stream(path: Path, part: str) -> bool:
    """True if the sheet's XML is large enough to be read in windows (see `SheetStream`)."""
    with zipfile.ZipFile(path) as zf:
        info, fh = _open_part(zf, part)
        fh.close()
    return info.file_size > 2 * WINDOW


class SheetStream:
    """A large sheet read in one streamed pass over its XML: rows window by window, formulas, merges.

    A thread decompresses the sheet XML, scans it for formulas (as `scan_sheet` does) and cuts it after a
    `</row>` about every WINDOW bytes; each window (the sheet's head + those rows + the closing tags) is put in
    an in-memory, uncompressed copy of the workbook (the other parts as they are, other worksheets left out) and
    parsed by calamine in a pool of `_PARSERS` threads (calamine releases the GIL while it parses), so that windows
    are parsed while the caller's thread converts the rows of an earlier one. At most `_AHEAD` + 1 windows are parsed
    or parsing and not yet taken by the caller; the reading thread cuts the next one meanwhile.

    `rows()` yields the rows from Excel row 1 (missing rows between windows become blank rows, so row numbers
    and values are those of a whole read); `formulas` grows as the rows arrive, each window's formula cells
    before its rows. `finish()` reads whatever is left (without parsing it) and sets `problems` (merged cells,
    from the real tail of the sheet) and the complete `formulas`. `Unordered` is raised if the sheet cannot be
    read in windows; nothing is lost then but time: read it whole. `close()` stops the threads; always call it.

    `then` (if given) is called in the reading thread once the last window has been parsed, while the caller's
    thread converts the last rows (the cores are otherwise idle then); not if the stream failed or was closed
    before its end.
    """

    def __init__(self, path: Path, part: str, sheet: str, then: Callable[[], object] | None = None) -> None:
        self.path, self.part, self.sheet = path, part, sheet
        self._then = then
        self._last: Future | None = None  # the last window submitted
        self.formulas: list[str] = []
        self.problems: list[Problem] = []
        self._queue: queue.Queue = queue.Queue()  # bounded by the slots: one item per window, and the end
        self._slots = threading.Semaphore(_AHEAD + 1)  # windows submitted and not yet taken by the caller
        self._stop = threading.Event()
        self._parse = True  # False once the rows are no longer wanted: the rest is only scanned
        self._members: dict[str, bytes] = {}
        self._strings: Future | None = None  # a large shared-strings table, read once (see `_strings`)
        self._zip: zipfile.ZipFile | None = None  # the open workbook, while the table read once may be needed again
        self._entries: _Entries | None = None  # where the entries of a smaller one start (see `_window`)
        self._done = False
        self._pool = ThreadPoolExecutor(_PARSERS, thread_name_prefix="dsr-window")
        self._thread = threading.Thread(target=self._produce, name="dsr-sheet-stream", daemon=True)
        self._thread.start()

    # -- the caller's thread

    def rows(self) -> Iterator[list]:
        """The sheet's rows from Excel row 1."""
        return itertools.chain.from_iterable(self._blocks())

    def _blocks(self) -> Iterator[list[list]]:
        following = 0  # 0-based number of the next row to yield
        while (item := self._next()) is not None:
            future, formulas, indexed = item
            self.formulas.extend(formulas)
            try:
                data = future.result() if future is not None else None
            except python_calamine.CalamineError:  # XML cut where it should not be (or damaged): read it whole
                raise Unordered(self.sheet) from None
            if data is None:
                continue
            first, offset = data.start
            if first < following:
                raise Unordered(self.sheet)
            if first > following:
                yield [[] for _ in range(first - following)]
            block = data.to_python(skip_empty_area=True)
            del data
            if indexed:  # its text cells hold shared-string indices: look them up
                try:
                    index = self._strings.result()
                except python_calamine.CalamineError:  # a damaged table: the whole read says so
                    raise Unordered(self.sheet) from None
                block = _resolve(block, index)
            following = first + len(block)
            yield block if not offset else list(_pad(block, offset))

    def finish(self) -> None:
        """Scan the rest of the sheet (rows no longer wanted are not parsed); set `problems` and `formulas`."""
        self._parse = False
        while (item := self._next()) is not None:
            self.formulas.extend(item[1])

    def close(self) -> None:
        """Stop the reading thread and wait for it and the parsing pool (idempotent)."""
        self._stop.set()
        self._parse = False
        while self._thread.is_alive():
            try:
                self._queue.get(timeout=0.05)
            except queue.Empty:
                pass
        self._thread.join()
        self._pool.shutdown(wait=True, cancel_futures=True)

    def _next(self):
        """The next (future, formulas) from the reading thread, None at the end; its exception is raised here."""
        if self._done:
            return None
        kind, value = self._queue.get()
        if kind == "window":
            if value[0] is not None:
                self._slots.release()
            return value
        self._done = True
        self.close()
        if kind == "error":
            raise value
        scan: SheetScan = value
        if not scan.windowable:
            raise Unordered(self.sheet)
        members = {n: b for n, b in self._members.items() if n != _SHARED_STRINGS}  # head and tail hold no cells
        book = _workbook(_book(members, self.part, [scan.head, scan.tail]))
        self.problems = _merge_problems(self.path.name, self.sheet, book.get_sheet_by_name(self.sheet))
        return None

    # -- the reading thread

    def _slot(self) -> bool:
        """Wait until fewer than _AHEAD + 1 windows are submitted and not taken; False if the stream is closed."""
        while not self._slots.acquire(timeout=0.05):
            if self._stop.is_set():
                return False
        return True

    def _put(self, kind: str, value: object) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put((kind, value), timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def _produce(self) -> None:
        try:
            with zipfile.ZipFile(self.path) as zf:
                info, fh = _open_part(zf, self.part)
                self._members = {n: zf.read(n) for n in zf.namelist()
                                 if n != self.part and not (n.startswith("xl/worksheets/") and n.endswith(".xml"))}
                table = self._members.get(_SHARED_STRINGS)
                if table is None:
                    pass
                elif len(table) > _INDEX_ABOVE:  # read once, while the first window is cut
                    self._strings = self._pool.submit(_strings, self._members, self.part, self.sheet)
                    # not kept: a window that needs the table (rare) reads it again from the zip
                    self._members = {n: b for n, b in self._members.items() if n != _SHARED_STRINGS}
                    self._zip = zf
                else:
                    self._entries = _Entries(table)
                del table
                with fh:
                    scan = self._cut(fh, info.file_size)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread, which raises it
            self._put("error", exc)
        else:
            if scan is not None and self._put("end", scan) and self._then is not None:
                if self._last is not None:
                    futures.wait([self._last])
                self._then()  # close() waits for it

    def _window(self, head: bytes, buf: bytes, start: int, end: int, closing: bytes) -> tuple[Future, bool]:
        """Submit one window (the sheet's head, the whole rows buf[start:end], the closing tags) to the parsing pool.

        Returns its future and whether its text cells will hold shared-string indices (see `_strings`).
        """
        members = self._members
        if self._strings is not None:
            rows = buf[start:end]
            if _indexable(rows):  # calamine need not parse the table again
                xml = [head, rows.replace(_SST_CELL, _INDEX_CELL), closing]
                self._last = self._pool.submit(_parse_window, _book(members, self.part, xml), self.sheet)
                return self._last, True
            members = {**members, _SHARED_STRINGS: self._zip.read(_SHARED_STRINGS)}
            xml = [head, rows, closing]
        else:
            xml = [head, memoryview(buf)[start:end], closing]
        whole = None
        if self._entries is not None:  # the table up to the last entry these rows seem to cite (see `_Entries`)
            cited = max(map(int, _SST_INDEX.findall(buf, max(start, end - _TAIL), end)), default=-1) + 1
            cut = self._entries.start(cited)
            if cut is not None:
                whole = _book(members, self.part, xml)
                members = {**members, _SHARED_STRINGS: self._entries.prefix(cut)}
        self._last = self._pool.submit(_parse_window, _book(members, self.part, xml), self.sheet, whole)
        return self._last, False

    def _cut(self, fh, size: int) -> SheetScan | None:
        scanner = _RowScanner()
        closing = b""  # </sheetData> and the root element's end tag
        reported = 0  # formula cells already handed over
        # The first window is small, so that the caller's thread starts early; each next one twice the size of
        # the last, up to WINDOW (twice that when the shared-strings table is cut per window: see _CUT_SCALE)
        target = max(1, WINDOW >> _RAMP)
        for buf, start, end in scanner.regions(fh, size, lambda: target, self._stop):
            if not closing:
                root = _ROOT.match(scanner.head)
                if root is None:
                    raise Unordered(self.sheet)
                closing = b"</sheetData></" + root.group(1) + b">"
                # python-calamine reads a sheet's merged cells with its cells: calamine reads the XML again up to
                # the first <mergeCells>, to the end if there is none. A window's merges are not used (the sheet's
                # come from its real head and tail): an empty <mergeCells> before <sheetData> stops that reading
                # where it starts (calamine reads the cells from <sheetData> on, passing over what comes before).
                head = scanner.head[:-len(b"<sheetData>")] + _NO_MERGES + b"<sheetData>"
            if not scanner.windowable:
                raise Unordered(self.sheet)
            if not self._parse:
                continue
            # cut before waiting for a slot, so that the window is submitted the moment one frees
            if not self._slot():
                return None
            if self._parse:
                future, indexed = self._window(head, buf, start, end, closing)
            else:  # the rows are no longer wanted (finish): only the formulas are handed over
                self._slots.release()
                future, indexed = None, False
            del buf
            if not self._put("window", (future, scanner.found[reported:_MAX_FORMULAS], indexed)):
                return None
            target = min(2 * target, WINDOW if self._entries is None else _CUT_SCALE * WINDOW)
            reported = min(len(scanner.found), _MAX_FORMULAS)
        if self._stop.is_set():
            return None
        if scanner.head is not None and not scanner.windowable:
            raise Unordered(self.sheet)
        if reported < min(len(scanner.found), _MAX_FORMULAS) and not self._put(
                "window", (None, scanner.found[reported:_MAX_FORMULAS], False)):
            return None
        return scanner.result(size, self.part)


class _RowScanner:
    """`_Scanner`'s pass over a sheet's XML for a windowed read: the XML is read in pieces and cut after a `</row>`
    into regions of whole rows, each scanned once, whole (no cell or marker is split between two pieces, so the
    pieces are neither copied nor carried over); the head and the tail are kept, not yielded. The tail (from
    `</sheetData>`) holds no cells and is not searched for formulas."""

    def __init__(self) -> None:
        self.found: list[str] = []
        self.head: bytes | None = None
        self.tail: bytes | None = None
        self.windowable = True

    def regions(self, fh, size: int, target, stop: threading.Event) -> Iterator[tuple[bytes, int, int]]:
        """(buf, start, end): buf[start:end] are whole rows, about target() bytes of them at a time; the rest of
        the sheet's `size` bytes goes with the last region when it is less than half a region (a small last window
        would parse as much of a cut shared-strings table as a large one)."""
        pending = b""  # XML read and not yet yielded (after the head, once that is known)
        eof = False
        done = 0  # bytes read
        while not eof:
            want, pieces, have = target(), [pending], len(pending)
            if size - done - want < want // 2:
                want = max(want, size - done + len(pending) + 1)
            while True:  # at least one read, so that a row longer than the window still ends
                if stop.is_set():
                    return
                # pieces of up to 4 MiB: each read gives up the GIL a few times (file, zlib, CRC), and getting it
                # back from the busy caller's thread can take a switch interval (5 ms) each time
                chunk = fh.read(max(_CHUNK, min(want - have, 4 * _CHUNK)))
                if not chunk:
                    eof = True
                    break
                pieces.append(chunk)
                have += len(chunk)
                done += len(chunk)
                if have >= want:
                    break
            buf = b"".join(pieces)
            del pieces
            start = 0
            if self.head is None:
                m = _SHEET_DATA.search(buf)
                if m is None:
                    if len(buf) > 2 * WINDOW:  # no plain <sheetData> near the start: read the sheet whole
                        raise Unordered("sheetData")
                    pending = buf
                    continue
                self.head, self.windowable, start = buf[:m.end()], m.group(0) == b"<sheetData>", m.end()
            stop_at = buf.find(b"</sheetData>", start)
            limit = stop_at if stop_at >= 0 else len(buf)
            end = buf.rfind(_ROW_END, start, limit)
            end = start if end < 0 else end + len(_ROW_END)
            self._scan(buf, start, limit if stop_at >= 0 or eof else end)
            if (stop_at >= 0 or eof) and _CELL_TAG.search(buf, end, limit):
                self.windowable = False  # cells after the last </row> (rows with a prefix, say): in no window
            if end > start:
                yield buf, start, end
            if stop_at >= 0:
                rest = [buf[stop_at:]]
                del buf
                while chunk := fh.read(4 * _CHUNK):
                    if stop.is_set():
                        return
                    rest.append(chunk)
                self.tail = b"".join(rest)
                return
            pending = buf[end:]

    def _scan(self, buf: bytes, start: int, end: int) -> None:
        """Rows (and what lies between them) buf[start:end]: formulas, and whether a window may start at `start`.

        calamine numbers a row without an r attribute one after the row before it, and a window's first row
        would then be numbered from the window's start: a window must start with `<row r="`. From there on
        every row is numbered as in a whole read. (A cell placed by a row number gone astray would come out
        above the window's first row, and `_blocks` refuses that too.)
        """
        row = buf.find(b"<row", start, end)
        if row >= 0 and not buf.startswith(b'<row r="', row):
            self.windowable = False
        # single-byte search first (a single byte is found fastest: most sheets hold no "f" among their rows)
        if (len(self.found) < _MAX_FORMULAS and buf.find(b"f", start, end) >= 0
                and (buf.find(b"<f", start, end) >= 0 or buf.find(b":f", start, end) >= 0)
                and _FORMULA.search(buf, start, end)):  # rare: only then walk the cells
            self.found.extend(_formulas_in(buf[start:end]))

    def result(self, size: int, part: str) -> SheetScan:
        """What the whole pass found (after the last region)."""
        scan = SheetScan(self.found[:_MAX_FORMULAS], size, part)
        if self.head is not None and self.tail is not None:
            scan.head, scan.tail, scan.windowable = self.head, self.tail, self.windowable
        return scan


# Window sizes. The first is WINDOW >> _RAMP, each next twice the last, up to WINDOW; the caller's thread starts on
# a small window instead of waiting for a whole one to be parsed. A sheet whose shared-strings table is cut per
# window goes up to _CUT_SCALE × WINDOW: each window parses the table up to the texts it cites, so fewer windows
# parse less of it (100,000 rows as Excel saves them: 7 windows and ≈ 3.4 tables parsed instead of 9 and ≈ 5.4).
_RAMP = 2
_CUT_SCALE = 2
_AHEAD = 1  # parsed windows waiting (one more may be parsing) while one is converted: memory stays a few windows
# Threads parsing windows. calamine's parse is half the work: with one thread it runs serially and the caller's
# thread waits for it; with two, both cores share it (100,000 rows, load 1.6: 4.0–4.8 s wall instead of 6.0–6.3 s),
# at the price of about 65 MiB more at 1,000,000 rows (glibc keeps an allocation arena per thread).
_PARSERS = 2
_ROOT = re.compile(rb"(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*\?>\s*)?<([A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?)[\s>]")


# Shared strings. calamine parses a workbook's whole shared-strings table (Excel and WPS keep every text there)
# each time it opens one, so each window would parse it again. Instead calamine reads the table once (`_strings`:
# a made-up sheet citing every entry, so each text is exactly what calamine makes of it), and a window whose
# string cells are all plain `<c … t="s"><v>N</v></c>` is parsed without the table, those cells typed as formula
# strings (`t="str"`, which calamine returns as the text of <v>: the index); `_resolve` then looks the indices up.
# Any other window (one holding inline or formula strings, whose texts could not be told from indices, or a
# string cell written otherwise) is parsed with the table as before. An index the table lacks (or not written
# as calamine would write it) is refused, and the sheet is read whole: calamine refuses it, as it would have.
#
# A smaller table is given to calamine with each window, as before, but only up to the entries the window cites:
# Excel numbers the entries in the order the texts first occur, so a window cites little past the texts of its own
# last rows. The windows are parsed with the table cut after the largest index found in the last _TAIL bytes of
# their rows; a window that cites an entry past the cut is refused by calamine ("not found") and parsed again with
# the whole table. The entries kept are the table's own, so every value is what the whole table gives.
_SHARED_STRINGS = "xl/sharedStrings.xml"  # the only place calamine looks for the table
_INDEX_ABOVE = 32 << 20  # a table larger than this is read once (parsing it per window would cost more)
_SST_INDEX = re.compile(rb' t="s"><v>([0-9]+)</v>')
_TAIL = 16 << 10
_SST_CELL, _INDEX_CELL = b' t="s"><v>', b' t="str"><v>'
_OTHER_TEXT = (b'"str"', b"'str'", b"inlineStr", b"t='s'")
_PER_ROW = 1024  # entries per row of the made-up sheet


def _strings(members: dict[str, bytes], part: str, sheet: str) -> list[str]:
    """Every entry of the shared-strings table, as calamine reads it (a made-up sheet cites each entry once)."""
    table = members[_SHARED_STRINGS]
    count = table.count(b"<si>") + table.count(b"<si/>") + table.count(b"<si ")
    rows = [b'<row r="%d">%s</row>' % (r + 1, b"".join(b'<c t="s"><v>%d</v></c>' % i
                                                          for i in range(start, min(start + _PER_ROW, count))))
            for r, start in enumerate(range(0, count, _PER_ROW))]
    xml = b"".join((b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">', _NO_MERGES,
                    b"<sheetData>", *rows, b"</sheetData></worksheet>"))
    del rows
    data = _workbook(_book(members, part, [xml])).get_sheet_by_name(sheet)
    del xml
    texts = []
    for row in data.iter_rows():  # a row at a time: calamine's cells and the texts are not all held twice
        texts += row
    del texts[count:]
    return texts


def _indexable(rows: bytes) -> bool:
    """True if every string cell of these rows is a plain shared-string cell and no other text cell is there."""
    return not any(marker in rows for marker in _OTHER_TEXT) and rows.count(b't="s"') == rows.count(_SST_CELL)


def _resolve(block: list[list], strings: list[str]) -> list[list]:
    """A window's rows with each shared-string index (a non-empty text cell) replaced by its text, column-wise.

    An index is read as calamine reads one (ASCII digits); anything else, or an index past the table, ends the
    windowed read (`Unordered`): read whole, calamine refuses the workbook."""
    get = strings.__getitem__
    out = []
    try:
        for column in zip(*block):
            try:
                digits = "".join(column)  # TypeError: numbers, dates, booleans in the column
                whole = "" not in column
            except TypeError:
                digits, whole = "", False
            if whole and digits.isascii() and digits.isdigit():  # the usual column: indices only
                column = list(map(get, map(int, column)))
            elif any(map(isinstance, column, repeat(str))):
                column = [v if v.__class__ is not str or not v else
                          get(int(v)) if v.isascii() and v.isdigit() else _not_an_index() for v in column]
            out.append(column)
    except IndexError:
        raise Unordered("shared string") from None
    return list(map(list, zip(*out))) if out else block


def _not_an_index():
    raise Unordered("shared string")


class _Entries:
    """Where the entries of a shared-strings table start, found as far as the windows need: the `<si` marks are
    counted in C over spans of 64 KiB, then found one by one within the span that holds the one wanted. Only for a
    table that is plain (see `_plain`) as far as it is cut: that is checked as the cuts grow, so that the first window
    does not wait for the whole table to be searched."""

    def __init__(self, table: bytes) -> None:
        self.table = table
        end = table.rfind(b"</")
        self.end = table[end:]  # the root element's end tag
        self.count = self.pos = 0  # `count` entries start before `pos`
        self.summed = self.crc = 0  # the CRC-32 of the table's first `summed` bytes
        # the table's first `plain` bytes are plain (after its XML declaration, whose `<?` is allowed); None: not
        # (nor is a table without an end tag, say `<sst/>`: it is never cut)
        declaration = table.find(b"<?") + 2 if table.startswith((b"<?xml", b"\xef\xbb\xbf<?xml")) else 0
        self.plain: int | None = declaration if end >= 0 else None

    def start(self, k: int) -> int | None:
        """Where entry k (from 0) starts; None if the table has no entry k, or is not plain up to it (no cut)."""
        at = self._find(k)
        if at is None or self.plain is None or at <= self.plain:
            return at if self.plain is not None else None
        if not _plain(self.table, self.plain, at):
            self.plain = None
            return None
        self.plain = at
        return at

    def _find(self, k: int) -> int | None:
        table = self.table
        if k < self.count:  # an earlier entry than the last asked for (a table not in order of first use)
            self.count = self.pos = 0
        count, pos = self.count, self.pos
        while True:
            span = pos + _SPAN
            n = table.count(b"<si", pos, span)  # the marks wholly inside; one across the end is the next span's
            if count + n > k:
                break
            if span >= len(table):
                return None
            count, pos = count + n, span - 2
        self.count, self.pos = count, pos
        at = pos - 3
        for _ in range(k - count + 1):
            at = table.find(b"<si", at + 3)
        return at

    def prefix(self, cut: int) -> _Summed:
        """The table up to `cut` (an entry's start) and its end tag, as buffers (the table is not copied), with
        their CRC-32 (the windows' cuts grow: each is summed on from the last)."""
        view = memoryview(self.table)
        if cut < self.summed:
            self.summed = self.crc = 0
        self.crc, self.summed = zlib.crc32(view[self.summed:cut], self.crc), cut
        return _Summed((view[:cut], self.end), zlib.crc32(self.end, self.crc))


class _Summed(list):
    """A member's buffers whose CRC-32 is known already."""

    def __init__(self, buffers, crc: int) -> None:
        super().__init__(buffers)
        self.crc = crc


_SPAN = 1 << 16


def _plain(table: bytes, start: int, end: int) -> bool:
    """True if table[start:end] (from one entry's start to another's) holds no comment, CDATA, DTD or processing
    instruction, and every `<si` there starts an entry (`<si>`, `<si/>` or `<si ` with attributes): then `_Entries`
    finds them all. (Four searches in the usual case: Excel writes every entry as `<si>`.)"""
    if table.find(b"<!", max(0, start - 1), end) >= 0 or table.find(b"<?", max(0, start - 1), end) >= 0:
        return False
    marks = table.count(b"<si", start, end)
    return marks == table.count(b"<si>", start, end) or marks == sum(
        table.count(mark, start, end) for mark in (b"<si>", b"<si/>", b"<si "))


def _parse_window(book: list, sheet: str, whole: list | None = None) -> python_calamine.CalamineSheet | None:
    """The window's cells. If calamine refuses a window given a shortened shared-strings table, it is parsed
    again with the `whole` table."""
    try:
        data = _workbook(book).get_sheet_by_name(sheet)
    except python_calamine.CalamineError:
        if whole is None:
            raise
        data = _workbook(whole).get_sheet_by_name(sheet)
    return data if data.height and data.width else None


def _book(members: dict[str, bytes | list], part: str, xml: list) -> list[tuple[str, list]]:
    """An uncompressed workbook's members, in order, each as buffers: `members` and the sheet `part` (`xml`)."""
    return [(name, data if isinstance(data, list) else [data]) for name, data in members.items()] + [(part, xml)]


def _workbook(book: list[tuple[str, list]]) -> python_calamine.CalamineWorkbook:
    """calamine's workbook of these members, written as an uncompressed zip into an anonymous in-memory file
    (Linux: memfd) that calamine opens by path. calamine then reads the zip itself, without the GIL, in small
    pieces; a file-like object would be copied whole into calamine, a piece at a time, each under the GIL."""
    parts = _stored_zip(book)
    if parts is not None and _MEMFD:
        fd = os.memfd_create("dsr-workbook", os.MFD_CLOEXEC)
        try:
            _write_all(fd, parts)
            return python_calamine.CalamineWorkbook.from_path(f"/proc/self/fd/{fd}")
        finally:
            os.close(fd)
    if parts is None:  # 4 GiB or more: zipfile writes zip64
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as out:
            for name, data in book:
                out.writestr(name, b"".join(data))
        buf.seek(0)
        return python_calamine.CalamineWorkbook.from_filelike(buf)
    return python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(b"".join(parts)))


def _stored_zip(book: list[tuple[str, list]]) -> list | None:
    """The buffers of an uncompressed zip holding `book`'s members in order (None if it would need zip64)."""
    out, central, offset = [], [], 0
    for name, data in book:
        raw = name.encode("utf-8")
        flags = 0 if raw.isascii() else 0x800  # the name's encoding, as zipfile marks it
        crc = size = 0
        for piece in data:
            if data.__class__ is not _Summed:
                crc = zlib.crc32(piece, crc)
            size += len(piece)
        if data.__class__ is _Summed:
            crc = data.crc
        if size >= 0xFFFFFFFF or offset >= 0xFFFFFFFF:
            return None
        header = _LOCAL.pack(0x04034B50, 20, flags, 0, 0, 0x21, crc, size, size, len(raw), 0) + raw
        central.append(_CENTRAL.pack(0x02014B50, 20, 20, flags, 0, 0, 0x21, crc, size, size, len(raw), 0, 0, 0, 0, 0,
                                     offset) + raw)
        out.append(header)
        out += data
        offset += len(header) + size
    directory = b"".join(central)
    if offset + len(directory) >= 0xFFFFFFFF or len(book) >= 0xFFFF:
        return None
    out += (directory, _END.pack(0x06054B50, 0, 0, len(book), len(book), len(directory), offset, 0))
    return out


_LOCAL, _CENTRAL, _END = struct.Struct("<IHHHHHIIIHH"), struct.Struct("<IHHHHHHIIIHHHHHII"), struct.Struct("<IHHHHIIH")


def _write_all(fd: int, parts: list) -> None:
    views = [memoryview(p).cast("B") for p in parts if len(p)]
    while views:
        written = os.writev(fd, views[:_IOV_MAX])
        while views and written >= views[0].nbytes:
            written -= views.pop(0).nbytes
        if written:
            views[0] = views[0][written:]


_IOV_MAX = 512


def _memfd_works() -> bool:
    """True if calamine can open an anonymous in-memory file through /proc/self/fd (Linux)."""
    if not hasattr(os, "memfd_create") or not os.path.isdir("/proc/self/fd"):
        return False
    try:
        fd = os.memfd_create("dsr-probe", os.MFD_CLOEXEC)
    except OSError:
        return False
    try:
        return os.path.exists(f"/proc/self/fd/{fd}")
    finally:
        os.close(fd)


_MEMFD = _memfd_works()


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
