"""Shared fixtures of the adversarial suite: Hypothesis profiles and one committed small ceremony."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from .builders import build_base

# The default run fuzzes lightly; DSR_FUZZ_EXAMPLES=10000 (the slow test sets it per reader) runs the full count.
settings.register_profile("adversarial", max_examples=int(os.environ.get("DSR_FUZZ_EXAMPLES", "60")),
                          deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


@pytest.fixture(scope="session")
def base_ceremony(tmp_path_factory) -> Path:
    """A small three-brigade ceremony with its commitment posted (folder holding ceremony.yaml and root/)."""
    base = tmp_path_factory.mktemp("adv-base")
    build_base(base)
    return base
