"""Record HTML ▶ PDF/A-3b: the same HTML, attachments and clock give the same bytes, whenever rendered."""

from __future__ import annotations

import os
import subprocess
import sys
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
