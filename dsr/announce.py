"""Announced-sources and entropy YAML files ▶ checked Source values and the values read out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from dsr.core.entropy import Source, canonical_entropy, sources_from_plain, split_values
from dsr.errors import DrawError

_SOURCES_KEYS = ("sources",)
_ENTROPY_KEYS = ("ceremony_id", "values", "fallbacks")


@dataclass(frozen=True)
class Readings:
    """What was read out at the ceremony: values per announced source, and invoked fallbacks."""

    values: dict[str, tuple[str, ...]]
    fallbacks: dict[str, str]
    ceremony_id: str | None = None


def _load(path: Path, what: str) -> object:
    """YAML with every scalar a string: no dates, no octal 0123, no float seeds (arlo#82)."""
    try:
        return yaml.load(Path(path).read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise DrawError(f"{what} {Path(path).name} 无法读取：{exc}") from None


def _mapping(path: Path, what: str, data: object, keys: Sequence[str], required: Sequence[str]) -> Mapping:
    """A top-level mapping with only known keys and all required ones."""
    if not isinstance(data, Mapping):
        raise DrawError(f"{what} {path.name} 应为键值映射（{'、'.join(keys)}）")
    for key in data:
        if key not in keys:
            raise DrawError(f"{what} {path.name} 有未知的键「{key}」（可用：{'、'.join(keys)}）")
    for key in required:
        if key not in data:
            raise DrawError(f"{what} {path.name} 缺少「{key}」")
    return data


def load_sources(path: Path | str) -> tuple[Source, ...]:
    """Read an announced-sources file (params/demo/sources.yaml is the model)."""
    path = Path(path)
    data = _mapping(path, "熵源声明文件", _load(path, "熵源声明文件"), _SOURCES_KEYS, _SOURCES_KEYS)
    items = data["sources"]
    if not isinstance(items, list) or not all(isinstance(i, Mapping) for i in items):
        raise DrawError(f"熵源声明文件 {path.name} 的「sources」应为列表，每项一个熵源")
    try:
        return sources_from_plain(items)
    except DrawError as exc:
        raise DrawError(f"熵源声明文件 {path.name}：{exc}") from None


def readings_from_plain(data: Mapping, sources: Sequence[Source], name: str = "熵值") -> Readings:
    """Values per source (a list, or one string split on spaces, commas or 、) and fallback reasons."""
    values = data.get("values") or {}
    fallbacks = data.get("fallbacks") or {}
    if not isinstance(values, Mapping) or not isinstance(fallbacks, Mapping):
        raise DrawError(f"{name}：「values」与「fallbacks」应为 来源 id: 值 的映射")
    by_id = {s.id: s for s in sources}
    parsed = {}
    for key, raw in values.items():
        source = by_id.get(key)
        # an unannounced id is kept as given; canonical_entropy refuses it with the others
        parsed[str(key)] = split_values(source, raw) if source else (str(raw),)
    reasons = {str(k): str(v) for k, v in fallbacks.items()}
    ceremony_id = data.get("ceremony_id")
    return Readings(parsed, reasons, str(ceremony_id) if ceremony_id is not None else None)


def load_entropy(path: Path | str, sources: Sequence[Source]) -> Readings:
    """Read an entropy file (params/demo/entropy.yaml is the model); values are checked by the draw."""
    path = Path(path)
    data = _mapping(path, "熵值文件", _load(path, "熵值文件"), _ENTROPY_KEYS, ("values",))
    readings = readings_from_plain(data, sources, f"熵值文件 {path.name}")
    try:  # check the values now, so the message names the file they were read from
        canonical_entropy(sources, readings.values, readings.fallbacks)
    except DrawError as exc:
        raise DrawError(f"熵值文件 {path.name}：{exc}") from None
    return readings
