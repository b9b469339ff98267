"""notebooks/ceremony.ipynb run as the clerk would: parameters cell filled, all cells run, summary shown."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from batch_helpers import CEREMONY_ID, ENTROPY, REPO, write_ceremony

from dsr.archive import LEDGER_NAME, Ledger
from dsr.ceremony.config import CeremonyError
from dsr.ceremony.lab import prepare, project_folder

NOTEBOOK = REPO / "notebooks/ceremony.ipynb"


def _outputs(nb: dict) -> str:
    """Every text and HTML output of an executed notebook, joined."""
    parts = []
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            parts += ["".join(data.get("text/html", "")), "".join(data.get("text/plain", "")), "".join(out.get("text", ""))]
    return "\n".join(parts)


def test_ceremony_file_found_from_the_notebooks_folder(tmp_path: Path, monkeypatch):
    """Started in notebooks/ (as JupyterLab does), the ceremony file is found in the project folder above."""
    write_ceremony(tmp_path)
    (tmp_path / "notebooks").mkdir()
    monkeypatch.chdir(tmp_path / "notebooks")
    assert project_folder("ceremony.yaml") == tmp_path.resolve()
    ceremony = prepare("ceremony.yaml", witnesses=[{"name": "王建国", "role": "廉政监督员"}], entropy={"fc3d": "1 2 3"})
    assert ceremony.base == tmp_path.resolve()
    assert ceremony.inputs[0].parent == (tmp_path / "data").resolve()
    assert [w.name for w in ceremony.witnesses] == ["王建国"] and ceremony.entropy_values == {"fc3d": "1 2 3"}


def test_missing_ceremony_file_is_named(tmp_path: Path, monkeypatch):
    """A ceremony file found neither here nor above is refused by name."""
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CeremonyError) as caught:
        project_folder("nowhere.yaml")
    assert str(caught.value) == f"找不到仪式参数文件 nowhere.yaml（已在 {tmp_path.resolve()} 及其上级文件夹中查找）"


def test_witness_typed_with_unknown_role_is_refused(tmp_path: Path, monkeypatch):
    """A witness typed in the parameters cell with a role outside the list is refused, listing the roles."""
    write_ceremony(tmp_path)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CeremonyError) as caught:
        prepare("ceremony.yaml", witnesses=[{"name": "王建国", "role": "路人"}])
    assert str(caught.value) == ("仪式参数文件 ceremony.yaml：第 1 位见证人「王建国」的身份「路人」不在可选范围："
                                 "廉政监督员、企业代表、人大代表、政协委员、新闻媒体、法制部门、纪检部门、群众代表、其他")


@pytest.mark.slow
def test_notebook_runs_the_ceremony_and_shows_the_summary(tmp_path: Path):
    """Executed with papermill in notebooks/: entropy typed in the cell, one signed record, summary with its link."""
    import papermill

    write_ceremony(tmp_path, brigades=("文峰区",), entropy=None)
    (tmp_path / "notebooks").mkdir()
    out = tmp_path / "notebooks/executed.ipynb"
    papermill.execute_notebook(
        str(NOTEBOOK), str(out), cwd=str(tmp_path / "notebooks"), progress_bar=False, kernel_name="python3",
        parameters={
            "ceremony_file": "ceremony.yaml", "archive_root": "outputs", "workers": 1, "entropy": ENTROPY,
            "witnesses": [{"name": "王建国", "role": "廉政监督员", "org": "支队纪检组"},
                          {"name": "孙晓燕", "role": "新闻媒体", "org": "安阳日报社"}],
        },
    )
    shown = _outputs(json.loads(out.read_text(encoding="utf-8")))
    assert "王建国" in shown and "孙晓燕" in shown
    assert f'<a href="../outputs/2026/文峰区/{CEREMONY_ID}/record.pdf" target="_blank">2026/文峰区/{CEREMONY_ID}</a>' in shown
    assert "<td>完成</td>" in shown and "共 1 个大队，1 个完成，0 个失败。" in shown
    root = tmp_path / "outputs"
    assert (root / f"2026/文峰区/{CEREMONY_ID}/record.pdf").is_file()
    with Ledger(root / LEDGER_NAME, root, create=False) as ledger:
        assert [e.kind for e in ledger.events()] == ["commit", "draw", "record"]
        seq, digest = ledger.head()
        assert f"账本头（请公布）：<code>{seq}:{digest}</code>" in shown
        assert ledger.verify().ok
