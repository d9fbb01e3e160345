"""Statuses, tiers, categories and every other fixed list: TextChoices with Chinese labels (DESIGN.md §3)."""

import datetime

from django.db import models
from django.utils import timezone


class Category(models.TextChoices):
    """National reporting list (fixed). Local sub-categories map onto these."""

    MARRIAGE_FAMILY = "marriage_family", "婚姻家庭"
    NEIGHBOUR = "neighbour", "邻里"
    HOUSING = "housing", "房屋宅基地"
    CONTRACT = "contract", "合同"
    BUSINESS = "business", "生产经营"
    DAMAGES = "damages", "损害赔偿"
    LAND = "land", "山林土地"
    EXPROPRIATION = "expropriation", "征地拆迁"
    ENVIRONMENT = "environment", "环境污染"
    LABOUR = "labour", "劳动争议"
    CONSUMER = "consumer", "消费"
    MEDICAL = "medical", "医疗"
    TRAFFIC = "traffic", "道路交通事故"
    PROPERTY_MGMT = "property_mgmt", "物业"
    OTHER = "other", "其他"


class Source(models.TextChoices):
    APPLICATION = "application", "当事人申请"
    SCREENING = "screening", "排查发现（网格员/信息员）"
    VISIT = "visit", "群众来访"
    HOTLINE = "hotline", "12345热线/网格事项流转"
    PETITION = "petition", "信访转办"
    POLICE_COURT = "police_court", "公安/法院移送"
    OTHER = "other", "其他"


class Risk(models.TextChoices):
    RED = "red", "红·重大"
    ORANGE = "orange", "橙·较大"
    YELLOW = "yellow", "黄·一般"
    BLUE = "blue", "蓝·轻微"


# Sort key for risk (most serious first) used by the list's "按风险" ordering.


# Sort key for risk (most serious first) used by the list's "按风险" ordering.
RISK_RANK = {Risk.RED: 0, Risk.ORANGE: 1, Risk.YELLOW: 2, Risk.BLUE: 3}


class Tier(models.TextChoices):
    VILLAGE = "village", "村"
    TOWN = "town", "镇街"
    COUNTY = "county", "县"


class Status(models.TextChoices):
    LOGGED = "logged", "已登记"
    IN_PROGRESS = "in_progress", "调处中"
    REFERRED = "referred", "已提请"
    RESOLVED = "resolved", "已化解"
    CLOSED = "closed", "已结案"
    REJECTED = "rejected", "不予受理"


OPEN_STATUSES = (Status.LOGGED, Status.IN_PROGRESS, Status.REFERRED)
# Closed for good: no edit, no attachment (a resolved case still gets its 回访 and 结案).
FINISHED_STATUSES = (Status.CLOSED, Status.REJECTED)

TIER_RANK = {Tier.VILLAGE: 0, Tier.TOWN: 1, Tier.COUNTY: 2}
NEXT_TIER = {Tier.VILLAGE: Tier.TOWN, Tier.TOWN: Tier.COUNTY}


class Outcome(models.TextChoices):
    SUCCESS = "success", "调解成功"
    PARTIAL = "partial", "部分达成"
    FAILED = "failed", "调解不成（已告知其他途径）"
    WITHDRAWN = "withdrawn", "当事人撤回"


class Sex(models.TextChoices):
    MALE = "M", "男"
    FEMALE = "F", "女"


class PartyRole(models.TextChoices):
    APPLICANT = "applicant", "申请人"
    RESPONDENT = "respondent", "被申请人"
    THIRD = "third", "第三人"
    AGENT = "agent", "代理人"


class EventKind(models.TextChoices):
    LOGGED = "logged", "登记"
    EDITED = "edited", "修改"
    RISK_CHANGED = "risk_changed", "调整风险等级"
    PARTY_ADDED = "party_added", "增加当事人"
    PARTY_CHANGED = "party_changed", "修改当事人"
    STATUS_CHANGED = "status_changed", "状态变更"
    STARTED = "started", "开始调处"
    ASSIGNED = "assigned", "落实四定"
    DUTY = "duty", "三包记录"
    REFERRED = "referred", "提请上级"
    ACCEPTED = "accepted", "签收"
    RETURNED = "returned", "退回"
    TRANSFERRED = "transferred", "移交单位"
    WARNING_RAISED = "warning_raised", "发出预警"
    WARNING_REASSESSED = "warning_reassessed", "预警重新评估"
    WARNING_CLOSED = "warning_closed", "解除预警"
    RESOLVED = "resolved", "化解"
    VISITED = "visited", "回访"
    CLOSED = "closed", "结案"
    REJECTED = "rejected", "不予受理"
    REOPENED = "reopened", "纠纷反复，重新办理"
    DEADLINE_SET = "deadline_set", "设定时限"
    DEADLINE_EXTENDED = "deadline_extended", "延长时限"
    DUE_SOON = "due_soon", "临期提醒（黄牌）"
    OVERDUE = "overdue", "逾期（红牌）"
    SUPERVISION_OPENED = "supervision_opened", "纪委督办"
    SUPERVISION_CLOSED = "supervision_closed", "督办办结"
    SUPERVISION_OVERDUE = "supervision_overdue", "督办逾期，提级到县"
    FLAG_OVERRIDDEN = "flag_overridden", "规则提示不予处理（已说明理由）"
    EDIT_CONFLICT = "edit_conflict", "修改冲突（未保存的修改已留存）"
    ATTACHED = "attached", "上传附件"
    PII_VIEWED = "pii_viewed", "查看当事人完整信息"
    TRANSFER_ACCEPTED = "transfer_accepted", "单位签收移交"
    TRANSFER_RETURNED = "transfer_returned", "单位退回移交"
    FEEDBACK_FILED = "feedback_filed", "办理反馈"
    FEEDBACK_ACCEPTED = "feedback_accepted", "审核通过办理反馈"
    FEEDBACK_RETURNED = "feedback_returned", "审核退回重办"
    EXTENSION_REQUESTED = "extension_requested", "申请延期"
    EXTENSION_REFUSED = "extension_refused", "延期不予批准"
    WARNING_SIGNED = "warning_signed", "预警签收"
    WARNING_ANSWERED = "warning_answered", "预警批示/回复"
    WARNING_OVERDUE = "warning_overdue", "预警回复逾期"
    TYPICAL_MARKED = "typical_marked", "列为典型案例"
    TYPICAL_WITHDRAWN = "typical_withdrawn", "撤销典型案例"
    SUPERVISION_REMINDED = "supervision_reminded", "纪委催办"
    SUPERVISION_NOTICE = "supervision_notice", "发出督办通知书"
    SUPERVISION_REPLIED = "supervision_replied", "督办回复"
    SUPERVISION_INTERVIEW = "supervision_interview", "纪委约谈"
    SUPERVISION_CIRCULAR = "supervision_circular", "纪委通报"
    SUPERVISION_ACCOUNTABLE = "supervision_accountable", "纪委问责"
    # 人民调解卷宗 (cases.services.mediation, issue 12)
    MEDIATORS_NAMED = "mediators_named", "确定调解员"
    MEDIATOR_CHANGED = "mediator_changed", "当事人申请更换调解员"
    MEDIATION_SESSION = "mediation_session", "调解"
    AGREEMENT_RECORDED = "agreement_recorded", "记录调解协议"
    PERFORMANCE_UPDATED = "performance_updated", "协议履行情况"
    CONFIRMATION_RECORDED = "confirmation_recorded", "司法确认"
    CONFIRMATION_DUE = "confirmation_due", "司法确认申请期限提醒"
    FOLLOW_UP_DUE = "follow_up_due", "回访到期提醒"


class DutyKind(models.TextChoices):
    HANDLE = "handle", "包调处"
    TRACK = "track", "包跟踪"
    FEEDBACK = "feedback", "包反馈"


class ReferralKind(models.TextChoices):
    REFER = "refer", "提请上级"
    TRANSFER = "transfer", "移交单位"


class ReferralStatus(models.TextChoices):
    PENDING = "pending", "待签收"
    ACCEPTED = "accepted", "已签收"
    RETURNED = "returned", "已退回"


class WarningTrigger(models.TextChoices):
    GROUP_PETITION = "group_petition", "集体访"
    SKIP_LEVEL = "skip_level", "越级访"
    EXTREME = "extreme", "个人极端事件"
    CRIMINAL = "criminal", "民转刑/命案风险"
    INTENSIFY = "intensify", "可能激化"
    SPECIAL_GROUP = "special_group", "涉特殊人群"


class WarningLevel(models.TextChoices):
    RED = "red", "红色预警"
    ORANGE = "orange", "橙色预警"
    YELLOW = "yellow", "黄色预警"


class WarningTarget(models.TextChoices):
    TOWN_JOINT = "town_joint", "镇街党政联席会议"
    COUNTY = "county", "县社会治理协调中心"


class WarningStatus(models.TextChoices):
    OPEN = "open", "预警中"
    CLOSED = "closed", "已解除"


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", "满意"
    BASIC = "basic", "基本满意"
    UNSATISFIED = "unsatisfied", "不满意"


class SupervisionStatus(models.TextChoices):
    OPEN = "open", "督办中"
    DONE = "done", "已办结"
    ESCALATED = "escalated", "逾期提级"


class SupervisionActionKind(models.TextChoices):
    REMIND = "remind", "催办"
    NOTICE = "notice", "督办通知书"
    REPLY = "reply", "回复"
    INTERVIEW = "interview", "约谈"
    CIRCULAR = "circular", "通报"
    ACCOUNTABILITY = "accountability", "问责"


class ClockMarkKind(models.TextChoices):
    DUE_SOON = "due_soon", "临期（黄牌）"
    OVERDUE = "overdue", "逾期（红牌）"
    SUPERVISION_OVERDUE = "supervision_overdue", "督办逾期"
    WARNING_OVERDUE = "warning_overdue", "预警回复逾期"


class DayMode(models.TextChoices):
    CALENDAR = "calendar", "自然日"
    WORKDAY = "workday", "工作日"


class DeadlinePurpose(models.TextChoices):
    SETTLE = "settle", "化解或提请"
    ASSIGNMENT = "assignment", "四定办结"
    TRANSFER = "transfer", "部门移交办理"
    SUPERVISION = "supervision", "纪委督办"
    SIGN_FOR = "sign_for", "单位签收移交"


class TransferMode(models.TextChoices):
    LEAD = "lead", "主办"
    ASSIST = "assist", "协办"


class ExtensionStatus(models.TextChoices):
    PENDING = "pending", "待审批"
    APPROVED = "approved", "已批准"
    REFUSED = "refused", "不予批准"


class CalendarDayKind(models.TextChoices):
    HOLIDAY = "holiday", "法定节假日（休息）"
    WORKDAY = "workday", "调休上班"


class EscalationAction(models.TextChoices):
    REFER_UP = "refer_up", "提请上一级"
    RAISE_WARNING = "raise_warning", "发出预警"
    NOTIFY_COUNTY = "notify_county", "报县协调中心"


class AttachmentKind(models.TextChoices):
    PHOTO = "photo", "现场照片"
    AGREEMENT = "agreement", "调解协议扫描件"
    OTHER = "other", "其他材料"


class AttachmentType(models.TextChoices):
    JPEG = "image/jpeg", "JPEG 图片"
    PNG = "image/png", "PNG 图片"
    PDF = "application/pdf", "PDF 文档"


# --- What a timeline row's `field` means (CaseEvent.field): label, and the choices its values come from ----------

BASIC_FIELDS = "basic"  # an edit of the basic record: old/new are JSON objects {field: value}
DATETIME = "datetime"  # values are ISO datetimes, shown in local time


def _event_fields():
    return {
        "status": ("状态", Status), "tier": ("层级", Tier), "risk": ("风险等级", Risk),
        "category": ("纠纷类别", Category), "source": ("来源", Source), "outcome": ("化解结果", Outcome),
        "holder": ("承办单位", None), "deadline": ("办结时限", DATETIME), "due_at": ("督办时限", DATETIME),
        "transfer": ("移交", TransferMode), "extension": ("延期申请", ExtensionStatus),
        "warning": ("预警", WarningLevel), "warning_level": ("预警等级", WarningLevel),
        "warning_status": ("预警状态", WarningStatus), "supervision": ("督办状态", SupervisionStatus),
        "duty": ("三包", DutyKind), "visit": ("回访", Satisfaction), "attachment": ("附件", None),
        "rule": ("规则提示", None), "party": ("当事人", None), "version": ("版本", None),
        BASIC_FIELDS: ("基本信息", None),
        "title": ("纠纷标题", None), "subcategory": ("本地细分类别", None), "people_involved": ("涉及人数", None),
        "arose_on": ("发生日期", None), "place": ("具体地点", None), "description": ("纠纷简要情况", None),
    }


EVENT_FIELDS = _event_fields()


def event_field_label(field: str) -> str:
    return EVENT_FIELDS.get(field, (field, None))[0]


def event_value_label(field: str, value) -> str:
    """A stored code shown as its label; anything unknown (a name, a free text, an old row) as it is."""
    value = "" if value is None else str(value)
    kind = EVENT_FIELDS.get(field, (None, None))[1]
    if kind == DATETIME and value:
        try:
            return f"{timezone.localtime(datetime.datetime.fromisoformat(value)):%Y-%m-%d %H:%M}"
        except ValueError:
            return value
    if kind is not None and kind != DATETIME and value in kind.values:
        return str(kind(value).label)
    return value
