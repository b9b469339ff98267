"""Run the record notebook with papermill after checking its parameters strictly."""

from __future__ import annotations

import ast
import copy
import importlib
import pprint
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from dsr.errors import RecordError

if TYPE_CHECKING:
    import nbformat

DEFAULT_NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "draw.ipynb"


def parameter_names(nb: nbformat.NotebookNode) -> tuple[str, ...]:
    """The names assigned at top level in the cell tagged `parameters`, in order."""
    cells = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", ())]
    if len(cells) != 1:
        raise RecordError(f"笔记本应恰有一个标记为 parameters 的单元，实有 {len(cells)} 个")
    names: list[str] = []
    for node in ast.parse(cells[0].source).body:
        targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
        names.extend(t.id for t in targets if isinstance(t, ast.Name) and t.id not in names)
    return tuple(names)


def check_parameters(nb: nbformat.NotebookNode, params: Mapping[str, object]) -> None:
    """Refuse parameters the notebook does not declare, and declared ones that are not given."""
    declared = parameter_names(nb)
    unknown = sorted(set(params) - set(declared))
    missing = [name for name in declared if name not in params]
    problems = []
    if unknown:
        problems.append("笔记本 parameters 单元中没有这些参数：" + "、".join(unknown))
    if missing:
        problems.append("缺少这些参数：" + "、".join(missing))
    if problems:
        raise RecordError("参数与笔记本不符。" + "；".join(problems))


def quick_import(name: str):
    """Import a module of the Jupyter stack without jsonschema's optional IRI checker.

    jsonschema imports rfc3987_syntax when it is installed (JupyterLab pulls it in), which builds
    an Earley parser at import time: about 3 s of CPU per process, for a format nbformat never uses.
    """
    if "jsonschema" in sys.modules or "rfc3987_syntax" in sys.modules:
        return importlib.import_module(name)
    sys.modules["rfc3987_syntax"] = None  # makes `import rfc3987_syntax` raise ImportError
    try:
        return importlib.import_module(name)
    finally:
        del sys.modules["rfc3987_syntax"]


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """Read a notebook file (nbformat 4)."""
    nbformat = quick_import("nbformat")
    try:
        return nbformat.read(str(path), as_version=4)
    except (OSError, ValueError) as exc:
        raise RecordError(f"无法读取笔记本 {Path(path).name}：{exc}") from exc


def _literal(name: str, value: object) -> object:
    """Refuse anything but plain literals, so a parameter can never carry code into the kernel."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_literal(name, v) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: _literal(name, v) for k, v in value.items()}
    raise RecordError(f"参数「{name}」只能是文字、整数、列表或字典，实为 {type(value).__name__}")


def injected_cell(params: Mapping[str, object]) -> nbformat.NotebookNode:
    """The cell holding this run's values as readable Python literals (Chinese stays Chinese)."""
    lines = ["# 本次抽查的参数（由 dsr 注入，覆盖上一单元的默认值）"]
    for name, value in params.items():
        text = pprint.pformat(_literal(name, value), width=100, sort_dicts=False, compact=True)
        lines.append(f"{name} = {text}")
    cell = quick_import("nbformat.v4").new_code_cell("\n".join(lines))
    cell.metadata["tags"] = ["injected-parameters"]
    cell.pop("id", None)
    return cell


def with_parameters(nb: nbformat.NotebookNode, params: Mapping[str, object]) -> nbformat.NotebookNode:
    """A copy of the notebook with the injected-parameters cell right after the parameters cell."""
    check_parameters(nb, params)
    nb = copy.deepcopy(nb)
    index = next(i for i, c in enumerate(nb.cells) if "parameters" in c.get("metadata", {}).get("tags", ()))
    nb.cells.insert(index + 1, injected_cell(params))
    for number, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{number}"
    return nb


def execute(nb: nbformat.NotebookNode, params: Mapping[str, object], cwd: Path) -> nbformat.NotebookNode:
    """Execute the notebook in `cwd` with a real python3 kernel; a failing cell becomes a RecordError."""
    papermill = quick_import("papermill")
    from papermill.exceptions import PapermillExecutionError

    prepared = with_parameters(nb, params)
    try:
        return papermill.execute_notebook(
            prepared, None, kernel_name="python3", progress_bar=False, cwd=str(cwd), log_output=False,
        )
    except PapermillExecutionError as exc:
        raise RecordError(f"笔记本第 {exc.exec_count} 个代码单元执行失败：{exc.ename}: {exc.evalue}") from exc
