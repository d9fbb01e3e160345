"""The mediation file's forms (one per step of `policy.MEDIATION_STEPS`, plus the document reveal).

They check input only (types, lengths, the choices offered); the rules — a written agreement needs its terms and
deadline, a session's mediators must be named on the case … — are the service's (`services.mediation`), whose
`Refused` names the field and is shown there. Field names are the service's keyword arguments.
"""

from django import forms
from django.utils import timezone

from core.uploads import inspect_upload

from ..models import (
    AgreementForm,
    CaseMediator,
    ConfirmationResult,
    Mediator,
    Performance,
    SessionForm,
)
from ..services.mediation import current_agreement, eligible_mediators
from .actions import DATE_WIDGET, choice_field, date_field, text_field


def radio_field(label, choices, **kwargs):
    """A short choice as radio buttons (no "请选择" row: nothing checked means not chosen)."""
    return forms.ChoiceField(label=label, choices=choices, widget=forms.RadioSelect, error_messages={
        "required": f"请选择{label}。", "invalid_choice": f"所选{label}无效，请重新选择。"}, **kwargs)


class MediatorChoice(forms.ModelChoiceField):
    def label_from_instance(self, m):
        return f"{m.person.name}（{m.get_kind_display()}·{m.committee_name}）"


class MediatorMultiple(forms.ModelMultipleChoiceField):
    def label_from_instance(self, m):
        return f"{m.person.name}（{m.get_kind_display()}·{m.committee_name}）"


class StepForm(forms.Form):
    intro = ""

    def __init__(self, *args, dispute, user, **kwargs):
        self.dispute, self.user = dispute, user
        super().__init__(*args, **kwargs)

    def service_kwargs(self) -> dict:
        return dict(self.cleaned_data)


def _named(dispute):
    return Mediator.objects.filter(
        pk__in=CaseMediator.objects.filter(dispute=dispute, active=True).values("mediator_id")
    ).select_related("person", "committee_division", "committee_unit")


class MediatorsForm(StepForm):
    intro = "人民调解委员会指定或当事人选择调解员（人民调解法第十九条）：一名主持调解员，可另加其他调解员。"
    lead = MediatorChoice(queryset=Mediator.objects.none(), label="主持调解员",
                          error_messages={"required": "请选择主持调解员。", "invalid_choice": "所选调解员无效。"})
    others = MediatorMultiple(queryset=Mediator.objects.none(), label="其他调解员", required=False,
                              widget=forms.CheckboxSelectMultiple,
                              error_messages={"invalid_choice": "所选调解员无效。"},
                              help_text="可多选；名册由系统管理员维护（本村、本镇街调委会及专业调解委员会的在任调解员）。")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        qs = eligible_mediators(self.dispute)
        self.fields["lead"].queryset = self.fields["others"].queryset = qs
        current = list(CaseMediator.objects.filter(dispute=self.dispute, active=True))
        lead = next((c.mediator_id for c in current if c.is_lead), None)
        self.initial.setdefault("lead", lead)
        self.initial.setdefault("others", [c.mediator_id for c in current if not c.is_lead])


class ChangeForm(StepForm):
    intro = "当事人要求更换调解员的，记录提出人、理由和更换结果（人民调解法第二十三条：当事人有权选择或者接受调解员）。"
    party = forms.ModelChoiceField(queryset=None, label="提出的当事人",
                                   error_messages={"required": "请选择提出的当事人。", "invalid_choice": "所选当事人无效。"})
    mediator = MediatorChoice(queryset=Mediator.objects.none(), label="要求更换的调解员",
                              error_messages={"required": "请选择要求更换的调解员。", "invalid_choice": "所选调解员无效。"})
    replacement = MediatorChoice(queryset=Mediator.objects.none(), label="更换为", required=False,
                                 help_text="暂不更换的可不选，只记录申请。",
                                 error_messages={"invalid_choice": "所选调解员无效。"})
    reason = text_field("更换理由", rows=3)
    requested_on = date_field("提出日期")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["party"].queryset = self.dispute.parties.all()
        self.fields["party"].label_from_instance = lambda p: f"{p.get_role_display()} {p.name}"
        self.fields["mediator"].queryset = _named(self.dispute)
        self.fields["replacement"].queryset = eligible_mediators(self.dispute)
        self.initial.setdefault("requested_on", timezone.localdate())


class SessionRecordForm(StepForm):
    intro = "每次调解记录一份笔录（人民调解法第二十七条：调解员应当记录调解情况）。"
    held_on = date_field("调解日期")
    place = forms.CharField(label="调解地点", max_length=100, error_messages={
        "required": "请填写调解地点。", "max_length": "调解地点最多100字。"})
    form = radio_field("调解形式", SessionForm.choices)
    mediators = MediatorMultiple(queryset=Mediator.objects.none(), label="调解员", widget=forms.CheckboxSelectMultiple,
                                 error_messages={"required": "请选择主持本次调解的调解员。",
                                                 "invalid_choice": "所选调解员无效。"})
    attendees = text_field("参加人员", rows=2, help_text="到场的当事人、亲属、邻里及邀请参与的人员（人民调解法第二十条）。")
    record = forms.CharField(label="调解笔录", max_length=8000, widget=forms.Textarea(attrs={"rows": 8}),
                             help_text="各方陈述、调解员释法说理、各方意见及结果。",
                             error_messages={"required": "请填写调解笔录。", "max_length": "调解笔录最多8000字。"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mediators"].queryset = _named(self.dispute)
        self.initial.setdefault("held_on", timezone.localdate())
        self.initial.setdefault("form", SessionForm.ON_SITE)
        self.initial.setdefault("mediators", list(self.fields["mediators"].queryset.values_list("pk", flat=True)))


def _amount_field(label):
    return forms.DecimalField(label=label, required=False, min_value=0, max_digits=12, decimal_places=2,
                              widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
                              error_messages={"invalid": f"{label}请填写数字，如 12000 或 12000.50。",
                                              "min_value": f"{label}不能为负数。",
                                              "max_digits": f"{label}过大。", "max_decimal_places": f"{label}最多两位小数。"})


class AgreementRecordForm(StepForm):
    intro = ("书面协议载明当事人、纠纷主要事实和争议事项、协议内容、履行方式和期限，自各方签名盖章之日起生效（第二十九条）；"
             "口头协议记录协议内容，自达成之日起生效（第三十条）。")
    form = radio_field("协议形式", AgreementForm.choices)
    partial = forms.BooleanField(label="部分达成", required=False,
                                 help_text="只就部分争议事项达成协议的勾选，并写明未达成的事项和告知的解决途径。")
    facts = text_field("纠纷主要事实、争议事项及各方责任", required=False, rows=4, help_text="书面协议必填。")
    terms = forms.CharField(label="协议内容", max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 5}),
                            help_text="书面协议写明各方约定的条款；口头协议如实记录协议内容。",
                            error_messages={"max_length": "协议内容最多4000字。"})
    performance_manner = text_field("履行方式", required=False, rows=2, help_text="如：一次性现金支付、银行转账、分期等。书面协议必填。")
    performance_deadline = date_field("履行期限", required=False, help_text="书面协议必填。")
    effective_on = date_field("生效日期", help_text="书面协议：各方签名盖章（按指印）之日；口头协议：达成之日。")
    amount_involved = _amount_field("涉及金额（元）")
    amount_agreed = _amount_field("协议金额（元）")
    remaining_issues = text_field("未达成的事项", required=False, rows=2)
    remaining_route = text_field("告知当事人的解决途径", required=False, rows=2, help_text="如：告知可向人民法院起诉、申请仲裁等。")
    scan = forms.FileField(label="协议扫描件", required=False, help_text="签名盖章后的协议书，JPEG、PNG 或 PDF，不超过10 MB。",
                           widget=forms.ClearableFileInput(attrs={"accept": ".jpg,.jpeg,.png,.pdf"}),
                           error_messages={"empty": "文件是空的。"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("form", AgreementForm.WRITTEN)
        self.initial.setdefault("effective_on", timezone.localdate())
        self.fields["performance_deadline"].widget = forms.DateInput(**DATE_WIDGET)

    def clean_scan(self):
        upload = self.cleaned_data.get("scan")
        return inspect_upload(upload) if upload else None


class _AgreementStep(StepForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.agreement = current_agreement(self.dispute)

    def service_kwargs(self) -> dict:
        return {**self.cleaned_data, "agreement": self.agreement}


class PerformanceForm(_AgreementStep):
    intro = "记录调解协议的履行情况（人民调解法第三十一条：人民调解委员会应当对调解协议的履行情况进行监督）。"
    performance = radio_field("履行情况", Performance.choices)
    on_date = date_field("日期")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial.setdefault("on_date", timezone.localdate())
        if self.agreement is not None:
            self.initial.setdefault("performance", self.agreement.performance)


class ConfirmationForm(_AgreementStep):
    intro = "双方当事人可以自调解协议生效之日起三十日内共同向人民法院申请司法确认（人民调解法第三十三条）。"
    court = forms.CharField(label="受理的人民法院", max_length=60, initial="嘉祥县人民法院",
                            error_messages={"required": "请填写受理的人民法院。", "max_length": "法院名称最多60字。"})
    applied_on = date_field("申请日期")
    result = choice_field("确认结果", ConfirmationResult.choices, required=False, help_text="法院尚未裁定的可不选。")
    decided_on = date_field("裁定日期", required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        a = self.agreement
        if a is not None and a.confirmation_applied_on:
            self.initial.update(court=a.court, applied_on=a.confirmation_applied_on, result=a.confirmation_result,
                                decided_on=a.confirmation_decided_on)


class RevealForm(forms.Form):
    """A document with the parties' full ID numbers, phones and addresses: every party's reveal is logged."""

    reason = forms.CharField(label="查看理由", min_length=4, max_length=200, error_messages={
        "required": "请填写理由（至少4个字），如“打印协议书供当事人签名”。", "min_length": "理由至少4个字。",
        "max_length": "理由最多200字。"})
