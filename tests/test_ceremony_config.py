"""The ceremony file is read strictly: a wrongly typed value is a CeremonyError naming the key, never a crash."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from dsr.ceremony.config import CeremonyError, load_ceremony

REPO = Path(__file__).resolve().parents[1]
DEMO = yaml.safe_load((REPO / "params/demo/ceremony.yaml").read_text(encoding="utf-8"))


def _load(tmp_path: Path, **edits):
    doc = {**DEMO, **edits}
    path = tmp_path / "ceremony.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return load_ceremony(path, REPO)


def test_the_demo_ceremony_loads(tmp_path: Path):
    ceremony = _load(tmp_path)
    assert ceremony.inspection_date == "2026-12-01"
    assert ceremony.draw_at == "2026-11-30T10:00:00+08:00"
    assert len(ceremony.inputs) == 5 and len(ceremony.brigades) == 9


@pytest.mark.parametrize(("edits", "message"), [
    # B11: a float where the list of inputs belongs crashed with "'float' object is not iterable"
    ({"inputs": 0.5}, "「inputs」应为列表（每行以 - 开头），实为「0.5」"),
    ({"witnesses": {"name": "王建国"}}, "「witnesses」应为列表（每行以 - 开头），实为「{'name': '王建国'}」"),
    ({"task_name": ["a", "b"]}, "「task_name」应为一项文字，实为「['a', 'b']」"),
    ({"item": None}, "「item」不能为空"),
    ({"inspection_date": "2026-13-01"}, "「inspection_date」应为日期（例如 2026-12-01），实为「2026-13-01」"),
    ({"inspection_date": True}, "「inspection_date」应为一项文字，实为「True」"),
    ({"commit_at": "明天上午"}, "「commit_at」应为时间（例如 2026-11-27T09:00:00+08:00），实为「明天上午」"),
    ({"draw_at": "2026-11-30T10:00:00"}, "「draw_at」缺少时区（例如 +08:00），实为「2026-11-30T10:00:00」"),
    ({"signing": {"pkcs12": "k.p12", "passphrase_env": 7}},
     "「signing」应为 {pkcs12: 文件, passphrase_env: 环境变量名}，实为「{'passphrase_env': 7, 'pkcs12': 'k.p12'}」"),
    ({"notes": ["x"]}, "「notes」应为一段文字，实为「['x']」"),
])
def test_wrongly_typed_values_are_named(tmp_path: Path, edits: dict, message: str):
    with pytest.raises(CeremonyError) as caught:
        _load(tmp_path, **edits)
    assert str(caught.value) == f"仪式参数文件 ceremony.yaml：{message}"
