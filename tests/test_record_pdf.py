"""Record HTML ▶ PDF/A-3b: the same HTML, attachments and clock give the same bytes, whenever rendered."""

from __future__ import annotations

import os
import time

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
