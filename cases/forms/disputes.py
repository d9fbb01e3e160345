from django import forms
from django.forms import BaseInlineFormSet, inlineformset_factory
from django.utils import timezone

from core.validators import normalize_id_number, normalize_phone, validate_id_number, validate_phone

from ..models import Dispute, Party, Risk, SubCategory


class DisputeFieldsForm(forms.ModelForm):
    """The dispute's own fields, shared by registration and editing."""

    people_involved = forms.IntegerField(
        label="涉及人数", min_value=1, max_value=100000, initial=2,
        help_text="涉及5人及以上可能引发集体访，请如实填写。",
        widget=forms.NumberInput(attrs={"min": 1, "max": 100000, "inputmode": "numeric"}),
    )

    class Meta:
        model = Dispute
        fields = ["title", "category", "subcategory", "source", "risk", "people_involved", "arose_on", "place",
                  "description"]
        widgets = {
            "arose_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "description": forms.Textarea(attrs={"rows": 5}),
        }
        help_texts = {
            "title": "一句话概括，如“张某与李某宅基地边界纠纷”。",
            "description": "起因、经过、当事人诉求、已做工作，最多4000字。",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["subcategory"].queryset = SubCategory.objects.filter(active=True)
        self.fields["subcategory"].empty_label = "（不细分）"

    def clean_arose_on(self):
        value = self.cleaned_data["arose_on"]
        if value > timezone.localdate():
            raise forms.ValidationError("发生日期不能晚于今天。")
        return value

    def clean(self):
        data = super().clean()
        sub = data.get("subcategory")
        if sub and data.get("category") and sub.category != data["category"]:
            self.add_error("subcategory", f"“{sub.name}”属于“{sub.get_category_display()}”，与所选纠纷类别不一致。")
        return data


class DisputeCreateForm(DisputeFieldsForm):
    """Registration: adds the village, limited to the user's jurisdiction (`villages`)."""

    class Meta(DisputeFieldsForm.Meta):
        fields = [*DisputeFieldsForm.Meta.fields[:7], "village", *DisputeFieldsForm.Meta.fields[7:]]

    def __init__(self, *args, villages, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["village"].queryset = villages
        only = villages.first() if villages.count() == 1 else None
        self.fields["village"].empty_label = None if only else "请选择村/社区"
        if not self.is_bound:
            self.initial.setdefault("arose_on", timezone.localdate())
            self.initial.setdefault("risk", Risk.BLUE)
            if only:
                self.initial.setdefault("village", only.pk)


class DisputeEditForm(DisputeFieldsForm):
    """Editing the basic record; carries the version the user loaded so a stale save is caught."""

    risk_reason = forms.CharField(
        label="风险等级调整理由", required=False, max_length=200, help_text="只有调整风险等级时需要填写。",
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

    def clean(self):
        data = super().clean()
        if data.get("risk") and data["risk"] != self.instance.risk and not (data.get("risk_reason") or "").strip():
            self.add_error("risk_reason", "调整风险等级必须填写理由。")
        return data


PARTY_FIELDS = ("role", "name", "sex", "id_number", "phone", "address")


class PartyForm(forms.ModelForm):
    class Meta:
        model = Party
        fields = list(PARTY_FIELDS)  # the inline formset appends its foreign key to this list
        widgets = {
            "id_number": forms.TextInput(attrs={"autocomplete": "off", "inputmode": "text", "maxlength": 18}),
            "phone": forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
        }

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError("请填写当事人姓名。")
        return name

    def clean_id_number(self):
        value = normalize_id_number(self.cleaned_data.get("id_number"))
        if value:
            validate_id_number(value)
        return value

    def clean_phone(self):
        value = normalize_phone(self.cleaned_data.get("phone"))
        if value:
            validate_phone(value)
        return value


class BasePartyFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        kept = [f for f in self.forms if f.has_changed() and not self._should_delete_form(f)]
        if not kept:
            raise forms.ValidationError("请至少填写一名当事人。")
        ids = [f.cleaned_data["id_number"] for f in kept if f.cleaned_data.get("id_number")]
        if len(ids) != len(set(ids)):
            raise forms.ValidationError("同一身份证号不能重复登记为两名当事人。")

    def party_rows(self) -> list[dict]:
        return [
            {k: f.cleaned_data[k] for k in PARTY_FIELDS}
            for f in self.forms
            if f.has_changed() and not self._should_delete_form(f)
        ]


PartyFormSet = inlineformset_factory(
    Dispute, Party, form=PartyForm, formset=BasePartyFormSet, extra=1, min_num=0, max_num=50, validate_max=True,
    can_delete=True,
)
