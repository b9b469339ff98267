"""Record HTML ▶ A4 PDF/A-3b with the inputs and the record JSON attached (WeasyPrint)."""

from __future__ import annotations

import datetime as dt
import io
import logging
from dataclasses import dataclass

from dsr.errors import RecordError

PDF_VARIANT = "pdf/a-3b"


@dataclass(frozen=True)
class Attachment:
    """One file embedded in the PDF: its name in the PDF, bytes, and PDF/A-3 relationship."""

    name: str
    data: bytes
    relationship: str  # "Source" (an input the draw was made from) or "Data" (the record JSON)
    description: str = ""


def _fetcher():
    """A URL fetcher that allows only inline data: URLs, so rendering never reads a file or the network."""
    from weasyprint.urls import URLFetcher

    return URLFetcher(allowed_protocols=("data",), allow_redirects=False)


def parse_clock(clock: str) -> dt.datetime:
    """The record's clock value (ISO 8601 with offset) as an aware datetime."""
    try:
        when = dt.datetime.fromisoformat(clock)
    except ValueError as exc:
        raise RecordError(f"时间「{clock}」不是 ISO 8601 格式（例如 2026-11-26T10:00:00+08:00）") from exc
    if when.tzinfo is None:
        raise RecordError(f"时间「{clock}」缺少时区（例如 +08:00）")
    return when


def html_to_pdf(html: bytes, attachments: list[Attachment] | tuple[Attachment, ...], clock: str) -> bytes:
    """Render the record HTML to PDF/A-3b bytes; identical inputs give identical bytes."""
    import weasyprint

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    when = parse_clock(clock).astimezone(dt.timezone.utc)
    files = [
        weasyprint.Attachment(file_obj=io.BytesIO(a.data), name=a.name, description=a.description or a.name,
                              relationship=a.relationship, created=when, modified=when)
        for a in attachments
    ]
    document = weasyprint.HTML(string=html.decode("utf-8"), url_fetcher=_fetcher(), base_url=None)
    return document.write_pdf(attachments=files, pdf_variant=PDF_VARIANT, uncompressed_pdf=False)


def warm_up() -> None:
    """Render a tiny record-styled page (CJK, mono, emoji, a table, an attachment) and throw it away.

    The first document of a process pays for fontconfig and Pango set-up, loading the CJK faces and the
    PDF/A machinery (about 0.2 s of CPU); a caller that has a core to spare before the real HTML exists
    (make_record while the kernel runs) can pay it there.
    """
    from dsr.record.render import record_css

    page = ('<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><style>' + record_css()
            + '</style></head><body><h2>抽查记录</h2><p class="dsr-unit">1. 单位（91410502）｜签号 0a1b…</p>'
            '<pre class="dsr-code">show.table(rows) # 🔥</pre><table><thead><tr><th>分层</th></tr></thead>'
            '<tbody><tr><td>一般单位 1/2</td></tr></tbody></table></body></html>')
    html_to_pdf(page.encode("utf-8"), [Attachment("warm-up.json", b"{}", "Data")], "2026-01-01T00:00:00+08:00")
