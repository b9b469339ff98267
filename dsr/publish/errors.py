"""Errors of the publishing stage: refusals a clerk or the legal department must act on."""

from __future__ import annotations

from dsr.errors import DsrError


class PublishError(DsrError):
    """Publishing or reviewing was refused (wrong review state, unknown draw, unsafe path)."""


class CalendarError(DsrError):
    """The working-day calendar does not know a year a deadline needs."""
