"""The record JSON: one canonical document holding everything a stranger needs to re-derive the draw."""

from __future__ import annotations

import platform
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dsr.core.canonical import canonical_bytes, sha256_hex
from dsr.errors import RecordError

FORMAT = "dsr-record/1"
RECORD_FILE = "record.json"
# The record folder's other names (dsr.record.pipeline writes them, dsr.record.verify reads them).
PDF_FILE, HTML_FILE, SIG_SUFFIX, INPUTS_DIR = "record.pdf", "record.html", ".p7s", "inputs"
# Packages whose versions the record states: the ones that draw, read inputs, render and sign.
PACKAGES = ("dsr", "python-calamine", "openpyxl", "PyYAML", "papermill", "nbconvert", "pandas",
            "matplotlib", "weasyprint", "pyhanko", "cryptography", "segno")
ROLES = {"source": "Source", "data": "Data"}


@dataclass(frozen=True)
class InputFile:
    """One file the draw was made from, as attached to the record (flat name, role, bytes)."""

    name: str  # file name inside the PDF and under inputs/ (no folders)
    kind: str  # what it is: workbook, detachment, rules, commitment, frozen-inputs, entropy
    data: bytes

    def entry(self) -> dict[str, Any]:
        """The manifest line for this file."""
        return {"name": self.name, "kind": self.kind, "sha256": sha256_hex(self.data), "size": len(self.data)}


def record_id(batch_id: str, brigade: str, voided: int = 0) -> str:
    """A record's id: the batch id and the brigade, with -r2, -r3 … after earlier draws were voided."""
    return f"{batch_id}-{brigade}" + (f"-r{voided + 1}" if voided else "")


def check_file_name(name: str) -> str:
    """Refuse attachment names that could escape a folder or confuse a reader."""
    bad = not name or name in (".", "..") or any(c in name for c in "/\\\x00:") or name.startswith(".")
    if bad or len(name) > 120:
        raise RecordError(f"附件文件名「{name}」不可用（不得含路径分隔符、以点开头或超过 120 个字符）")
    return name


def check_witnesses(witnesses: Sequence[Mapping[str, str]], minimum: int, required_roles: Sequence[str]) -> None:
    """Refuse a witness list that is shorter than the rules demand or lacks a required role."""
    for number, witness in enumerate(witnesses, start=1):
        if not str(witness.get("name", "")).strip() or not str(witness.get("role", "")).strip():
            raise RecordError(f"第 {number} 位见证人缺少姓名或身份（name、role）")
    if len(witnesses) < minimum:
        raise RecordError(f"抽查工作细则要求至少 {minimum} 名见证人，实有 {len(witnesses)} 名")
    present = {w["role"] for w in witnesses}
    missing = [role for role in required_roles if role not in present]
    if missing:
        raise RecordError("抽查工作细则要求的见证人身份缺少：" + "、".join(missing))


def software_versions() -> dict[str, str]:
    """Python and the versions of the packages that made the record."""
    from importlib import metadata  # here: a process that only checks or names records does not load it

    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "未安装"
    return versions


def build_record(*, record_id: str, created_at: str, header: Mapping[str, Any], files: Sequence[InputFile],
                 commitment: Mapping[str, Any], entropy: Mapping[str, Any], seed: str,
                 draw: Mapping[str, Any], people: Mapping[str, Any], software: Mapping[str, str],
                 voids: Sequence[Mapping[str, str]] = ()) -> dict:
    """Assemble the record document; every value is plain JSON, so its canonical bytes are the record."""
    names = [check_file_name(f.name) for f in files]
    if len(set(names)) != len(names):
        raise RecordError("附件文件名重复：" + "、".join(sorted({n for n in names if names.count(n) > 1})))
    return {
        "format": FORMAT,
        "record_id": record_id,
        "created_at": created_at,
        "header": dict(header),
        "inputs": [f.entry() for f in files],
        "commitment": dict(commitment),
        "entropy": dict(entropy),
        "seed": seed,
        "draw": dict(draw),
        "people": dict(people),
        "software": dict(software),
        "voids": [dict(v) for v in voids],
    }


def record_bytes(record: Mapping[str, Any]) -> bytes:
    """The record's canonical JSON bytes: what is signed, attached and hashed."""
    return canonical_bytes(record)


def record_hash(data: bytes) -> str:
    """SHA-256 of the record bytes (hex)."""
    return sha256_hex(data)


def qr_text(record_id: str, digest: str) -> str:
    """What the QR code carries: the record id and the SHA-256 of record.json."""
    return f"DSR1;{record_id};sha256:{digest}"


def qr_svg(text: str) -> str:
    """An inline SVG QR code (no XML declaration, no external reference)."""
    import io

    import segno

    buffer = io.BytesIO()
    segno.make(text, error="m", micro=False).save(buffer, kind="svg", scale=3, border=2, xmldecl=False,
                                                 svgns=True, nl=False)
    return buffer.getvalue().decode("utf-8")


def rules_includes(rules_path: str | Path) -> list[Path]:
    """The file a rules YAML includes (`include:` beside it), so it is attached with it."""
    import yaml

    path = Path(rules_path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return []  # the rules loader reports unreadable files in full
    target = data.get("include") if isinstance(data, dict) else None
    return [path.parent / target] if isinstance(target, str) and (path.parent / target).is_file() else []


def input_sources(workbooks: Sequence[str | Path], detachment: str | Path, rules: str | Path,
                  commitment: str | Path, frozen: str | Path) -> list[tuple[Path, str]]:
    """(path, kind) of every input file, in the record's fixed order."""
    items = [(Path(w), "workbook") for w in workbooks]
    items += [(Path(detachment), "detachment"), (Path(rules), "rules")]
    items += [(p, "rules-include") for p in rules_includes(rules)]
    return items + [(Path(commitment), "commitment"), (Path(frozen), "frozen-inputs")]


def read_input_files(workbooks: Sequence[str], detachment: str, rules: str, commitment: str,
                     frozen: str) -> list[InputFile]:
    """The record's input files, read from disk, in the record's fixed order."""
    return [InputFile(check_file_name(p.name), kind, p.read_bytes())
            for p, kind in input_sources(workbooks, detachment, rules, commitment, frozen)]


def write_record(record: Mapping[str, Any], path: str) -> str:
    """Write the record's canonical bytes to `path` and return their SHA-256."""
    data = record_bytes(record)
    Path(path).write_bytes(data)
    return record_hash(data)
