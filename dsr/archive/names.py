"""Checks that a name taken from input (brigade, draw id, file name) is safe as one path segment."""

from __future__ import annotations

import unicodedata

from dsr.errors import ArchiveError

NAME_MAX = 100  # characters; keeps whole paths well under PATH_MAX with Chinese names
_FORBIDDEN = ("/", "\\", "\x00")


def _bad_reason(name: str) -> str | None:
    """Why a name cannot be one path segment, or None when it can."""
    if not isinstance(name, str) or not name.strip():
        return "为空"
    if name in (".", ".."):
        return "不得为 . 或 .."
    if any(ch in name for ch in _FORBIDDEN):
        return "不得含 /、\\ 或空字符"
    # Cc/Cf/Zl/Zp cover control characters, bidi overrides and line breaks that disguise a name.
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in name):
        return "不得含控制字符"
    if name != name.strip():
        return "首尾不得有空白"
    if name.startswith("."):
        return "不得以 . 开头"
    if len(name) > NAME_MAX:
        return f"长度不得超过 {NAME_MAX} 个字符"
    return None


def check_segment(what: str, name: str) -> str:
    """Return the name unchanged if it is one safe path segment, else raise ArchiveError."""
    reason = _bad_reason(name)
    if reason is not None:
        raise ArchiveError(f"{what}不能用作文件夹或文件名：「{name!s}」{reason}")
    return name


def check_relative(what: str, rel: str) -> str:
    """Return a relative POSIX path whose every segment is safe, else raise ArchiveError."""
    if not isinstance(rel, str) or not rel:
        raise ArchiveError(f"{what}不能用作文件夹或文件名：「{rel!s}」为空")
    for part in rel.split("/"):
        check_segment(what, part)
    return rel
