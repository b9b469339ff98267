"""Fonts loaded before the batch's fork server forks its workers (see dsr.ceremony.preload).

dsr.record.pdf keeps one WeasyPrint font configuration per process. Rendering one small page in the record's
stylesheet — CJK text, bold, a table, code and an emoji — loads the faces a record uses into it, and every
worker forked afterwards inherits them instead of loading them for its first PDF (about 0.5 s of CPU per
worker, for about 0.25 s once), and the record's stylesheet already parsed (dsr.record.pdf). The page is thrown
away; later PDFs have the same bytes as with a fresh configuration (tests/test_batch_preload.py).
"""

from __future__ import annotations

WARM_PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>dsr</title>{style}</head>
<body><main><h2>消防监督“双随机、一公开”抽查记录 ABC 123</h2><p><b>承诺</b> 见证人 🔥🚒</p>
<table><tbody><tr><td>单位</td><td>签号 0f</td></tr></tbody></table><pre><code>seed = 1</code></pre></main></body></html>"""


def warm_fonts() -> bytes:
    """Render WARM_PAGE with the process's font configuration; its PDF bytes (unused)."""
    from dsr.record.pdf import html_to_pdf
    from dsr.record.render import style_element

    return html_to_pdf(WARM_PAGE.format(style=style_element()).encode("utf-8"), (), "2026-01-01T00:00:00+00:00")
