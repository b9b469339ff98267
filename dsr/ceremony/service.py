"""Ceremony steps shared by `dsr commit`, `dsr draw`, `dsr batch` and the ceremony notebook."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from dsr import __version__
from dsr.core import commitment as cm
from dsr.core import entropy
from dsr.core.canonical import canonical_bytes
from dsr.core.freeze import frozen_document
from dsr.core.model import DrawInputs
from dsr.errors import DrawError

COMMITMENT_FILE = "commitment.json"
COMMITMENT_HASH_FILE = "commitment.sha256"
NOTICE_HTML = "承诺公告.html"
NOTICE_PDF = "承诺公告.pdf"


def frozen_file(brigade: str) -> str:
    """File name of a brigade's frozen inputs beside the commitment."""
    return f"inputs-{brigade}.json"


def prepare_brigades(
    input_paths: Sequence[Path], rules_paths: Sequence[Path], params: Path,
    dates: Mapping[str, dt.date] | dt.date, history: Sequence = (),
) -> dict[str, DrawInputs]:
    """Read inputs and rules files into each brigade's DrawInputs (`dates`: one date, or per brigade)."""
    from dsr.cli.draw import prepare_brigades as _prepare

    return _prepare(input_paths, rules_paths, params, dates, history)


def load_committed(folder: Path) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The commitment in a posted folder and the frozen inputs beside it (checked canonical)."""
    from dsr.cli.draw import read_commitment

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


def posted_files(ceremony, brigades: Mapping[str, DrawInputs]) -> tuple[dict[str, bytes], dict[str, Any], str]:
    """Every file of the commitment folder: commitment, its hash, frozen inputs, the notice (HTML + PDF/A)."""
    from dsr.announce import load_sources
    from dsr.record.pdf import Attachment, html_to_pdf

    sources = load_sources(ceremony.sources)
    detachment = next(iter(brigades.values())).detachment
    operator = ceremony.operator.name + (f"（{ceremony.operator.org}）" if ceremony.operator.org else "")
    c = cm.make_commitment(ceremony.ceremony_id, detachment, brigades, sources, __version__, cm.ALGORITHM,
                           ceremony.commit_at, operator, ceremony.notes)
    digest = cm.commitment_hash(c)
    body = canonical_bytes(c)
    counts = {b: len(i.units) for b, i in brigades.items()}
    html = notice_html(c, digest, ceremony.task_name, ceremony.draw_at, counts, ceremony.brigades)
    pdf = html_to_pdf(html, [Attachment(COMMITMENT_FILE, body, "Data", "承诺（规范 JSON）")], ceremony.commit_at)
    files = {
        COMMITMENT_FILE: body,
        COMMITMENT_HASH_FILE: f"{digest}  {COMMITMENT_FILE}\n".encode(),
        NOTICE_HTML: html,
        NOTICE_PDF: pdf,
    }
    files |= {frozen_file(b): canonical_bytes(frozen_document(i)) for b, i in brigades.items()}
    return files, c, digest


def required_entropy(c: Mapping[str, Any]) -> tuple[float, float]:
    """(bits the announced sources give, bits the draw needs), for the notice and the CLI."""
    sources = entropy.sources_from_plain(c["entropy"]["sources"])
    outcome = sum(cm.outcome_log2(e["strata"]) for e in c["brigades"].values())
    if not c["brigades"]:
        raise DrawError("承诺中没有大队")
    return entropy.entropy_bits(sources), entropy.required_bits(outcome)
