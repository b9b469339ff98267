"""Import pyHanko without its HTTP clients: dsr signs and verifies offline and never fetches anything.

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
