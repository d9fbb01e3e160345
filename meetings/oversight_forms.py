"""Forms of the 督导组's pages (issue 11 #3). They validate input; writes are meetings.oversight_services."""

from django import forms
from django.utils import timezone

from org.models import Division, Level

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
YES_NO = [("", "请选择"), ("1", "是"), ("0", "否")]


def _divisions(levels):
    return Division.objects.filter(level__in=levels).select_related("parent").order_by("code")


class DivisionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        if obj.level == Level.VILLAGE and obj.parent_id:
            return f"{obj.parent.short_name} · {obj.short_name}"
        return obj.name


class VisitPlanForm(forms.Form):
    division = DivisionChoiceField(label="督导的村（社区）或镇街例会", queryset=Division.objects.none(),
                                   error_messages={"required": "请选择要督导的村（社区）或镇街。",
                                                   "invalid_choice": "请选择要督导的村（社区）或镇街。"})
    planned_on = forms.DateField(label="督导日期", widget=DATE,
                                 error_messages={"required": "请填写督导日期。", "invalid": "日期格式不正确。"})
    purpose = forms.CharField(label="督导内容", max_length=1000, widget=forms.Textarea(attrs={"rows": 2}),
                              error_messages={"required": "请填写督导内容。"})
    members = forms.ModelMultipleChoiceField(label="督导组成员", queryset=None,
                                             widget=forms.CheckboxSelectMultiple,
                                             error_messages={"required": "请选择参加督导的督导组成员。"})

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["division"].queryset = _divisions([Level.TOWNSHIP, Level.VILLAGE])
        self.fields["members"].queryset = members
        self.fields["members"].label_from_instance = lambda u: u.get_full_name() or u.username


class VisitRecordForm(forms.Form):
    findings = forms.CharField(label="督导情况", max_length=4000, required=False,
                               widget=forms.Textarea(attrs={"rows": 2}))


class OpinionForm(forms.Form):
    meeting = forms.IntegerField(required=False, widget=forms.HiddenInput)
    number = forms.CharField(label="案件编号（可选）", max_length=32, required=False,
                             help_text="针对某一案件的意见请填写案件编号；针对例会整体的意见留空。")
    text = forms.CharField(label="督导意见", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
                           error_messages={"required": "请填写督导意见。"})


class AnswerForm(forms.Form):
    answer = forms.CharField(label="答复", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
                             error_messages={"required": "请填写答复内容。督导意见须由召集单位作出答复。"})


class SampleDrawForm(forms.Form):
    town = DivisionChoiceField(label="镇街", queryset=Division.objects.none(),
                               error_messages={"required": "请选择镇街。", "invalid_choice": "请选择镇街。"})
    start = forms.DateField(label="结案日期自", widget=DATE,
                            error_messages={"required": "请填写开始日期。", "invalid": "日期格式不正确。"})
    end = forms.DateField(label="结案日期至", widget=DATE,
                          error_messages={"required": "请填写结束日期。", "invalid": "日期格式不正确。"})
    size = forms.IntegerField(label="抽取件数", min_value=1, max_value=50, initial=5,
                              error_messages={"required": "请填写抽取件数。", "invalid": "请填写整数。",
                                              "min_value": "至少抽取1件。", "max_value": "每次最多抽取50件。"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["town"].queryset = _divisions([Level.TOWNSHIP])
        if not self.is_bound:
            today = timezone.localdate()
            self.initial.setdefault("end", today)
            self.initial.setdefault("start", today.replace(day=1))


class PhoneBackForm(forms.Form):
    reached = forms.TypedChoiceField(label="电话接通", choices=YES_NO, coerce=lambda v: v == "1",
                                     error_messages={"required": "请选择电话是否接通。"})
    satisfied = forms.TypedChoiceField(label="当事人满意", choices=YES_NO, coerce=lambda v: v == "1",
                                       required=False, empty_value=None)
    agreement_kept = forms.TypedChoiceField(label="协议履行", choices=YES_NO, coerce=lambda v: v == "1",
                                            required=False, empty_value=None)
    recurred = forms.TypedChoiceField(label="纠纷反复", choices=YES_NO, coerce=lambda v: v == "1",
                                      required=False, empty_value=None)
    note = forms.CharField(label="回访记录", max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2}))
