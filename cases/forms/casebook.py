"""典型案例: the form that lists a case (pre-filled with the anonymised case), the withdrawal, the casebook's filters."""

from django import forms
from django.utils import timezone

from org.models import Division, Level

from ..models import GOVERNANCE_FIELDS, Category, GovernanceTag, MethodTag, TypicalCase

FIRST_YEAR = 2020


class TypicalCaseForm(forms.Form):
    title = forms.CharField(label="案例标题", max_length=100, help_text="不得出现当事人姓名，可写作“张某与李某……”。")
    summary = forms.CharField(label="案情简介", max_length=3000, widget=forms.Textarea(attrs={"rows": 6}),
                              help_text="已按当事人姓名自动替换为张某、李某等，请再核对，删去身份证号、电话和门牌号。")
    experience = forms.CharField(label="化解过程与经验", max_length=3000, widget=forms.Textarea(attrs={"rows": 6}))
    self_gov_tags = forms.MultipleChoiceField(label="三治融合", choices=GovernanceTag.choices,
                                              widget=forms.CheckboxSelectMultiple,
                                              error_messages={"required": "请至少选择一项“三治”标签。"})
    method_tags = forms.MultipleChoiceField(label="调解方法", choices=MethodTag.choices, required=False,
                                            widget=forms.CheckboxSelectMultiple)

    @classmethod
    def initial_for(cls, typical: TypicalCase | None, *, title: str, summary: str, experience: str) -> dict:
        if typical is not None and not typical.withdrawn:
            return {"title": typical.title, "summary": typical.summary, "experience": typical.experience,
                    "self_gov_tags": [t for t, f in GOVERNANCE_FIELDS.items() if getattr(typical, f)],
                    "method_tags": typical.method_codes}
        return {"title": title, "summary": summary, "experience": experience}


class WithdrawTypicalForm(forms.Form):
    reason = forms.CharField(label="撤销原因", max_length=200)


def _years():
    return [("", "全部年份")] + [(str(y), f"{y}年") for y in range(timezone.localdate().year, FIRST_YEAR - 1, -1)]


class CasebookFilterForm(forms.Form):
    """The casebook's filters; an invalid value is reported on its field and that filter is not applied."""

    q = forms.CharField(label="关键词", required=False, max_length=50,
                        widget=forms.TextInput(attrs={"type": "search", "placeholder": "标题或简介中的词"}))
    category = forms.ChoiceField(label="类别", required=False, choices=[("", "全部类别"), *Category.choices])
    tag = forms.ChoiceField(label="三治", required=False, choices=[("", "不限"), *GovernanceTag.choices])
    method = forms.ChoiceField(label="调解方法", required=False, choices=[("", "不限"), *MethodTag.choices])
    town = forms.ChoiceField(label="镇街", required=False)
    year = forms.ChoiceField(label="化解年份", required=False)

    def __init__(self, data=None, *, towns=None):
        super().__init__(data)
        self.fields["year"].choices = _years()
        if towns:
            self.fields["town"].choices = [("", "全部镇街"), *((d.code, d.name) for d in towns)]
        else:
            del self.fields["town"]

    def values(self) -> dict:
        """The valid filters only (the form is bound to request.GET, so it is always validated)."""
        self.is_valid()
        return {k: v for k, v in getattr(self, "cleaned_data", {}).items() if v}


def towns_for(membership):
    """The townships a user may filter the casebook by: those inside a county-level post (others see one town)."""
    if membership is None or membership.division.level != Level.COUNTY:
        return []
    return list(Division.objects.filter(parent=membership.division, level=Level.TOWNSHIP).order_by("code"))
