"""Imported once by a batch's fork server before it forks the record workers (Linux).

It loads what every record needs — WeasyPrint, pyHanko, the HTML renderer, papermill, and the fonts a
record's PDF uses — so that each worker forked from the server has them without loading them again (about
2.3 s of CPU per worker). It runs no record code, writes nothing and leaves no thread behind (a fork copies only
the calling thread). Any failure is ignored: a worker then loads what its first record needs.
"""

from __future__ import annotations

import gc

from dsr.ceremony import batch as _batch  # noqa: F401 - what the workers run
from dsr.ceremony import trace

try:
    from dsr.record import notebook as _nbrun
    from dsr.record.pipeline import _warm_up

    _warm_up()
    _nbrun.quick_import("papermill")
    from dsr.ceremony.warm import warm_fonts

    warm_fonts()  # the fonts a record's PDF uses, loaded once for every worker
except Exception:  # noqa: BLE001, S110 - never break the fork server: the records report real problems
    pass
# What is loaded now stays: the collector leaves it alone in every forked worker (no copy-on-write of its pages
# when a worker's collector would otherwise walk it).
gc.freeze()
trace.mark("fork-server-ready", started=trace.process_start())
