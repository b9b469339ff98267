"""Import pyHanko without its HTTP clients (dsr signs and verifies offline and never fetches anything),
and WeasyPrint without ctypes' library search.

`import pyhanko.sign` loads pyHanko's HTTP time-stamp client and pyhanko_certvalidator's HTTP fetchers,
which import aiohttp; aiohttp builds an SSL context with the system CA bundle at import. That is about
0.5-0.8 s of CPU per process (a verifier, a batch worker) for clients dsr never uses: no time-stamp
authority is reachable (docs/RECORD.md) and every validation context is made with
`allow_fetching=False`. While pyHanko is first imported, those two modules are replaced by stubs whose
classes refuse to be used; afterwards an explicit import of them by other code gets the real modules.
"""

from __future__ import annotations

import importlib
import sys
import types

_STUBS = {
    "pyhanko.sign.timestamps.aiohttp_client": ("HTTPTimeStamper", "AIOHttpTimeStamper"),
    "pyhanko_certvalidator.fetchers.aiohttp_fetchers": ("AIOHttpFetcherBackend",),
}


class _Offline:
    """Stands in for pyHanko's HTTP clients, which dsr never loads."""

    def __init__(self, *args, **kwargs):
        raise RuntimeError("dsr 离线签名与验证：pyHanko 的网络客户端（时间戳、证书与吊销信息获取）未加载")


def import_pyhanko(name: str):
    """Import a pyHanko (or pyhanko_certvalidator) module without loading aiohttp, if pyHanko is not loaded yet."""
    if "pyhanko.sign" in sys.modules or any(m in sys.modules for m in _STUBS):
        return importlib.import_module(name)
    stubs = {}
    for module, names in _STUBS.items():
        stub = types.ModuleType(module)
        stub.__all__ = list(names)
        for attr in names:
            setattr(stub, attr, _Offline)
        stubs[module] = sys.modules[module] = stub
    try:
        return importlib.import_module(name)
    finally:
        for module, stub in stubs.items():
            if sys.modules.get(module) is stub:
                del sys.modules[module]


def _no_search(name: str) -> None:
    """ctypes.util.find_library while WeasyPrint loads its libraries: no search (see import_weasyprint)."""
    return None


def import_weasyprint():
    """Import WeasyPrint without ctypes' library search, on Linux.

    WeasyPrint loads pango, harfbuzz, fontconfig … by trying several names per library, Windows and macOS
    ones first; cffi hands every name that does not load to `ctypes.util.find_library`, which on Linux runs
    `ldconfig -p` and the C compiler to look for it: 22 searches, about 0.4-0.6 s of wall time and 0.15 s
    of CPU in subprocesses per process. Each list also holds the Linux soname (`libpango-1.0.so.0` …),
    which the dynamic loader finds without a search, so the same libraries are loaded. Should that fail
    on some system, the import is retried with the search.
    """
    if "weasyprint" in sys.modules or not sys.platform.startswith("linux"):
        return importlib.import_module("weasyprint")
    import ctypes.util

    original = ctypes.util.find_library
    ctypes.util.find_library = _no_search
    try:
        return importlib.import_module("weasyprint")
    except (OSError, ImportError):
        for module in [m for m in sys.modules if m == "weasyprint" or m.startswith("weasyprint.")]:
            del sys.modules[module]
        ctypes.util.find_library = original
        return importlib.import_module("weasyprint")
    finally:
        ctypes.util.find_library = original
