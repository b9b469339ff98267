"""The columns of every input workbook: Chinese header as the clerk sees it ▶ field of the value type.

The seed document's own field names (安消〔2019〕3号 三(二)) are used verbatim as headers:
单位名称、统一社会信用代码（注册号）、法定代表人、住所、登记机关、管辖单位; 姓名、性别、单位、岗位、
专业技术职称类别、执法工作年限. This module is data only; readers and checks live beside it.
"""

from __future__ import annotations

from dataclasses import dataclass

from dsr.core import model

# Column kinds the checker knows.
TEXT = "text"  # free text, trimmed
CODE = "code"  # identifier: trimmed, full-width → half-width, upper-cased, inner spaces/hyphens removed
ENUM = "enum"  # one of `choices`
BOOL = "bool"  # 是/否
DATE = "date"  # a real date cell, or text YYYY-MM-DD / YYYY/MM/DD / YYYY年M月D日 / YYYYMMDD
INT = "int"
DECIMAL = "decimal"
MULTI = "multi"  # several of `choices`, separated by 、 , ， ; ；


@dataclass(frozen=True)
class Column:
    header: str
    field: str
    kind: str = TEXT
    required: bool = True  # the column must exist
    nonempty: bool = True  # each row must have a value (else error; warn_empty makes it a warning)
    warn_empty: bool = False
    choices: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()  # other headers clerks use for the same column
    hint: str = ""  # 填写说明 text for the template


@dataclass(frozen=True)
class Sheet:
    kind: str  # items | units | inspectors | conflicts | exclusions
    title: str  # Chinese name of the input, also the expected sheet name
    columns: tuple[Column, ...]


YES_NO = ("是", "否")
BUILDING_CATEGORIES = ("高层", "多层", "单层", "地下", "其他")
KEY_CATEGORIES = (
    "公众聚集场所",
    "医院、养老院和寄宿制学校、托儿所、幼儿园",
    "国家机关",
    "广播电台、电视台和邮政、通信枢纽",
    "客运车站、码头、民用机场",
    "公共图书馆、展览馆、博物馆、档案馆及具有火灾危险性的文物保护单位",
    "发电厂（站）和电网经营企业",
    "易燃易爆化学物品的生产、充装、储存、供应、销售单位",
    "服装、制鞋等劳动密集型生产、加工企业",
    "重要的科研单位",
    "其他发生火灾可能性较大以及一旦发生火灾可能造成重大人身伤亡或者财产损失的单位",
)
FACILITIES = (
    "火灾自动报警系统",
    "自动喷水灭火系统",
    "室内消火栓系统",
    "室外消火栓系统",
    "防排烟系统",
    "应急照明和疏散指示系统",
    "气体灭火系统",
    "泡沫灭火系统",
    "灭火器",
    "无",
)
ITEM_CATEGORIES = ("一般检查事项", "重点检查事项")
CONFLICT_SOURCES = ("本人申报", "单位申请", "组织查明", "其他")

ITEMS = Sheet(
    "items",
    "随机抽查事项清单",
    (
        Column("事项编码", "code", CODE, hint="如 XF-001，清单内唯一"),
        Column("事项名称", "name"),
        Column("事项类别", "category", ENUM, choices=ITEM_CATEGORIES),
        Column("抽查依据", "basis", hint="法律法规规章全称，不必写到条款"),
        Column("抽查主体", "subject"),
        Column("抽查对象", "target"),
        Column("抽查内容", "content"),
        Column("抽查方式", "method"),
        Column("抽查比例/频次", "ratio_freq", aliases=("抽查比例", "抽查频次", "抽查比例及频次")),
    ),
)

UNITS = Sheet(
    "units",
    "检查对象名录库",
    (
        Column("单位名称", "name", aliases=("名称", "企业名称", "检查对象名称")),
        Column(
            "统一社会信用代码（注册号）",
            "code",
            CODE,
            aliases=("统一社会信用代码", "统一社会信用代码(注册号)", "信用代码", "注册号"),
            hint="18 位统一社会信用代码；尚无代码的填 15 位工商注册号",
        ),
        Column("法定代表人", "legal_rep", nonempty=False, warn_empty=True, aliases=("法人代表", "法人", "负责人")),
        Column("住所", "address", aliases=("注册地址", "地址", "经营地址")),
        Column("登记机关", "reg_authority"),
        Column("管辖单位", "brigade", aliases=("所属大队", "辖区大队", "管辖大队"), hint="大队名称，如 文峰区"),
        Column("单位类别", "unit_class", ENUM, choices=model.UNIT_CLASSES),
        Column("重点单位类别", "key_category", ENUM, required=False, nonempty=False, choices=KEY_CATEGORIES,
               hint="仅消防安全重点单位填写，按公安部令第61号第十三条"),
        Column("人员密集场所", "crowded", BOOL, choices=YES_NO),
        Column("公众聚集场所", "public_gathering", BOOL, choices=YES_NO),
        Column("建筑类别", "building_category", ENUM, required=False, nonempty=False, choices=BUILDING_CATEGORIES),
        Column("建筑面积（平方米）", "floor_area", DECIMAL, required=False, nonempty=False,
               aliases=("建筑面积", "建筑面积(平方米)", "建筑面积(㎡)")),
        Column("规模", "scale", required=False, nonempty=False, hint="如 床位120张、客房80间、座位300个、员工500人"),
        Column("消防设施类别", "facilities", MULTI, required=False, nonempty=False, choices=FACILITIES,
               hint="可多选，用顿号（、）分隔"),
        Column("行业", "industry", required=False, nonempty=False),
        Column("风险等级", "risk", ENUM, choices=model.RISK_LEVELS, hint="内部使用，不公开"),
        Column("信用等级", "credit", ENUM, choices=model.CREDIT_LEVELS, hint="A 信用风险低 … D 高；内部使用，不公开"),
        Column("状态", "status", ENUM, choices=model.UNIT_STATUSES),
        Column("历史代码", "legacy_code", BOOL, required=False, nonempty=False, choices=YES_NO,
               hint="代码校验位不符但确为合法历史代码的，填“是”；其余留空"),
    ),
)

INSPECTORS = Sheet(
    "inspectors",
    "执法检查人员名录库",
    (
        Column("姓名", "name"),
        Column("性别", "gender", ENUM, choices=model.GENDERS),
        Column("单位", "brigade", aliases=("所属单位", "工作单位"), hint="大队名称，如 文峰区；支队机关填 支队"),
        Column("岗位", "post", aliases=("职务", "岗位/职务")),
        Column("专业技术职称类别", "title", nonempty=False, aliases=("专业技术职称", "职称")),
        Column("执法工作年限", "years", INT, nonempty=False, aliases=("执法年限",)),
        Column("执法工作起始日期", "enforcement_since", DATE, required=False, nonempty=False,
               hint="与执法工作年限至少填一项"),
        Column("执法证号", "cert_no", CODE, aliases=("执法证编号", "执法证件号")),
        Column("执法证有效期至", "cert_expiry", DATE, aliases=("执法证有效期", "证件有效期")),
        Column("状态", "status", ENUM, choices=model.INSPECTOR_STATUSES),
        Column("可任组长", "leader", BOOL, choices=YES_NO, aliases=("组长",)),
        Column("专家", "expert", BOOL, required=False, nonempty=False, choices=YES_NO, aliases=("是否专家",)),
        Column("可执法事项", "items", TEXT, required=False, nonempty=False,
               hint="事项编码，用顿号分隔；留空表示全部事项"),
    ),
)

CONFLICTS = Sheet(
    "conflicts",
    "利害关系登记",
    (
        Column("执法证号", "cert_no", CODE),
        Column("检查人员姓名", "inspector_name", nonempty=False, aliases=("姓名",)),
        Column("统一社会信用代码（注册号）", "unit_key", CODE, aliases=("统一社会信用代码", "单位代码")),
        Column("单位名称", "unit_name", nonempty=False),
        Column("利害关系类型", "kind", ENUM, choices=model.CONFLICT_TYPES),
        Column("来源", "source", ENUM, choices=CONFLICT_SOURCES),
        Column("生效日期", "valid_from", DATE, nonempty=False),
        Column("失效日期", "valid_to", DATE, nonempty=False),
    ),
)

EXCLUSIONS = Sheet(
    "exclusions",
    "不列入随机抽查名单",
    (
        Column("统一社会信用代码（注册号）", "unit_key", CODE, aliases=("统一社会信用代码", "单位代码")),
        Column("单位名称", "unit_name", nonempty=False),
        Column("原因", "reason", ENUM, choices=model.EXCLUSION_REASONS, aliases=("不列入原因",)),
        Column("开始日期", "valid_from", DATE, nonempty=False),
        Column("结束日期", "valid_to", DATE, nonempty=False),
        Column("备注", "note", nonempty=False),
    ),
)

SHEETS = {s.kind: s for s in (ITEMS, UNITS, INSPECTORS, CONFLICTS, EXCLUSIONS)}
