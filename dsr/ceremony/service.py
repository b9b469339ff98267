"""Ceremony steps shared by `dsr commit`, `dsr draw`, `dsr batch` and the ceremony notebook."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from dsr import __version__
from dsr.core import commitment as cm
from dsr.core import entropy
from dsr.core.canonical import canonical_bytes
from dsr.core.freeze import build_draw_inputs, frozen_document
from dsr.core.model import DrawInputs
from dsr.errors import ArchiveError, DrawError, UsageError

COMMITMENT_FILE = "commitment.json"
COMMITMENT_HASH_FILE = "commitment.sha256"
NOTICE_HTML = "承诺公告.html"
NOTICE_PDF = "承诺公告.pdf"


def prepare_brigades(
    input_paths: Sequence[Path], rules_paths: Sequence[Path], params: Path,
    dates: Mapping[str, dt.date] | dt.date, history: Sequence = (),
) -> dict[str, DrawInputs]:
    """Read inputs and rules files into each brigade's DrawInputs (`dates`: one date, or per brigade)."""
    from dsr.inputs import load_detachment, read_inputs
    from dsr.rules import load_rules

    if not params.is_file():
        raise UsageError(f"找不到参数文件 {params}（用 --params 指定 detachment.yaml）")
    detachment = load_detachment(params)
    rules_by_brigade: dict[str, Any] = {}
    for path in rules_paths:
        rules = load_rules(path, detachment.brigade_names())
        if rules.brigade in rules_by_brigade:
            raise UsageError(f"大队「{rules.brigade}」给了两个细则文件")
        rules_by_brigade[rules.brigade] = rules
    # a rules file for a brigade the commitment lacks is read on the earliest date; the ceremony refuses it
    per_date = {b: dates if isinstance(dates, dt.date) else dates.get(b, min(dates.values())) for b in rules_by_brigade}
    directories = {d: read_inputs(input_paths, detachment, d).directory for d in sorted(set(per_date.values()))}
    return {
        b: build_draw_inputs(directories[per_date[b]], detachment.name, b, rules, history, per_date[b])
        for b, rules in sorted(rules_by_brigade.items())
    }


def _write_new(files: Mapping[Path, bytes]) -> None:
    """Write every file, refusing (before writing any) if one already exists: outputs are write-once."""
    existing = sorted(str(p) for p in files if p.exists())
    if existing:
        raise ArchiveError(f"输出文件已存在，拒绝覆盖：{'、'.join(existing)}")
    for path, data in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "xb") as handle:
            handle.write(data)


def frozen_file(brigade: str) -> str:
    """File name of a brigade's frozen inputs beside the commitment."""
    return f"inputs-{brigade}.json"


def draw_file(brigade: str) -> str:
    """File name of a brigade's draw result."""
    return f"draw-{brigade}.json"


# ---------------------------------------------------------------- commit


def commit_files(
    out: Path, brigades: Mapping[str, DrawInputs], sources: Sequence[entropy.Source], ceremony_id: str,
    created_at: str, operator: str, notes: str, detachment: str,
) -> tuple[dict[str, Any], str]:
    """Make the commitment and write commitment.json, commitment.sha256 and each frozen inputs file."""
    c = cm.make_commitment(ceremony_id, detachment, brigades, sources, __version__, cm.ALGORITHM,
                           created_at, operator, notes)
    digest = cm.commitment_hash(c)
    files = {out / COMMITMENT_FILE: canonical_bytes(c), out / COMMITMENT_HASH_FILE: f"{digest}  {COMMITMENT_FILE}\n".encode()}
    files |= {out / frozen_file(b): canonical_bytes(frozen_document(i)) for b, i in brigades.items()}
    _write_new(files)
    return c, digest


def read_commitment(path: Path) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The commitment (which must be in canonical form) and the frozen inputs files beside it."""
    try:
        raw = path.read_bytes()
        c = json.loads(raw.decode("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DrawError(f"承诺文件 {path.name} 无法读取：{exc}") from None
    if not isinstance(c, dict) or canonical_bytes(c) != raw:
        raise DrawError(f"承诺文件 {path.name} 不是规范 JSON，可能被改动过")
    hash_file = path.parent / COMMITMENT_HASH_FILE
    digest = cm.commitment_hash(c)
    if hash_file.is_file() and hash_file.read_text(encoding="utf-8").split()[:1] != [digest]:
        raise DrawError(f"承诺文件 {path.name} 的哈希与 {COMMITMENT_HASH_FILE} 不符")
    documents = {}
    for brigade in c.get("brigades", {}):
        frozen = path.parent / frozen_file(brigade)
        if frozen.is_file():
            documents[brigade] = json.loads(frozen.read_text(encoding="utf-8"))
    return c, documents


def draw_files(
    out: Path, c: Mapping[str, Any], presented: Mapping[str, DrawInputs], values, fallbacks,
    documents: Mapping[str, Mapping[str, Any]],
) -> cm.Ceremony:
    """Run the ceremony and write draw-<brigade>.json, canonical, for every brigade."""
    ceremony = cm.run_ceremony(c, presented, values, fallbacks, documents, __version__)
    files = {out / draw_file(b): canonical_bytes(cm.draw_document(c, ceremony, b)) for b, _ in ceremony.results}
    _write_new(files)
    return ceremony


def load_committed(folder: Path) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The commitment in a posted folder and the frozen inputs beside it (checked canonical)."""
    return read_commitment(Path(folder) / COMMITMENT_FILE)


def notice_html(c: Mapping[str, Any], digest: str, task_name: str, draw_at: str | None,
                unit_counts: Mapping[str, int], order: Sequence[str] = ()) -> bytes:
    """The commitment notice to post before the ceremony: hash, sources, sizes per brigade (escaped)."""
    import jinja2

    from dsr.record.build import qr_svg

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("dsr.ceremony", "templates"), autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    brigades = []
    rank = {b: i for i, b in enumerate(order)}
    for name in sorted(c["brigades"], key=lambda b: (rank.get(b, len(rank)), b)):
        strata = c["brigades"][name]["strata"]
        brigades.append({
            "name": name,
            "units": unit_counts[name],
            "eligible": sum(s["N"] for s in strata),
            "drawn": sum(s["n"] for s in strata),
            "digest": c["brigades"][name]["inputs_sha256"][:16],
        })
    page = env.get_template("notice.html.j2").render(
        detachment=c["detachment"], ceremony_id=c["ceremony_id"], task_name=task_name,
        commitment_hash=digest, created_at=c["created_at"], algorithm=c["algorithm"],
        software=c["software"]["version"], sources=c["entropy"]["sources"], brigades=brigades,
        draw_at=draw_at, operator=c["operator"], notes=c.get("notes", ""),
        qr_svg=qr_svg(f"dsr-commitment:{c['ceremony_id']}:{digest}"),
    )
    return page.encode("utf-8")


def posted_files(ceremony, brigades: Mapping[str, DrawInputs], render=None,
                 ready=None) -> tuple[dict[str, bytes], dict[str, Any], str]:
    """Every file of the commitment folder: commitment, its hash, frozen inputs, the notice (HTML + PDF/A).

    `render(html, attachments, clock)`: start the notice's PDF/A elsewhere (a batch worker that has
    WeasyPrint loaded) and return a function that waits for its bytes; default: render it here.
    `ready(commitment, digest, files)`: called once every file but the notice's PDF is made (`files`
    without it), while that PDF is rendered elsewhere.
    """
    from dsr.announce import load_sources
    from dsr.ceremony import trace
    from dsr.record.pdf import Attachment, html_to_pdf

    sources = load_sources(ceremony.sources)
    detachment = next(iter(brigades.values())).detachment
    operator = ceremony.operator.name + (f"（{ceremony.operator.org}）" if ceremony.operator.org else "")
    c = cm.make_commitment(ceremony.ceremony_id, detachment, brigades, sources, __version__, cm.ALGORITHM,
                           ceremony.commit_at, operator, ceremony.notes)
    digest = cm.commitment_hash(c)
    body = canonical_bytes(c)
    counts = {b: len(i.units) for b, i in brigades.items()}
    trace.mark("notice-commitment")
    html = notice_html(c, digest, ceremony.task_name, ceremony.draw_at, counts, ceremony.brigades)
    trace.mark("notice-html")
    attachments = [Attachment(COMMITMENT_FILE, body, "Data", "承诺（规范 JSON）")]
    pdf = render(html, attachments, ceremony.commit_at) if render is not None else None
    frozen = {frozen_file(b): canonical_bytes(frozen_document(i)) for b, i in brigades.items()}
    files = {
        COMMITMENT_FILE: body,
        COMMITMENT_HASH_FILE: f"{digest}  {COMMITMENT_FILE}\n".encode(),
        NOTICE_HTML: html,
    }
    if ready is not None and pdf is not None:
        ready(c, digest, files | frozen)
    files[NOTICE_PDF] = pdf() if pdf is not None else html_to_pdf(html, attachments, ceremony.commit_at)
    trace.mark("notice-pdf")
    return files | frozen, c, digest


def required_entropy(c: Mapping[str, Any]) -> tuple[float, float]:
    """(bits the announced sources give, bits the draw needs), for the notice and the CLI."""
    sources = entropy.sources_from_plain(c["entropy"]["sources"])
    outcome = sum(cm.outcome_log2(e["strata"]) for e in c["brigades"].values())
    if not c["brigades"]:
        raise DrawError("承诺中没有大队")
    return entropy.entropy_bits(sources), entropy.required_bits(outcome)
