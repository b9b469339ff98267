"""params/detachment.yaml is read strictly: the real file loads; unknown keys and bad codes are refused."""

from __future__ import annotations

import pytest

from dsr.errors import InputError
from dsr.inputs import load_detachment
from inputs_helpers import ROOT


def test_real_params_load():
    """The detachment has its 9 brigades with 4105xx division codes."""
    det = load_detachment(ROOT / "params" / "detachment.yaml")
    assert det.name == "安阳市消防救援支队" and det.city_division == "410500"
    assert len(det.brigades) == 9 and all(b.division.startswith("4105") for b in det.brigades)
    assert det.resolve_brigade("林州市消防救援大队") == "林州市" and det.resolve_brigade("郑州") is None


def test_unknown_key_is_refused_with_suggestion(tmp_path):
    """A misspelt key is an error naming the nearest valid key."""
    path = tmp_path / "d.yaml"
    path.write_text('detachment: X\ncity_divison: "410500"\nbrigades:\n'
                    '  - {name: 文峰区, division: "410502", full_name: Y}\n', encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_detachment(path)
    assert [p.render() for p in info.value.problems] == [
        "文件 d.yaml，列「city_divison」：未知的键；是否应为 city_division？（应为：detachment、city_division、brigades）",
        "文件 d.yaml，列「city_division」：缺少键",
        "文件 d.yaml，列「city_division」，值「」：行政区划码应为 6 位数字",
    ]


def test_brigade_outside_the_city_is_refused(tmp_path):
    """A brigade division not under the city's 4-digit prefix is an error."""
    path = tmp_path / "d.yaml"
    path.write_text('detachment: X\ncity_division: "410500"\nbrigades:\n'
                    '  - {name: 金水区, division: "410105", full_name: Y}\n', encoding="utf-8")
    with pytest.raises(InputError) as info:
        load_detachment(path)
    assert [p.render() for p in info.value.problems] == [
        "文件 d.yaml，列「division」，值「410105」：大队 金水区 的区划码不在本市（4105xx）内"]
