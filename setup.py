"""The one compiled part: dsr.core._ticketc, HMAC-SHA256 tickets in bulk with OpenSSL (docs/BENCHMARKS.md, Draw).

Optional: where it cannot be built (no C compiler, no OpenSSL headers) the install goes on without it and dsr
computes the same tickets in Python, more slowly. Everything else is declared in pyproject.toml.
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("dsr.core._ticketc", ["dsr/core/_ticketc.c"], libraries=["crypto"], optional=True,
                             extra_compile_args=["-O2"])])
