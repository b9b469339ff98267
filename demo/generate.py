"""Write the 安阳 demo workbooks into demo/data/ from the fixed seed (run: .venv/bin/python demo/generate.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

from dsr import synth

HERE = Path(__file__).resolve().parent
PARAMS = HERE.parent / "params" / "detachment.yaml"


def brigades_from_params(path: Path = PARAMS) -> tuple[synth.SynthBrigade, ...]:
    """The brigades of params/detachment.yaml, as the generator needs them."""
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)  # strings only
    return tuple(synth.brigade(b["name"], b["division"], b["full_name"]) for b in data["brigades"])


def main(out: Path = HERE / "data") -> int:
    """Regenerate every demo workbook; the same seed always gives byte-identical files."""
    for path in synth.write_demo(out, brigades_from_params(), synth.DEMO_SEED):
        print(f"{path.relative_to(HERE.parent)}  {path.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "data"))
