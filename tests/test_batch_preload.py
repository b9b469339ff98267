"""The batch's fork server: what it loads before forking the workers changes no record byte and leaves no thread."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

GOLDEN_HTML = Path(__file__).parent / "golden" / "record-文峰区.html"
CLOCK = "2026-11-30T10:30:00+08:00"
ENV = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, (str(Path(__file__).resolve().parents[1]),
                                                                os.environ.get("PYTHONPATH")))))


def _python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, env=ENV, timeout=300, check=True)


def _pdf_in_fresh_process(tmp_path: Path, warm: bool) -> bytes:
    """The golden record's PDF rendered in a fresh interpreter; `warm`: by a child forked after warm_fonts()."""
    out = tmp_path / ("warm.pdf" if warm else "plain.pdf")
    render = (f"from dsr.record.pdf import html_to_pdf\n"
              f"data = html_to_pdf(open({str(GOLDEN_HTML)!r}, 'rb').read(), [], {CLOCK!r})\n"
              f"open({str(out)!r}, 'wb').write(data)\n")
    if warm:
        code = ("import os\nfrom dsr.ceremony.warm import warm_fonts\nassert warm_fonts().startswith(b'%PDF')\n"
                "pid = os.fork()\nif pid == 0:\n" + "".join("    " + line + "\n" for line in render.splitlines())
                + "    os._exit(0)\n_, status = os.waitpid(pid, 0)\nassert status == 0\n")
    else:
        code = render
    _python(code)
    return out.read_bytes()


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the fork server is Linux-only")
def test_fonts_warmed_before_the_fork_give_the_same_record_pdf(tmp_path: Path):
    plain = _pdf_in_fresh_process(tmp_path, warm=False)
    warmed = _pdf_in_fresh_process(tmp_path, warm=True)
    assert plain.startswith(b"%PDF") and warmed == plain


def test_the_preload_leaves_one_thread_and_has_weasyprint_and_the_fonts_loaded():
    got = _python("import threading, sys\nimport dsr.ceremony.preload\nfrom dsr.record import pdf\n"
                  "print(threading.active_count(), 'weasyprint' in sys.modules, 'papermill' in sys.modules, "
                  "pdf._font_config.cache_info().currsize)")
    assert got.stdout.split() == [b"1", b"True", b"True", b"1"]
