"""The PDF step's warm-up: a throw-away render that leaves no file behind."""

from __future__ import annotations

import pytest

from dsr.record import pdf


@pytest.mark.slow
def test_warm_up_renders_a_page_and_writes_nothing(tmp_path, monkeypatch):
    """pdf.warm_up() renders in memory only (nothing appears in the working folder) and returns None."""
    monkeypatch.chdir(tmp_path)
    assert pdf.warm_up() is None
    assert list(tmp_path.iterdir()) == []
