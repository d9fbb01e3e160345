"""Forms of the 纪委's supervision pages (list, detail and its work records)."""

from django import forms

from ..models import SupervisionActionKind

SHOW_OPEN, SHOW_ALL = "open", "all"
TEXT_ERRORS = {"max_length": "内容不能超过2000字。"}


class SupervisionFilterForm(forms.Form):
    show = forms.ChoiceField(label="范围", required=False, choices=[(SHOW_OPEN, "督办中"), (SHOW_ALL, "全部")])


class CloseSupervisionForm(forms.Form):
    note = forms.CharField(
        label="办结意见", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "请填写督办办结意见。", "max_length": "办结意见不能超过2000字。"},
    )
    confirm = forms.BooleanField(
        label="确认督办事项已落实（办结后督办结束，不能撤销）",
        error_messages={"required": "请勾选“确认办结”后再提交：须确认督办事项已落实。"},
    )


def _date(label, required=False):
    return forms.DateField(label=label, required=required, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
                           error_messages={"invalid": "请输入有效日期（年-月-日）。", "required": f"请填写{label}。"})


def _text(label, placeholder):
    return forms.CharField(label=label, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 3, "placeholder": placeholder}),
                           error_messages={"required": f"请填写{label}。", **TEXT_ERRORS})


class RemindForm(forms.Form):
    prefix = "remind"

    text = _text("催办内容", "如：请于本周内约见双方当事人，提出调处方案并报纪委")
    on_date = _date("催办日期")


class NoticeForm(forms.Form):
    prefix = "notice"

    text = _text("督办要求", "写明须落实的事项，如：限期化解，落实包案领导包调处责任")
    reply_by = _date("要求回复日期")

    def __init__(self, *args, default_reply_by=None, **kwargs):
        super().__init__(*args, **kwargs)
        if default_reply_by is not None:
            self.fields["reply_by"].initial = default_reply_by
            self.fields["reply_by"].help_text = f"默认3个工作日后（{default_reply_by:%Y-%m-%d}）。"


class ReplyForm(forms.Form):
    prefix = "reply"

    replier = forms.CharField(label="回复人", max_length=50,
                              error_messages={"required": "请填写回复人。", "max_length": "回复人不能超过50字。"})
    text = _text("回复内容", "责任人报告的办理进展、落实情况")
    on_date = _date("回复日期")
    notice = forms.ModelChoiceField(label="回复的通知书", queryset=None, required=False, empty_label="（不针对通知书）",
                                    error_messages={"invalid_choice": "所选通知书不属于该督办。"})

    def __init__(self, *args, notices=None, **kwargs):
        super().__init__(*args, **kwargs)
        from ..models import SupervisionAction

        self.fields["notice"].queryset = notices if notices is not None else SupervisionAction.objects.none()
        self.fields["notice"].label_from_instance = lambda n: f"{n.number}（要求{n.reply_by:%m月%d日}前回复）"


MEASURE_KINDS = [(k, SupervisionActionKind(k).label) for k in (
    SupervisionActionKind.INTERVIEW, SupervisionActionKind.CIRCULAR, SupervisionActionKind.ACCOUNTABILITY)]


class MeasureForm(forms.Form):
    prefix = "measure"

    kind = forms.ChoiceField(label="类别", choices=MEASURE_KINDS,
                             error_messages={"required": "请选择约谈、通报或问责。",
                                             "invalid_choice": "请选择约谈、通报或问责。"})
    on_date = _date("日期", required=True)
    text = _text("情况", "约谈对象和内容、通报范围、问责方式和对象")
