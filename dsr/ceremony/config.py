"""The ceremony file (仪式参数): which inputs, rules, sources and witnesses one batch uses."""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from dsr.errors import UsageError

WITNESS_ROLES = ("廉政监督员", "企业代表", "人大代表", "政协委员", "新闻媒体", "法制部门", "纪检部门", "群众代表", "其他")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_KEYS = (
    "ceremony_id", "detachment", "task_name", "item", "inspection_date", "commit_at", "draw_at",
    "inputs", "rules", "sources", "entropy", "operator", "witnesses", "signing", "notes",
)
_REQUIRED = ("ceremony_id", "detachment", "task_name", "item", "inspection_date", "commit_at",
             "inputs", "rules", "sources", "operator", "witnesses")


class CeremonyError(UsageError):
    """The ceremony file itself is wrong (exit 1: the operator fixes the file)."""

    exit_code = 1


@dataclass(frozen=True)
class Person:
    """A witness or the operator, as printed in the record."""

    name: str
    role: str
    org: str = ""


@dataclass(frozen=True)
class Signing:
    """Where the detachment's PKCS#12 identity is; None means the demo test identity."""

    pkcs12: Path | None
    passphrase_env: str | None


@dataclass(frozen=True)
class Ceremony:
    """A parsed ceremony file; every path is resolved against the file's folder."""

    path: Path
    ceremony_id: str
    detachment: Path
    task_name: str
    item: str
    inspection_date: str
    commit_at: str
    draw_at: str | None
    inputs: tuple[Path, ...]
    rules: tuple[tuple[str, Path], ...]  # (brigade, rules file), in the file's order
    sources: Path
    entropy: Path | None
    operator: Person
    witnesses: tuple[Person, ...]
    signing: Signing
    notes: str = ""
    entropy_values: Mapping[str, object] | None = None  # values typed in the ceremony notebook (overrides `entropy`)
    base: Path | None = None  # the folder relative paths were resolved against (the demo keys live in base/keys)

    @property
    def brigades(self) -> tuple[str, ...]:
        return tuple(b for b, _ in self.rules)

    @property
    def year(self) -> int:
        return int(self.inspection_date[:4])


class _NoDates(yaml.SafeLoader):
    """Safe YAML that leaves dates as the text the operator typed."""


_NoDates.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag != "tag:yaml.org,2002:timestamp"]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _fail(path: Path, message: str) -> CeremonyError:
    return CeremonyError(f"仪式参数文件 {path.name}：{message}")


def _person(path: Path, raw: object, where: str) -> Person:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("name"), str) or not raw["name"].strip():
        raise _fail(path, f"{where} 应写成 {{name: 姓名, role: 身份}}，实为「{raw}」")
    unknown = sorted(set(raw) - {"name", "role", "org"})
    if unknown:
        raise _fail(path, f"{where} 有未知的键「{unknown[0]}」（可用：name、role、org）")
    return Person(str(raw["name"]).strip(), str(raw.get("role", "")).strip(), str(raw.get("org", "")).strip())


def _witness(path: Path, raw: object, i: int) -> Person:
    person = _person(path, raw, f"第 {i} 位见证人")
    if person.role not in WITNESS_ROLES:
        raise _fail(path, f"第 {i} 位见证人「{person.name}」的身份「{person.role}」不在可选范围：{'、'.join(WITNESS_ROLES)}")
    return person


def _path(base: Path, path: Path, raw: object, key: str) -> Path:
    if not isinstance(raw, str) or not raw.strip() or "\x00" in raw:
        raise _fail(path, f"「{key}」应为文件路径，实为「{raw!r}」" if "\x00" in str(raw) else f"「{key}」应为文件路径，实为「{raw}」")
    return (base / raw).resolve()


def _text(path: Path, data: Mapping, key: str) -> str | None:
    """A one-line value (text or number), or None when absent or empty; a list or mapping is refused."""
    raw = data.get(key)
    if raw is None or raw == "":
        return None
    if isinstance(raw, (Mapping, list, bool)):
        raise _fail(path, f"「{key}」应为一项文字，实为「{raw}」")
    return str(raw).strip()


def _date(path: Path, text: str, key: str) -> str:
    try:
        dt.date.fromisoformat(text)
    except ValueError as exc:
        raise _fail(path, f"「{key}」应为日期（例如 2026-12-01），实为「{text}」") from exc
    return text


def _moment(path: Path, text: str | None, key: str) -> str | None:
    if text is None:
        return None
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError as exc:
        raise _fail(path, f"「{key}」应为时间（例如 2026-11-27T09:00:00+08:00），实为「{text}」") from exc
    if when.tzinfo is None:
        raise _fail(path, f"「{key}」缺少时区（例如 +08:00），实为「{text}」")
    return text


def _list(path: Path, data: Mapping, key: str) -> list:
    raw = data.get(key)
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise _fail(path, f"「{key}」应为列表（每行以 - 开头），实为「{raw}」")
    return raw


def load_ceremony(path: Path, root: Path | None = None) -> Ceremony:
    """Read a ceremony file strictly: unknown keys name the nearest valid key; paths are resolved
    against `root` (default: the current folder), the way a clerk writes them in the repository."""
    path = Path(path)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_NoDates)
    except (OSError, yaml.YAMLError, UnicodeDecodeError) as exc:
        raise _fail(path, f"无法读取：{exc}") from exc
    if not isinstance(data, Mapping):
        raise _fail(path, "内容应为键值对")
    for key in data:
        if key not in _KEYS:
            near = difflib.get_close_matches(str(key), _KEYS, n=1)
            hint = f"，是否应为「{near[0]}」" if near else ""
            raise _fail(path, f"未知的键「{key}」{hint}")
    for key in _REQUIRED:
        if key not in data:
            raise _fail(path, f"缺少「{key}」")
    base = Path(root) if root is not None else Path.cwd()
    cid = str(data["ceremony_id"])
    if not _ID.match(cid):
        raise _fail(path, f"ceremony_id「{cid}」只能含字母、数字、- 和 _，且不超过 64 个字符")
    rules = data["rules"]
    if not isinstance(rules, Mapping) or not rules:
        raise _fail(path, "「rules」应为 大队: 细则文件 的列表")
    witnesses = _list(path, data, "witnesses")
    inputs = _list(path, data, "inputs")
    texts = {key: _text(path, data, key) for key in ("task_name", "item", "inspection_date", "commit_at", "draw_at")}
    for key in ("task_name", "item", "inspection_date", "commit_at"):
        if texts[key] is None:
            raise _fail(path, f"「{key}」不能为空")
    _date(path, texts["inspection_date"], "inspection_date")
    _moment(path, texts["commit_at"], "commit_at")
    _moment(path, texts["draw_at"], "draw_at")
    signing = data.get("signing") or {}
    if not isinstance(signing, Mapping) or not isinstance(signing.get("passphrase_env") or "", str) \
            or set(signing) - {"pkcs12", "passphrase_env"}:
        raise _fail(path, f"「signing」应为 {{pkcs12: 文件, passphrase_env: 环境变量名}}，实为「{signing}」")
    notes = data.get("notes") or ""
    if isinstance(notes, (Mapping, list)):
        raise _fail(path, f"「notes」应为一段文字，实为「{notes}」")
    return Ceremony(
        path=path.resolve(),
        ceremony_id=cid,
        detachment=_path(base, path, data["detachment"], "detachment"),
        task_name=texts["task_name"],
        item=texts["item"],
        inspection_date=texts["inspection_date"],
        commit_at=texts["commit_at"],
        draw_at=texts["draw_at"],
        inputs=tuple(_path(base, path, p, "inputs") for p in inputs),
        rules=tuple((str(b), _path(base, path, p, f"rules.{b}")) for b, p in rules.items()),
        sources=_path(base, path, data["sources"], "sources"),
        entropy=_path(base, path, data["entropy"], "entropy") if data.get("entropy") else None,
        operator=_person(path, data["operator"], "operator"),
        witnesses=tuple(_witness(path, w, i) for i, w in enumerate(witnesses, 1)),
        signing=Signing(
            pkcs12=_path(base, path, signing["pkcs12"], "signing.pkcs12") if signing.get("pkcs12") else None,
            passphrase_env=signing.get("passphrase_env"),
        ),
        notes=str(notes),
        base=base.resolve(),
    )
