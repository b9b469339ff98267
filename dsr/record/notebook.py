"""Run the record notebook with papermill after checking its parameters strictly."""

from __future__ import annotations

import ast
from collections.abc import Mapping
from pathlib import Path

import nbformat

from dsr.errors import RecordError

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


def read_notebook(path: Path) -> nbformat.NotebookNode:
    """Read a notebook file (nbformat 4)."""
    try:
        return nbformat.read(str(path), as_version=4)
    except (OSError, ValueError) as exc:
        raise RecordError(f"无法读取笔记本 {Path(path).name}：{exc}") from exc


def execute(nb: nbformat.NotebookNode, params: Mapping[str, object], cwd: Path) -> nbformat.NotebookNode:
    """Execute the notebook in `cwd` with a real python3 kernel; a failing cell becomes a RecordError."""
    import papermill
    from papermill.exceptions import PapermillExecutionError

    check_parameters(nb, params)
    try:
        return papermill.execute_notebook(
            nb, None, parameters=dict(params), kernel_name="python3", progress_bar=False,
            cwd=str(cwd), log_output=False, report_mode=False,
        )
    except PapermillExecutionError as exc:
        raise RecordError(f"笔记本第 {exc.exec_count} 个代码单元执行失败：{exc.ename}: {exc.evalue}") from exc
