"""Record HTML ▶ A4 PDF/A-3b with the inputs and the record JSON attached (WeasyPrint)."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import logging
import os
import threading
from dataclasses import dataclass

from dsr.errors import RecordError
from dsr.record.offline import import_weasyprint

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
    import_weasyprint()
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
    weasyprint = import_weasyprint()

    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    when = parse_clock(clock).astimezone(dt.timezone.utc)
    files = [
        weasyprint.Attachment(file_obj=io.BytesIO(a.data), name=a.name, description=a.description or a.name,
                              relationship=a.relationship, created=when, modified=when)
        for a in attachments
    ]
    document = weasyprint.HTML(string=html.decode("utf-8"), url_fetcher=_fetcher(), base_url=None)
    with _font_timestamps(when):
        return document.write_pdf(attachments=files, pdf_variant=PDF_VARIANT, uncompressed_pdf=False)
