"""A one-sheet .xlsx written the way Excel and WPS save a workbook, for the read benchmark.

What Excel (and WPS) write, and openpyxl's `write_only` mode does not:

* text in a **shared-strings table** (`xl/sharedStrings.xml`, UTF-8, each distinct text stored once, in the order
  of first use, `count`/`uniqueCount` given); cells refer to it by index (`t="s"`);
* numbers as numbers (`<v>1234.56</v>`, no `t`), empty cells left out;
* the sheet's XML in Excel's shape: the mc/x14ac/xr namespaces, `<dimension>`, a frozen header pane,
  `<cols>` with the Text style the template gives text columns, rows with `spans` and `x14ac:dyDescent`,
  page margins; a `styles.xml` with Excel's default font, fills, borders, the Normal cell style, and a Text
  (`@`, numFmtId 49) cell format that text cells carry (`s="1"`), as in a filled-in template.

Nothing is tuned to be easy to read beyond that: the rows are the bench's rows, every distinct text a string
of its own. The theme part is left out (readers do not use it).
"""

from __future__ import annotations

import itertools
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from dsr.inputs.sources import column_letter

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
_TIME = (2026, 3, 1, 9, 0, 0)

_CONTENT_TYPES = (
    _HEAD + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
    '<Override PartName="/docProps/app.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    _HEAD + f'<Relationships xmlns="{_PKG}">'
    '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/extended-properties" '
    'Target="docProps/app.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/relationships/metadata/core-properties" '
    'Target="docProps/core.xml"/>'
    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_BOOK_RELS = (
    _HEAD + f'<Relationships xmlns="{_PKG}">'
    f'<Relationship Id="rId3" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
    f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/>'
    f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    "</Relationships>"
)
_APP = (
    _HEAD + '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
    'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
    "<Application>Microsoft Excel</Application><DocSecurity>0</DocSecurity><ScaleCrop>false</ScaleCrop>"
    "<LinksUpToDate>false</LinksUpToDate><SharedDoc>false</SharedDoc><HyperlinksChanged>false</HyperlinksChanged>"
    "<AppVersion>16.0300</AppVersion></Properties>"
)
_CORE = (
    _HEAD + '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
    'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
    'xmlns:dcmitype="http://purl.org/dc/dcmitype/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
    '<dc:creator>dsr</dc:creator><cp:lastModifiedBy>dsr</cp:lastModifiedBy>'
    '<dcterms:created xsi:type="dcterms:W3CDTF">2026-03-01T01:00:00Z</dcterms:created>'
    '<dcterms:modified xsi:type="dcterms:W3CDTF">2026-03-01T01:00:00Z</dcterms:modified></cp:coreProperties>'
)
_WORKBOOK = (
    _HEAD + f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}" '
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" mc:Ignorable="x15">'
    '<fileVersion appName="xl" lastEdited="7" lowestEdited="7" rupBuild="27328"/>'
    '<workbookPr defaultThemeVersion="166925"/>'
    '<bookViews><workbookView xWindow="0" yWindow="0" windowWidth="28800" windowHeight="12300"/></bookViews>'
    '<sheets><sheet name="{title}" sheetId="1" r:id="rId1"/></sheets><calcPr calcId="191029"/></workbook>'
)
# Excel's default look (等线 11, no fill, gray125, no border), the Normal style, and the Text format (@) as style 1.
_STYLES = (
    _HEAD + f'<styleSheet xmlns="{_MAIN}" '
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" mc:Ignorable="x14ac x16r2 xr" '
    'xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac">'
    '<fonts count="2" x14ac:knownFonts="1">'
    '<font><sz val="11"/><color theme="1"/><name val="等线"/><family val="2"/><charset val="134"/>'
    '<scheme val="minor"/></font>'
    '<font><b/><sz val="11"/><color theme="1"/><name val="等线"/><family val="3"/><charset val="134"/>'
    '<scheme val="minor"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    "</fills>"
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"><alignment vertical="center"/>'
    "</xf></cellStyleXfs>"
    '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0">'
    '<alignment vertical="center"/></xf>'
    '<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1">'
    '<alignment vertical="center"/></xf>'
    '<xf numFmtId="49" fontId="1" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" applyFont="1">'
    '<alignment vertical="center"/></xf></cellXfs>'
    '<cellStyles count="1"><cellStyle name="常规" xfId="0" builtinId="0"/></cellStyles>'
    '<dxfs count="0"/><tableStyles count="0" defaultTableStyle="TableStyleMedium2" '
    'defaultPivotStyle="PivotStyleLight16"/></styleSheet>'
)
_SHEET_HEAD = (
    _HEAD + f'<worksheet xmlns="{_MAIN}" xmlns:r="{_REL}" '
    'xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" mc:Ignorable="x14ac xr xr2 xr3" '
    'xmlns:x14ac="http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac" '
    'xmlns:xr="http://schemas.microsoft.com/office/spreadsheetml/2014/revision" '
    'xmlns:xr2="http://schemas.microsoft.com/office/spreadsheetml/2015/revision2" '
    'xmlns:xr3="http://schemas.microsoft.com/office/spreadsheetml/2016/revision3" '
    'xr:uid="{{00000000-0001-0000-0000-000000000000}}">'
    '<dimension ref="A1:{last}"/>'
    '<sheetViews><sheetView tabSelected="1" workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
    'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" activeCell="A2" sqref="A2"/>'
    "</sheetView></sheetViews>"
    '<sheetFormatPr defaultRowHeight="14" x14ac:dyDescent="0.25"/><cols>{cols}</cols><sheetData>'
)
_SHEET_TAIL = (
    '</sheetData><pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
    '<pageSetup paperSize="9" orientation="portrait"/></worksheet>'
)


def _text(value: str) -> str:
    """Text escaped for XML element content, as Excel escapes it."""
    if "&" in value or "<" in value or ">" in value:
        value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return value


def write_excel_like(path: Path, title: str, headers: Sequence[str], rows: Iterable[Sequence], count: int,
                     text_columns: Sequence[bool]) -> None:
    """Write one sheet `title`: `headers` in row 1 (bold), then `count` `rows` (str ▶ shared string, int/float ▶
    number, "" or None ▶ no cell). `text_columns[i]` says column i is formatted as Text (`@`), as the template
    does. The rows are streamed; the shared strings are kept until the end (they are written after the sheet)."""
    width = len(headers)
    letters = [column_letter(i) for i in range(width)]
    index: dict[str, int] = {}  # shared strings, in the order of first use
    refs = 0
    style = [' s="1"' if text else "" for text in text_columns]
    col_style = 'style="1" '
    cols = "".join(f'<col min="{i + 1}" max="{i + 1}" width="{18 if text else 12}" '
                   f'{col_style if text else ""}customWidth="1"/>' for i, text in enumerate(text_columns))
    spans = f' spans="1:{width}" x14ac:dyDescent="0.25"'
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        last = f"{letters[-1]}{count + 1}"
        info = zipfile.ZipInfo("xl/worksheets/sheet1.xml", _TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        with z.open(info, "w", force_zip64=True) as sheet:
            sheet.write(_SHEET_HEAD.format(last=last, cols=cols).encode())
            for r, row in enumerate(itertools.chain([headers], rows), 1):
                cells = []
                for i, value in enumerate(row):
                    if value is None or value == "":
                        continue
                    if isinstance(value, str):
                        n = index.setdefault(value, len(index))
                        refs += 1
                        s = ' s="2"' if r == 1 else style[i]
                        cells.append(f'<c r="{letters[i]}{r}"{s} t="s"><v>{n}</v></c>')
                    else:
                        cells.append(f'<c r="{letters[i]}{r}"><v>{value!r}</v></c>' if isinstance(value, float)
                                     else f'<c r="{letters[i]}{r}"><v>{value}</v></c>')
                sheet.write(f'<row r="{r}"{spans}>{"".join(cells)}</row>'.encode())
            sheet.write(_SHEET_TAIL.encode())
        parts = {
            "[Content_Types].xml": _CONTENT_TYPES, "_rels/.rels": _ROOT_RELS, "docProps/app.xml": _APP,
            "docProps/core.xml": _CORE, "xl/workbook.xml": _WORKBOOK.format(title=_text(title)),
            "xl/_rels/workbook.xml.rels": _BOOK_RELS, "xl/styles.xml": _STYLES,
        }
        for name, xml in parts.items():
            z.writestr(zipfile.ZipInfo(name, _TIME), xml.encode(), zipfile.ZIP_DEFLATED)
        info = zipfile.ZipInfo("xl/sharedStrings.xml", _TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        with z.open(info, "w", force_zip64=True) as sst:
            sst.write(f'{_HEAD}<sst xmlns="{_MAIN}" count="{refs}" uniqueCount="{len(index)}">'.encode())
            batch = []
            for text in index:
                space = ' xml:space="preserve"' if text != text.strip() else ""
                batch.append(f"<si><t{space}>{_text(text)}</t></si>")
                if len(batch) >= 4096:
                    sst.write("".join(batch).encode())
                    batch = []
            sst.write(("".join(batch) + "</sst>").encode())


def read_alike(path: Path, sheet: str) -> int:
    """Check that python-calamine and openpyxl read the same cells from `path`; return the rows compared.

    Empty cells are "" in calamine and None in openpyxl, numbers float in one and int or float in the other:
    those are compared as equal; anything else differing raises AssertionError naming the cell.
    """
    import python_calamine
    from openpyxl import load_workbook

    ours = python_calamine.CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).iter_rows()
    book = load_workbook(path, read_only=True)
    theirs = book[sheet].iter_rows(values_only=True)
    rows = 0
    for r, (a, b) in enumerate(itertools.zip_longest(ours, theirs, fillvalue=()), 1):
        a = [None if v == "" else float(v) if isinstance(v, (int, float)) else v for v in a]
        b = [float(v) if isinstance(v, (int, float)) else v for v in b]
        while a and a[-1] is None:
            a.pop()
        while b and b[-1] is None:
            b.pop()
        if a != b:
            raise AssertionError(f"row {r}: calamine {a!r} != openpyxl {b!r}")
        rows += 1
    book.close()
    return rows
