"""Load: a province-sized directory (1,000,000 units, 150 brigades) through check, commit, draw and verify."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _run(*args: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "tests.adversarial.province_load", *args], cwd=REPO,
                          capture_output=True, text=True, timeout=3600)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def test_small_province_end_to_end():
    """The load script itself works: 3,000 units over 150 brigades check, commit, draw and verify."""
    out = _run("--units", "3000", "--brigades", "150")
    assert "LOAD verify ok" in out
    assert "LOAD directory: 3,000 units, 600 inspectors" in out


@pytest.mark.slow
@pytest.mark.soak
def test_province_of_a_million_units():
    """1,000,000 units and 150 brigades: every phase completes, the redraw matches; figures are printed."""
    out = _run()
    print(out)
    assert "LOAD directory: 1,000,000 units, 600 inspectors" in out
    assert "LOAD verify ok" in out
