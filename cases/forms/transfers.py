"""Forms of a transfer's second half (the unit signs for it, sends it back, reports; the tier reviews) and of
extension requests. Field names are the services' keyword arguments, as in forms/actions.py."""

from django import forms
from django.utils import timezone

from ..models import DayMode, Outcome
from .actions import ActionForm, choice_field, text_field


class _Decision(ActionForm):
    """A yes/no decision with a note that a "no" must fill in."""

    no_needs = "请写明理由。"

    def clean(self):
        data = super().clean()
        if data.get("decision") == "no" and not data.get("note"):
            self.add_error("note", self.no_needs)
        return data


class AcceptTransferForm(ActionForm):
    intro = "签收后由本单位办理，按移交时限计时；办完后在本页提交“办理反馈”，由移交方审核。"
    note = text_field("签收意见", required=False, rows=2, help_text="可写明承办人和初步安排。")


class ReturnTransferForm(ActionForm):
    intro = "不属于本单位职责的，说明理由退回移交方，由移交方另行交办。"
    reason = text_field("退回理由", help_text="写明为何不属本单位职责，建议由哪个单位办理。")


class FeedbackForm(ActionForm):
    intro = "向移交方反馈办理情况和结果；移交方审核通过后案件即为已化解，退回的须继续办理后再次反馈。"
    outcome = choice_field("办理结果", Outcome.choices)
    text = text_field("办理情况", help_text="做了哪些工作、当事人意见、协议或处理决定。")


class ReviewFeedbackForm(_Decision):
    intro = "审核承办单位的办理反馈：通过则按反馈的结果办结化解；退回则须写明需补充办理的事项。"
    decision = choice_field("审核意见", [("yes", "通过（按反馈结果化解）"), ("no", "退回重办")], widget=forms.RadioSelect)
    note = text_field("审核说明", required=False, rows=3)
    no_needs = "退回重办须写明需补充办理的事项。"

    def service_kwargs(self):
        return {"accept": self.cleaned_data["decision"] == "yes", "note": self.cleaned_data["note"]}


class RequestExtensionForm(ActionForm):
    reason = text_field("延期理由", help_text="为何不能按期办结，已做的工作和还需的时间。")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from ..services.extensions import extension_terms

        days, mode = extension_terms(self.dispute)
        deadline = f"{timezone.localtime(self.dispute.deadline):%Y年%m月%d日}" if self.dispute.deadline else "未设定"
        self.intro = (f"当前办结时限：{deadline}。每个时限只能申请一次延期，可延长{days}个{DayMode(mode).label}，"
                      "由上一级（移交给单位的，由移交方）审批。")


class DecideExtensionForm(_Decision):
    intro = "审批承办方的延期申请：批准后办结时限顺延，时限提醒和督办按新时限计算。"
    decision = choice_field("审批意见", [("yes", "批准"), ("no", "不予批准")], widget=forms.RadioSelect)
    note = text_field("审批说明", required=False, rows=3)
    no_needs = "不予批准须写明理由。"

    def service_kwargs(self):
        return {"approve": self.cleaned_data["decision"] == "yes", "note": self.cleaned_data["note"]}
