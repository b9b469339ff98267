"""The inspection result of one drawn unit: outcomes, checklist points, and the results workbook layout."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

# 检查结果 (domain.md §6.4), in the order clerks see them.
OUTCOMES = (
    "未发现问题",
    "发现问题已当场改正",
    "责令限期改正",
    "行政处罚",
    "临时查封",
    "移送有关部门",
    "单位已停业或无法联系",
    "不配合检查",
)
# Outcomes that are served with a written decision whose number must be entered.
DOCUMENTS = {
    "责令限期改正": "责令限期改正通知书",
    "行政处罚": "行政处罚决定书",
    "临时查封": "临时查封决定书",
}
# Outcomes after which no on-site checklist exists.
NOT_INSPECTED = ("单位已停业或无法联系", "不配合检查")
CHECK_VALUES = ("符合", "不符合", "不涉及")
REINSPECTION_RESULTS = ("已改正", "未改正")

# 检查要点 of 《消防监督检查规定》(公安部令第120号) Art. 10, and Art. 11 for 人员密集场所.
CHECKPOINTS = (
    "消防安全责任人及职责",
    "消防安全制度和应急疏散预案",
    "消防设施器材和安全标志",
    "电器线路和燃气管路维护检测",
    "疏散通道安全出口消防车通道",
    "防火检查演练培训和持证上岗",
    "易燃易爆危险品与居住场所同一建筑",
    "其他物品场所与居住场所同一建筑",
    "专职或志愿消防队",
    "室内装修材料（人员密集场所）",
    "外墙门窗障碍物（人员密集场所）",
)

STATES = ("entered", "reviewed", "published")
STATE_NAMES = {"entered": "已录入", "reviewed": "已审核", "published": "已公开"}

# The workbook.
INFO_SHEET = "抽查信息"
RESULTS_SHEET = "检查结果"
GUIDE_SHEET = "填写说明"
INFO_DRAW_ID = "抽查编号"
INFO_BRIGADE = "大队"
H_SEQ = "序号"
H_NAME = "单位名称"
H_CODE = "统一社会信用代码（注册号）"
H_BATCH = "批次"
H_TEAM = "检查组"
H_DATE = "检查日期"
H_OUTCOME = "检查结果"
H_DOC = "文书编号"
H_REDATE = "复查日期"
H_REOUTCOME = "复查结果"
H_NOTE = "备注"
CHECK_PREFIX = "要点"
HEADERS = (
    H_SEQ, H_NAME, H_CODE, H_BATCH, H_TEAM, H_DATE, H_OUTCOME, H_DOC, H_REDATE, H_REOUTCOME,
    *(f"{CHECK_PREFIX}{i + 1} {p}" for i, p in enumerate(CHECKPOINTS)),
    H_NOTE,
)


@dataclass(frozen=True)
class Result:
    """One unit's checked result, as stored in the ledger and, in part, published."""

    draw_id: str
    unit_key: str
    unit_name: str
    inspected_on: dt.date
    outcome: str
    document_no: str | None
    checks: tuple[str, ...]  # one of CHECK_VALUES (or "" when not recorded) per CHECKPOINTS entry
    reinspected_on: dt.date | None = None
    reinspection: str | None = None
    note: str | None = None

    @property
    def hazards(self) -> int:
        """Checklist points found non-compliant."""
        return sum(1 for c in self.checks if c == "不符合")

    def failed_points(self) -> tuple[str, ...]:
        """Names of the non-compliant checklist points."""
        return tuple(p for p, c in zip(CHECKPOINTS, self.checks) if c == "不符合")


@dataclass(frozen=True)
class ResultSet:
    """All results read from one workbook for one draw, with the workbook's hash."""

    draw_id: str
    file: str
    sha256: str
    results: tuple[Result, ...]
