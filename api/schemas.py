"""The JSON shapes of the API (OpenAPI at /api/v1/openapi.json). The schema checks only the shape of a request
(types, the work-order id); what the values may be is decided by the registration form (api.intake) — one
validation, the same as on the page."""

import datetime

from ninja import Field, Schema

from cases.models import Category, Outcome, PartyRole, Risk, Sex, Status, Tier


def _choices(choices) -> str:
    return "；".join(f"{code}={label}" for code, label in choices.choices)


class PartyIn(Schema):
    name: str = Field(description="姓名（必填，最多32字）。")
    sex: str = Field(description=f"性别：{_choices(Sex)}。", json_schema_extra={"enum": list(Sex.values)})
    role: str | None = Field(None, description=f"身份：{_choices(PartyRole)}；不填时第一人为申请人，其余为被申请人。",
                             json_schema_extra={"enum": [*PartyRole.values, None]})
    id_number: str | None = Field(None, description="18位公民身份号码（校验码按GB 11643检查），可不填。")
    phone: str | None = Field(None, description="手机号或带区号的座机号，可不填。")
    address: str | None = Field(None, description="住址，可不填。")


class WorkOrderIn(Schema):
    work_order_id: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/-]*$",
                               description="来源系统的工单编号：同一编号重复提交只登记一次，返回同一案件。")
    title: str = Field(description="纠纷标题，一句话概括，最多100字。")
    category: str = Field(description=f"纠纷类别：{_choices(Category)}。",
                          json_schema_extra={"enum": list(Category.values)})
    risk: str | None = Field(None, description=f"风险等级：{_choices(Risk)}；不填为 blue。",
                             json_schema_extra={"enum": [*Risk.values, None]})
    people_involved: int = Field(description="涉及人数（1–100000）。")
    arose_on: datetime.date = Field(description="发生日期（YYYY-MM-DD），不能晚于今天。")
    village: str = Field(description="所在村/社区的12位统计用区划代码，须在本系统辖区内。")
    place: str | None = Field(None, description="具体地点，可不填。")
    description: str = Field(description="纠纷简要情况：起因、经过、诉求，最多4000字。")
    parties: list[PartyIn] = Field(description="当事人，至少一名，最多50名。")


class HolderOut(Schema):
    division_code: str = Field(description="当前承办区划代码。")
    division: str = Field(description="当前承办区划名称。")
    unit: str | None = Field(description="当前承办单位（移交到单位时）。")


class CaseOut(Schema):
    number: str = Field(description="案件编号，如 JX-2026-000123。")
    work_order_id: str | None = Field(description="本案来自外部工单时的工单编号。")
    status: str = Field(description=f"状态：{_choices(Status)}。", json_schema_extra={"enum": list(Status.values)})
    status_label: str
    tier: str = Field(description=f"当前层级：{_choices(Tier)}。", json_schema_extra={"enum": list(Tier.values)})
    tier_label: str
    holder: HolderOut
    deadline: datetime.datetime | None = Field(description="办结时限。")
    outcome: str | None = Field(description=f"化解结果：{_choices(Outcome)}。",
                                json_schema_extra={"enum": [*Outcome.values, None]})
    outcome_label: str | None
    registered_at: datetime.datetime
    resolved_at: datetime.datetime | None
    closed_at: datetime.datetime | None


class FieldError(Schema):
    field: str = Field(description="出错的字段路径，如 parties[0].id_number。")
    message: str = Field(description="中文错误说明。")


class ErrorOut(Schema):
    detail: str = Field(description="中文错误说明。")
    errors: list[FieldError] = Field(default_factory=list, description="逐字段的错误（422 时）。")
