"""One small form per case action (the keys of `cases.rules.transitions.TRANSITIONS`).

Field names are the service's keyword arguments, so `service_kwargs()` hands the cleaned data straight to the
service; the few fields that need converting (a date → end-of-day deadline, a warning → its id, a three-way answer
→ True/False/None) do it in their `clean_<field>`. Forms check input; the services check the rules (state, position,
jurisdiction) and their `Refused` is shown as a form error by the view.
"""

import datetime

from django import forms
from django.utils import timezone

from org import people
from org.jurisdiction import COUNTY_CODE
from org.models import Unit, UnitKind
from org.selectors import membership_of

from ..models import (
    DeadlinePurpose,
    DutyKind,
    Outcome,
    Performance,
    Satisfaction,
    TransferMode,
    WarningLevel,
    WarningStatus,
    WarningTarget,
    WarningTrigger,
)
from ..rules.deadlines import deadline_for, end_of_day
from ..rules.escalation import suggested_warnings

TEXT_MAX = 2000
DATE_WIDGET = {"attrs": {"type": "date"}, "format": "%Y-%m-%d"}

# Units that supervise or coordinate rather than handle a case.
NOT_HANDLING_UNITS = [UnitKind.CENTRE, UnitKind.DISCIPLINE]


def text_field(label, *, required=True, help_text="", rows=4, missing=None):
    return forms.CharField(
        label=label, required=required, max_length=TEXT_MAX, strip=True, help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
        error_messages={"required": missing or f"请填写{label}。",
                        "max_length": f"{label}最多{TEXT_MAX}字。"},
    )


def date_field(label, *, required=True, help_text=""):
    return forms.DateField(
        label=label, required=required, help_text=help_text, widget=forms.DateInput(**DATE_WIDGET),
        error_messages={"required": f"请填写{label}。", "invalid": f"{label}格式不正确，请按“年-月-日”填写。"},
    )


def choice_field(label, choices, *, widget=None, missing=None, **kwargs):
    return forms.ChoiceField(
        label=label, choices=[("", "请选择"), *choices], widget=widget or forms.Select,
        error_messages={"required": missing or f"请选择{label}。", "invalid_choice": f"所选{label}无效，请重新选择。"},
        **kwargs,
    )


class ActionForm(forms.Form):
    """Base: every action form knows the case and the acting user (for its choices and defaults)."""

    intro = ""  # one line shown above the form: what the action does

    def __init__(self, *args, dispute, user, **kwargs):
        self.dispute, self.user = dispute, user
        super().__init__(*args, **kwargs)

    def service_kwargs(self) -> dict:
        return dict(self.cleaned_data)


def not_after_today(value, what):
    if value and value > timezone.localdate():
        raise forms.ValidationError(f"{what}不能晚于今天。")
    return value


def not_before_today(value, what):
    if value and value < timezone.localdate():
        raise forms.ValidationError(f"{what}不能早于今天。")
    return value


# --- the forms, in the order of TRANSITIONS -----------------------------------------------------------------------


class StartForm(ActionForm):
    intro = "案件转入“调处中”，并按时限规则开始计时。"
    note = text_field("说明", required=False, help_text="可填写初步安排，如调解员、时间地点。", rows=3)


class PersonChoiceField(forms.ModelChoiceField):
    """A person of the people directory (人员库), labelled as `org.people.label` says; people without an account are
    marked. The select carries `data-picker` so static/js/person-picker.js adds a filter box (a phone's select of
    forty names is unusable without one); without JavaScript it is a plain select."""

    def __init__(self, label, **kwargs):
        kwargs.setdefault("error_messages", {"required": f"请选择{label}。", "invalid_choice": f"所选{label}无效。"})
        super().__init__(queryset=None, label=label, empty_label="请选择",
                         widget=forms.Select(attrs={"data-picker": "1"}), **kwargs)

    def label_from_instance(self, person):
        return people.picker_label(person)


class AssignForm(ActionForm):
    intro = "落实四定：包案领导、责任单位、责任人、办结时限，并写明调处措施。责任人须按“三包”记录办理情况。"
    lead_leader = PersonChoiceField("包案领导", help_text="从人员库中选择；没有系统账号的领导也可选择。")
    responsible_unit = forms.ModelChoiceField(
        label="责任单位", queryset=None, empty_label="请选择",
        error_messages={"required": "请选择责任单位。", "invalid_choice": "所选责任单位无效。"})
    responsible_person = PersonChoiceField("责任人", help_text="须是责任单位的人员（综治办、信访办、司法所也可由本镇街或本村的人员承担）。")
    measures = text_field("调处措施", help_text="谁牵头、怎么调、哪些单位配合。")
    deadline = date_field("办结时限", required=False)

    duty_fieldset = "三包责任（可不填：默认都由责任人负责，期限为办结时限）"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        holder = self.dispute.holder_division
        units = (Unit.objects.filter(active=True, division_id__in=[holder.code, COUNTY_CODE])
                 .exclude(kind__in=NOT_HANDLING_UNITS).order_by("-division_id", "kind", "name"))
        self.fields["responsible_unit"].queryset = units
        self.fields["lead_leader"].queryset = people.leader_choices(holder)
        candidates = people.responsible_choices(holder, units, self.dispute.village_id)
        self.fields["responsible_person"].queryset = candidates
        for kind, label in DutyKind.choices:
            self.fields[f"duty_{kind}"] = PersonChoiceField(f"{label}负责人", required=False)
            self.fields[f"duty_{kind}"].queryset = candidates
            self.fields[f"duty_{kind}_due"] = date_field(f"{label}期限", required=False)
        default = timezone.localtime(deadline_for(self.dispute, DeadlinePurpose.ASSIGNMENT)[0])
        self.fields["deadline"].help_text = (
            f"留空则按时限规则自动计算（{default.year}年{default.month}月{default.day}日）。")
        if not self.is_bound:
            mine = getattr(self.user, "person", None)
            if mine is not None and mine.division_id == holder.code:
                self.initial.setdefault("lead_leader", mine.pk)

    def duty_fields(self):
        return [(self[f"duty_{kind}"], self[f"duty_{kind}_due"]) for kind in DutyKind.values]

    def clean_deadline(self):
        day = not_before_today(self.cleaned_data.get("deadline"), "办结时限")
        return end_of_day(day) if day else None

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        duties = {}
        for kind in DutyKind.values:
            person, due_on = data.pop(f"duty_{kind}", None), data.pop(f"duty_{kind}_due", None)
            if person or due_on:
                duties[kind] = (person, due_on)
        return {**data, "duties": duties}


class DutyForm(ActionForm):
    intro = "记录“三包”：包调处（做了什么调解工作）、包跟踪（当事人动态）、包反馈（向例会或上级反馈结果）。"
    kind = choice_field("类别", DutyKind.choices)
    on_date = date_field("日期")
    text = text_field("内容")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("on_date", timezone.localdate())

    def clean_on_date(self):
        return not_after_today(self.cleaned_data.get("on_date"), "记录日期")


class ReferForm(ActionForm):
    intro = "提请上一级研判处理。签收前案件仍由本级负责；上级可以签收，也可以退回。"
    reason = text_field("提请理由", help_text="已做哪些工作、为什么本级化解不了、需要上级协调什么。")


class AcceptForm(ActionForm):
    intro = "签收后案件转由本级承办，状态为“调处中”，并按时限规则重新计时。"
    note = text_field("签收意见", required=False, rows=3)


class ReturnForm(ActionForm):
    intro = "退回后案件回到提请方继续办理。"
    reason = text_field("退回理由", help_text="写明退回原因和对提请方的办理意见。")


class TransferForm(ActionForm):
    intro = ("移交责任单位办理：单位须在1个工作日内签收，或说明理由退回；按部门移交时限计时，本级继续跟踪、审核办理反馈"
             "并负责结案。已有主办单位时再选“主办”即为改派。")
    unit = forms.ModelChoiceField(label="接收单位", queryset=None, empty_label="请选择",
                                  error_messages={"required": "请选择接收单位。", "invalid_choice": "所选单位无效。"})
    mode = forms.ChoiceField(label="办理方式", choices=TransferMode.choices, initial=TransferMode.LEAD, required=False,
                             widget=forms.RadioSelect, help_text="主办单位负责办理和反馈；协办单位配合主办单位。",
                             error_messages={"invalid_choice": "所选办理方式无效。"})
    reason = text_field("移交事由")

    def clean_mode(self):
        return self.cleaned_data.get("mode") or TransferMode.LEAD

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The county hands cases to county departments and mediation committees; a town to its own units.
        units = Unit.objects.filter(active=True, division_id=self.dispute.holder_division_id).exclude(
            kind__in=NOT_HANDLING_UNITS)
        if self.dispute.holder_unit_id:
            units = units.exclude(pk=self.dispute.holder_unit_id)
        self.fields["unit"].queryset = units.order_by("kind", "name")


class WarnForm(ActionForm):
    intro = "可能引发集体访、越级访或个人极端事件的，发出预警并报送党政联席会议或县协调中心，定期重新评估。"
    level = choice_field("预警等级", WarningLevel.choices)
    triggers = forms.MultipleChoiceField(
        label="预警情形", choices=WarningTrigger.choices, widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "请至少选择一种预警情形。", "invalid_choice": "所选预警情形无效。"})
    reasons = text_field("预警理由")
    submitted_to = choice_field("报送", WarningTarget.choices)
    reassess_on = date_field("重新评估日期")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.suggested = []
        if suggested_warnings is not None:
            self.suggested = [t for t in suggested_warnings(self.dispute) if t in WarningTrigger.values]
        if not self.is_bound:
            m = membership_of(self.user)
            at_county = m is not None and m.division_id == COUNTY_CODE
            self.initial.setdefault("submitted_to", WarningTarget.COUNTY if at_county else WarningTarget.TOWN_JOINT)
            self.initial.setdefault("reassess_on", timezone.localdate() + datetime.timedelta(days=7))
            self.initial.setdefault("triggers", self.suggested)
        if self.suggested:
            labels = "、".join(WarningTrigger(t).label for t in self.suggested)
            self.fields["triggers"].help_text = f"已按预警规则预选：{labels}。请核实后确认，可增减。"

    def clean_reassess_on(self):
        return not_before_today(self.cleaned_data.get("reassess_on"), "重新评估日期")


class WarningChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, w):
        triggers = "、".join(w.trigger_labels()) or "未注明情形"
        return f"{w.get_level_display()} · {triggers} · {timezone.localtime(w.raised_at):%Y-%m-%d}发出"


class _OpenWarningForm(ActionForm):
    """Picks one of the case's open warnings; the service receives its id."""

    warning_id = WarningChoiceField(label="预警", queryset=None, empty_label="请选择",
                                    error_messages={"required": "请选择预警。",
                                                    "invalid_choice": "所选预警不存在或已解除，请重新选择。"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        open_warnings = self.dispute.warnings.filter(status=WarningStatus.OPEN).order_by("-raised_at", "-id")
        self.fields["warning_id"].queryset = open_warnings
        if not self.is_bound:
            only = list(open_warnings[:2])
            if len(only) == 1:
                self.initial["warning_id"] = only[0].pk

    def clean_warning_id(self):
        return self.cleaned_data["warning_id"].pk


class ReassessWarningForm(_OpenWarningForm):
    intro = "根据最新情况调整预警等级，并确定下次评估日期。"
    level = choice_field("预警等级", WarningLevel.choices)
    reassess_on = date_field("下次评估日期")
    note = text_field("评估意见")

    def clean_reassess_on(self):
        return not_before_today(self.cleaned_data.get("reassess_on"), "下次评估日期")


class CloseWarningForm(_OpenWarningForm):
    intro = "风险已消除的，解除预警。"
    note = text_field("解除理由")


FAILED_NOTE = "调解不成的，请写明已告知当事人的其他解决途径（诉讼、仲裁、行政处理等）。"


class ResolveForm(ActionForm):
    intro = ("记录化解结果。调解不成的，也要在这里办结：写明已告知当事人可通过诉讼、仲裁或行政处理等途径解决。"
             "镇街案件化解前，责任人须至少有一条“包反馈”记录。")
    outcome = choice_field("化解结果", Outcome.choices)
    note = text_field("结果说明", required=False, help_text=FAILED_NOTE.replace("请写明", "须写明"))

    def clean(self):
        data = super().clean()
        if data.get("outcome") == Outcome.FAILED and not data.get("note"):
            self.add_error("note", FAILED_NOTE)
        return data


AGREEMENT_CHOICES = [("yes", "协议已履行"), ("no", "协议未履行"), ("none", "无书面协议")]
AGREEMENT_VALUES = {"yes": True, "no": False, "none": None}


class VisitForm(ActionForm):
    intro = "化解后回访当事人，了解协议履行和满意情况；发现反复苗头的要如实记录。"
    visited_on = date_field("回访日期")
    agreement_kept = choice_field("协议履行情况", AGREEMENT_CHOICES)
    satisfaction = choice_field("满意度", Satisfaction.choices)
    relapse_signs = forms.BooleanField(label="发现反复苗头", required=False,
                                       help_text="当事人仍有争执、情绪激动或协议未履行等情况时勾选。")
    note = text_field("回访情况", required=False, rows=3)
    performance = choice_field("调解协议履行情况", Performance.choices, required=False,
                               help_text="本案有调解协议的，记录回访时了解到的履行情况（同步到调解卷宗）。")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("visited_on", timezone.localdate())
        if not self.dispute.agreements.exists():
            del self.fields["performance"]

    def clean_visited_on(self):
        return not_after_today(self.cleaned_data.get("visited_on"), "回访日期")

    def clean_agreement_kept(self):
        return AGREEMENT_VALUES[self.cleaned_data["agreement_kept"]]


class CloseForm(ActionForm):
    intro = "结案前须已回访（或有包反馈记录）。"
    note = text_field("结案说明", required=False, rows=3, help_text="回访发现反复苗头的，须写明结案理由。")


class RejectForm(ActionForm):
    intro = "不属于人民调解受理范围的（如已进入诉讼、仲裁程序，或不属于民间纠纷），不予受理并写明理由。"
    reason = text_field("不予受理的理由")


class ReopenForm(ActionForm):
    intro = "同一当事人之间的纠纷反复的，重新办理原案件（不另立新案，不计为新的化解），反复次数加一。"
    reason = text_field("反复情况", help_text="何时、因何再起争执，目前情况。")
