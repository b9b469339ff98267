"""The detachment and its brigades, read strictly from params/detachment.yaml."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import yaml

from dsr.errors import InputError, Problem

_DIVISION = re.compile(r"^\d{6}$")
_TOP_KEYS = ("detachment", "city_division", "brigades")
_BRIGADE_KEYS = ("name", "division", "full_name")


@dataclass(frozen=True)
class Brigade:
    """One 大队: short name as clerks write it (文峰区), its division code and full name."""

    name: str
    division: str
    full_name: str


@dataclass(frozen=True)
class Detachment:
    """The 支队 and its brigades; the legal values of 管辖单位 and 单位."""

    name: str
    city_division: str
    brigades: tuple[Brigade, ...]

    def brigade_names(self) -> tuple[str, ...]:
        """Short names of the brigades, in file order."""
        return tuple(b.name for b in self.brigades)

    def resolve_brigade(self, text: str) -> str | None:
        """The brigade's short name for its short or full name, else None."""
        return self._names.get(text)

    @cached_property
    def _names(self) -> dict[str, str]:
        names = {b.full_name: b.name for b in self.brigades}
        names.update({b.name: b.name for b in self.brigades})
        return names


def load_detachment(path: Path | str) -> Detachment:
    """Read params/detachment.yaml; unknown or missing keys and bad division codes are errors."""
    path = Path(path)
    try:
        # BaseLoader: every scalar stays a string (no dates, no octal surprises).
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InputError([Problem(path.name, f"无法读取参数文件：{exc}")]) from exc
    problems: list[Problem] = []
    if not isinstance(data, dict):
        raise InputError([Problem(path.name, "参数文件应为键值映射", expected="detachment、city_division、brigades")])
    _check_keys(path.name, "", data, _TOP_KEYS, problems)
    brigades = tuple(_brigade(path.name, i, b, problems) for i, b in enumerate(_list(data.get("brigades")), 1))
    city = str(data.get("city_division", ""))
    if not _DIVISION.match(city):
        problems.append(Problem(path.name, "行政区划码应为 6 位数字", column="city_division", value=city))
    for b in brigades:
        if city and not b.division.startswith(city[:4]):
            problems.append(Problem(path.name, f"大队 {b.name} 的区划码不在本市（{city[:4]}xx）内",
                                    column="division", value=b.division))
    names = [b.name for b in brigades]
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.append(Problem(path.name, "大队名称重复", column="name", value=name))
    if not brigades:
        problems.append(Problem(path.name, "至少应有一个大队", column="brigades"))
    if problems:
        raise InputError(problems)
    return Detachment(str(data["detachment"]), city, brigades)


def _list(value: object) -> list:
    return value if isinstance(value, list) else []


def _check_keys(file: str, where: str, data: dict, allowed: tuple[str, ...], problems: list[Problem]) -> None:
    for key in data:
        if key not in allowed:
            near = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f"；是否应为 {near[0]}？" if near else ""
            problems.append(Problem(file, f"{where}未知的键{hint}", column=str(key), expected="、".join(allowed)))
    for key in allowed:
        if key not in data or data[key] in (None, ""):
            problems.append(Problem(file, f"{where}缺少键", column=key))


def _brigade(file: str, index: int, item: object, problems: list[Problem]) -> Brigade:
    if not isinstance(item, dict):
        problems.append(Problem(file, f"第 {index} 个大队应为键值映射", expected="name、division、full_name"))
        return Brigade("", "", "")
    _check_keys(file, f"第 {index} 个大队：", item, _BRIGADE_KEYS, problems)
    division = str(item.get("division", ""))
    if "division" in item and not _DIVISION.match(division):
        problems.append(Problem(file, f"第 {index} 个大队：行政区划码应为 6 位数字", column="division", value=division))
    return Brigade(str(item.get("name", "")), division, str(item.get("full_name", "")))
