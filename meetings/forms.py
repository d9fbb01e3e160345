"""Forms of the meeting pages. They only validate input; every write goes through meetings.services."""

import datetime
import re

from django import forms
from django.utils import timezone

from cases.models import Outcome, WarningLevel, WarningTarget, WarningTrigger
from cases.rules.deadlines import end_of_day
from org.people import picker_label

from .models import SAME_RECORDER_AND_CHECKER, Attendance, AttendeeKind, Decision, Meeting

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class OpenMeetingForm(forms.ModelForm):
    class Meta:
        model = Meeting
        fields = ["held_on", "place", "form"]
        widgets = {"held_on": DATE, "form": forms.RadioSelect}
        help_texts = {"place": "如“村委会议室”“××地块现场”。"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("held_on", timezone.localdate())


class MeetingEditForm(forms.ModelForm):
    class Meta:
        model = Meeting
        fields = ["held_on", "place", "form", "summary"]
        widgets = {"held_on": DATE, "form": forms.RadioSelect, "summary": forms.Textarea(attrs={"rows": 3})}


class AttendanceForm(forms.ModelForm):
    class Meta:
        model = Attendance
        fields = ["kind", "name", "role_title", "unit"]
        help_texts = {"role_title": "如“调委会主任”“警务助理”“五老”。"}


GUEST_LINE = re.compile(r"[\s\u3000,，、;；]+")


class AttendanceBulkForm(forms.Form):
    """Several attendees in one submit: people of the division's directory (人员库, with or without an account)
    ticked, and anyone else typed one a line ("姓名 职务 单位", separated by spaces or commas)."""

    people = forms.TypedMultipleChoiceField(
        label="本单位人员（可多选，登记为参会成员）", required=False, coerce=int, widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "所选人员不属于本单位或已登记，请刷新页面后重新选择。"})
    guests = forms.CharField(
        label="其他人员（每行一人：姓名 职务 单位）", required=False, max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "王明 律师 嘉祥县法律援助中心\n张秀英 五老 刘山村"}),
        help_text="没有系统账号的人员，如邀请的律师、五老、群众代表；用空格或逗号分隔。")
    guest_kind = forms.ChoiceField(label="其他人员的类别", choices=AttendeeKind.choices, initial=AttendeeKind.GUEST)

    def __init__(self, *args, people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["people"].choices = [(p.pk, picker_label(p)) for p in people]
        if not people:
            self.fields["people"].help_text = "人员库中本单位的人员均已登记。"

    def clean_guests(self):
        rows, problems = [], []
        for n, line in enumerate((self.cleaned_data.get("guests") or "").splitlines(), start=1):
            parts = [p for p in GUEST_LINE.split(line.strip()) if p]
            if not parts:
                continue
            name, role_title, unit = parts[0], (parts[1] if len(parts) > 1 else ""), "".join(parts[2:])
            if len(name) > 32:
                problems.append(f"第{n}行：姓名不能超过32字。")
            elif len(role_title) > 64 or len(unit) > 64:
                problems.append(f"第{n}行：职务、单位均不能超过64字。")
            rows.append((name, role_title, unit))
        if problems:
            raise forms.ValidationError(problems)
        return rows

    def clean(self):
        data = super().clean()
        if not self.errors and not data.get("people") and not data.get("guests"):
            raise forms.ValidationError("请勾选本单位人员或填写其他人员（每行一人）。")
        return data


class CloseMeetingForm(forms.Form):
    """闭会: 记录人 and 审核人 from the meeting's 参会成员 (who took and who checked the minutes; two people), and the
    confirmation box — closing freezes the minutes, so it is refused unticked (works without JavaScript)."""

    recorder = forms.TypedChoiceField(
        label="记录人", coerce=int, empty_value=None, help_text="整理本次会议纪要的参会成员。",
        error_messages={"required": "请选择记录人。", "invalid_choice": "请从本次例会的参会成员中选择记录人。"})
    checker = forms.TypedChoiceField(
        label="审核人", coerce=int, empty_value=None, help_text="审核会议纪要的参会成员（一般为主持会议的领导），不能与记录人为同一人。",
        error_messages={"required": "请选择审核人。", "invalid_choice": "请从本次例会的参会成员中选择审核人。"})
    confirm = forms.BooleanField(
        label="确认闭会后会议纪要定稿，不能再修改",
        error_messages={"required": "请勾选“确认闭会后会议纪要定稿，不能再修改”后再闭会。"})

    def __init__(self, *args, attendees, convener_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.members = [a for a in attendees if a.kind == AttendeeKind.MEMBER]
        choices = [("", "请选择")] + [(a.pk, _attendee_label(a)) for a in self.members]
        self.fields["recorder"].choices = self.fields["checker"].choices = choices
        presiding = next((a for a in self.members if convener_id and a.user_id == convener_id), None)
        if presiding and not self.is_bound:
            self.initial.setdefault("checker", presiding.pk)  # the convener usually checks the minutes

    def clean(self):
        data = super().clean()
        recorder, checker = data.get("recorder"), data.get("checker")
        if recorder and recorder == checker:
            self.add_error("checker", SAME_RECORDER_AND_CHECKER)
        return data


def _attendee_label(a) -> str:
    extra = "，".join(x for x in (a.role_title, a.unit) if x)
    return f"{a.name}（{extra}）" if extra else a.name


class OverrideForm(forms.Form):
    rule_id = forms.IntegerField(widget=forms.HiddenInput)
    reason = forms.CharField(
        label="不予处理的理由", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "请填写不予处理的理由。"},
    )


# --- 研判 ---------------------------------------------------------------------------------------------------------

REASON_DECISIONS = {Decision.REFER, Decision.ACCEPT, Decision.RETURN, Decision.TRANSFER, Decision.REJECT, Decision.WARN}

# (key, legend, the decisions it belongs to, its fields). The page shows a fieldset only for the chosen decision
# (static/js/meeting.js); without JavaScript all applicable fieldsets show, each saying when it is used.
FIELDSETS = [
    ("resolve", "化解结果", {Decision.MEDIATE, Decision.RESOLVE}, ["outcome", "note"]),
    ("assign", "四定", {Decision.ASSIGN},
     ["lead_leader", "responsible_unit", "responsible_person", "measures", "deadline"]),
    ("transfer", "移交", {Decision.TRANSFER}, ["unit"]),
    ("warn", "预警", {Decision.WARN}, ["level", "triggers", "submitted_to", "reassess_on"]),
    ("reason", "理由", REASON_DECISIONS, ["reason"]),
]

REQUIRED = {
    Decision.MEDIATE: ["outcome"],
    Decision.RESOLVE: ["outcome"],
    Decision.ASSIGN: ["lead_leader", "responsible_unit", "responsible_person", "measures"],
    Decision.TRANSFER: ["unit"],
    Decision.WARN: ["level", "triggers", "submitted_to", "reassess_on"],
}


def _blank(label):
    return [("", label)]


def error_summary(form, *, anchor: str) -> list[dict]:
    """A form's errors as templates/_error_summary.html lists them, in the form's order: {"href": "#<field id>",
    "text": "<label>：<message>"}; errors of no one field link to `anchor`. A field of checkboxes links to its first
    box (Django gives such fields no label id)."""
    rows = [{"href": anchor, "text": str(e)} for e in form.non_field_errors()]
    for bound in form:
        target = bound.id_for_label or (f"{bound.auto_id}_0" if bound.auto_id else "")
        href = anchor if bound.is_hidden or not target else f"#{target}"
        rows += [{"href": href, "text": f"{bound.label}：{e}"} for e in bound.errors]
    return rows


class DecisionField(forms.ChoiceField):
    """决定: a decision the case cannot take now (`refused`: decision -> why) is not offered; posted anyway (a stale
    page, a forged request) it is refused with the reason, not a generic "invalid choice"."""

    refused: dict = {}

    def validate(self, value):
        if value in self.refused:
            label = Decision(value).label
            raise forms.ValidationError(f"“{label}”当前不能选择：{self.refused[value]}", code="refused")
        super().validate(value)


class ReviewForm(forms.Form):
    """One agenda item's 研判: analysis, a decision among those open to this case now, and the decision's details.

    `decisions`: the decisions the table allows (meetings.services.available_decisions); `current`: the decision
    the saved Review records (kept selectable: re-posting it only edits the analysis); `choices`: the meeting's
    people and units (meetings.selectors.review_choices), shared by every item's form."""

    analysis = forms.CharField(label="研判意见", max_length=4000, widget=forms.Textarea(attrs={"rows": 3}),
                               error_messages={"required": "请填写研判意见。"})
    decision = DecisionField(
        label="决定", error_messages={"invalid_choice": "该决定当前不可选，请刷新页面后重新选择。",
                                      "required": "请选择决定。"})
    outcome = forms.ChoiceField(label="化解结果", required=False, choices=_blank("请选择") + Outcome.choices)
    note = forms.CharField(label="结果说明", required=False, max_length=2000,
                           help_text="调解不成的，写明已告知当事人的其他解决途径（诉讼、仲裁、行政处理等）。")
    lead_leader = forms.TypedChoiceField(label="包案领导", required=False, coerce=int, empty_value=None)
    responsible_unit = forms.TypedChoiceField(label="责任单位", required=False, coerce=int, empty_value=None)
    responsible_person = forms.TypedChoiceField(label="责任人", required=False, coerce=int, empty_value=None)
    measures = forms.CharField(label="调处措施", required=False, max_length=2000,
                               widget=forms.Textarea(attrs={"rows": 2}))
    deadline = forms.DateField(label="办结时限", required=False, widget=DATE, help_text="不填则按时限规则自动计算。")
    unit = forms.TypedChoiceField(label="移交单位", required=False, coerce=int, empty_value=None)
    level = forms.ChoiceField(label="预警等级", required=False, choices=_blank("请选择") + WarningLevel.choices)
    triggers = forms.MultipleChoiceField(label="预警情形", required=False, choices=WarningTrigger.choices,
                                         widget=forms.CheckboxSelectMultiple)
    submitted_to = forms.ChoiceField(label="报送", required=False, choices=WarningTarget.choices)
    reassess_on = forms.DateField(label="重新评估日期", required=False, widget=DATE)
    reason = forms.CharField(label="理由/说明", required=False, max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 2}),
                             help_text="不填则使用研判意见。")

    def __init__(self, *args, decisions, current=None, choices, tier, suggested_triggers=(), refused=None,
                 **kwargs):
        super().__init__(*args, **kwargs)
        self.current = current
        self.fields["decision"].refused = {d: why for d, why in (refused or {}).items() if d != current}
        self.review_choices = choices
        offered = list(decisions)
        if current and current not in offered:
            offered.append(current)
        self.fields["decision"].choices = _blank("请选择决定") + [
            (d, Decision(d).label + ("（已决定，仅修改研判意见）" if d == current else "")) for d in offered
        ]
        self.fieldsets = []
        keep = {"analysis", "decision"}
        for key, legend, used_by, names in FIELDSETS:
            used = sorted(set(offered) & used_by - ({current} if current else set()))
            if used:
                keep.update(names)
                self.fieldsets.append((key, legend, " ".join(used), "、".join(Decision(d).label for d in used), names))
        for name in list(self.fields):
            if name not in keep:
                del self.fields[name]
        people = [(p.pk, label) for p, label in choices.people]
        for name, options in (("lead_leader", [(p.pk, label) for p, label in choices.leaders]),
                              ("responsible_person", people),
                              ("responsible_unit", [(u.pk, u.name) for u in choices.units]),
                              ("unit", [(u.pk, u.name) for u in choices.transfer_units])):
            if name in self.fields:
                self.fields[name].choices = _blank("请选择") + options
                if name in ("lead_leader", "responsible_person"):
                    self.fields[name].widget.attrs["data-picker"] = "1"  # static/js/person-picker.js
        if not self.is_bound:
            self.initial.setdefault("decision", current or "")
            target = WarningTarget.COUNTY if tier == "county" else WarningTarget.TOWN_JOINT
            self.initial.setdefault("submitted_to", target)
            self.initial.setdefault("reassess_on", timezone.localdate() + datetime.timedelta(days=7))
            self.initial.setdefault("triggers", list(suggested_triggers))

    def bound_fieldsets(self):
        return [(key, legend, codes, labels, [self[n] for n in names])
                for key, legend, codes, labels, names in self.fieldsets]

    def clean(self):
        data = super().clean()
        decision = data.get("decision")
        if decision and decision != self.current:
            for name in REQUIRED.get(decision, []):
                if name in self.fields and not data.get(name) and name not in self.errors:
                    self.add_error(name, f"“{Decision(decision).label}”须填写{self.fields[name].label}。")
        return data

    def details(self) -> dict:
        """The keyword arguments `services.record_review` takes for the chosen decision."""
        data, decision = self.cleaned_data, self.cleaned_data["decision"]
        persons, units = self.review_choices.people_by_pk, self.review_choices.units_by_pk
        if decision in (Decision.MEDIATE, Decision.RESOLVE):
            return {"outcome": data.get("outcome"), "note": data.get("note", "")}
        if decision == Decision.ASSIGN:
            return {
                "lead_leader": persons.get(data.get("lead_leader")),
                "responsible_unit": units.get(data.get("responsible_unit")),
                "responsible_person": persons.get(data.get("responsible_person")),
                "measures": data.get("measures", ""),
                "deadline": end_of_day(data["deadline"]) if data.get("deadline") else None,
            }
        if decision == Decision.WARN:
            return {"level": data.get("level"), "triggers": data.get("triggers"), "reason": data.get("reason", ""),
                    "submitted_to": data.get("submitted_to"), "reassess_on": data.get("reassess_on")}
        if decision == Decision.TRANSFER:
            return {"unit": units.get(data.get("unit")), "reason": data.get("reason", "")}
        if decision in REASON_DECISIONS:
            return {"reason": data.get("reason", "")}
        return {}
