"""A work order's JSON, validated by the registration form itself (cases/forms/disputes.py), as the Excel import
does (cases/imports.py): the JSON becomes the POST data of `DisputeCreateForm` and `PartyFormSet`, so ID checksums,
phones, dates, choices and "village inside the jurisdiction" are the same code as a hand registration. The form's
errors come back with JSON paths (`parties[0].id_number`). This module writes nothing."""

import dataclasses

from cases.forms.disputes import DisputeCreateForm, PartyFormSet
from cases.models import Dispute, PartyRole, Risk, Source
from org.selectors import villages_within

CASE_FIELDS = ("title", "category", "risk", "people_involved", "arose_on", "village", "place", "description")
PARTY_FIELDS = ("role", "name", "sex", "id_number", "phone", "address")
# Every case from an external system has this source; the system does not choose it.
SOURCE = Source.HOTLINE


@dataclasses.dataclass
class Checked:
    errors: list  # [{"field": "parties[0].id_number", "message": "…"}]
    case: dict | None = None  # what cases.services.create_dispute takes: village, fields, parties


def _text(value) -> str:
    if value is None:
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def form_data(payload: dict) -> dict:
    """The POST data the registration page would send for this work order."""
    data = {field: _text(payload.get(field)) for field in CASE_FIELDS}
    data.update(source=SOURCE, subcategory="")
    data["risk"] = data["risk"] or Risk.BLUE
    parties = payload.get("parties") or []
    for i, party in enumerate(parties):
        for field in PARTY_FIELDS:
            data[f"parties-{i}-{field}"] = _text(party.get(field))
        if not data[f"parties-{i}-role"]:
            data[f"parties-{i}-role"] = PartyRole.APPLICANT if i == 0 else PartyRole.RESPONDENT
    data.update({"parties-TOTAL_FORMS": str(len(parties)), "parties-INITIAL_FORMS": "0",
                 "parties-MIN_NUM_FORMS": "0", "parties-MAX_NUM_FORMS": "1000"})
    return data


def check(payload: dict, *, division) -> Checked:
    """Validate a work order for a system of `division` through the registration form and its party formset."""
    data = form_data(payload)
    form = DisputeCreateForm(data, villages=villages_within(division))
    formset = PartyFormSet(data, instance=Dispute(), prefix="parties")
    valid = form.is_valid() & formset.is_valid()
    errors = []
    for field, messages in form.errors.items():
        if field == "village" and form.has_error("village", "invalid_choice"):
            messages = [f"“{data['village']}”不是本系统辖区内的村/社区区划代码。"]
        errors += [{"field": "body" if field == "__all__" else field, "message": str(m)} for m in messages]
    for i, party_form in enumerate(formset.forms):
        for field, messages in party_form.errors.items():
            path = f"parties[{i}]" if field == "__all__" else f"parties[{i}].{field}"
            errors += [{"field": path, "message": str(m)} for m in messages]
    errors += [{"field": "parties", "message": str(m)} for m in formset.non_form_errors()]
    if not valid:
        return Checked(errors or [{"field": "body", "message": "工单内容不完整。"}])
    return Checked([], {"village": form.cleaned_data["village"],
                        "fields": {k: v for k, v in form.cleaned_data.items() if k != "village"},
                        "parties": formset.party_rows()})
