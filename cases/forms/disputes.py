from django import forms
from django.db.models import Q
from django.forms import BaseInlineFormSet, inlineformset_factory
from django.utils import timezone

from core import crypto
from core.validators import (
    id_number_facts,
    normalize_id_number,
    normalize_phone,
    validate_id_number,
    validate_phone,
)

from .. import policy
from ..models import OPEN_STATUSES, Dispute, Party, Risk, Sex, SubCategory
from ..rules.recurrence import recently_settled_q
from ..selectors import cases_visible_to

# The intake's hints (BasePartyFormSet.likely_duplicates): a typed ID number is on an open case, or on a case settled
# within the last 12 months (a relapse: reopen that case, issue 12 #7).
DUPLICATE, RECURRENCE = "duplicate", "recurrence"


def error_summary(form, formset=None, *, anchor: str) -> list[dict]:
    """The errors of a form (and its party formset) as the summary at the top of the page lists them, in the order
    of the page: each {"href": "#<field id>", "text": "<label>：<message>"}; errors of no one field link to
    `anchor` (the form), the formset's to its list of parties, a party's to its fieldset."""
    rows = _form_rows(form, "", anchor)
    if formset is not None:
        rows += [{"href": "#parties", "text": f"当事人：{e}"} for e in formset.non_form_errors()]
        for n, party_form in enumerate(formset.forms, start=1):
            rows += _form_rows(party_form, f"第{n}名当事人 · ", f"#{party_form.prefix}")
    return rows


def _form_rows(form, prefix: str, anchor: str) -> list[dict]:
    rows = [{"href": anchor, "text": f"{prefix}{e}"} for e in form.non_field_errors()]
    for bound in form:
        href = anchor if bound.is_hidden else f"#{bound.id_for_label}"
        rows += [{"href": href, "text": f"{prefix}{bound.label}：{e}"} for e in bound.errors]
    return rows


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

    def clean(self):
        data = super().clean()
        facts = id_number_facts(data.get("id_number"))
        if facts and data.get("sex") and data["sex"] != facts.sex:
            self.add_error("sex", f"身份证号显示为{Sex(facts.sex).label}性，与所选性别不符。")
        return data

    @property
    def id_facts(self) -> dict | None:
        """性别 and 出生日期 as the typed (valid) ID number states them, for the form to show beside it."""
        facts = id_number_facts(self["id_number"].value())
        return facts and {"sex": Sex(facts.sex).label, "birth_date": facts.birth_date}


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

    def likely_duplicates(self, user) -> list[dict]:
        """Cases `user` may see and reveal on with a party of the same (valid) ID number as one typed here, by the
        keyed hash (Party.id_hash, services.pii), never LIKE: {"name": typed party's name, "case": the case,
        "kind": DUPLICATE (an open case: the same dispute logged twice?) or RECURRENCE (a case settled within the
        last 12 months, rules.recurrence: a relapse, to be reopened rather than registered anew)}.
        A hint only: a new dispute between the same people is still registered once the user confirms."""
        typed = {}
        for f in self._kept_forms():
            number = f.cleaned_data.get("id_number")
            if number and id_number_facts(number):
                for h in crypto.id_hash_candidates(number):
                    typed[h] = f.cleaned_data["name"]
        if not typed:
            return []
        parties = (Party.objects.filter(id_hash__in=typed, dispute__in=cases_visible_to(user).values("pk"))
                   .filter(Q(dispute__status__in=OPEN_STATUSES) | recently_settled_q("dispute__"))
                   .select_related("dispute__holder_division", "dispute__holder_unit")
                   .order_by("-dispute__created_at", "-dispute_id", "id"))
        hits, seen = [], set()
        for party in parties:
            key = (party.id_hash, party.dispute_id)
            if key not in seen and policy.can_reveal_pii(user, party.dispute):
                seen.add(key)
                kind = DUPLICATE if party.dispute.status in OPEN_STATUSES else RECURRENCE
                hits.append({"name": typed[party.id_hash], "case": party.dispute, "kind": kind})
        return hits

    def _kept_forms(self):
        return [f for f in self.forms if f.has_changed() and not self._should_delete_form(f)]

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
