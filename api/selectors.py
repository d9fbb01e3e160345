"""Reads of the api app: which cases a token may see, and what the API says about a case (no personal data)."""

from django.http import Http404
from django.utils import timezone

from cases.models import Dispute
from org.jurisdiction import subtree_q


def cases_for_system(system):
    """The cases of the system's division and below: the one scope every read and write of a token goes through
    (the API's counterpart of cases.selectors.cases_visible_to; a code range on the village index)."""
    return Dispute.objects.filter(subtree_q("village__code", system.division))


def get_case_for_system(system, number: str) -> Dispute:
    """One case by number; outside the system's division (or no such case): 404, existence not revealed."""
    try:
        return (cases_for_system(system).select_related("holder_division", "holder_unit", "work_order")
                .get(number=number))
    except Dispute.DoesNotExist:
        raise Http404("未找到该案件。") from None


def _iso(value):
    """ISO 8601 in the installation's time zone (Asia/Shanghai, +08:00), as the county reads its clocks."""
    return timezone.localtime(value).isoformat() if value else None


def case_state(dispute: Dispute) -> dict:
    """Status, tier, holder, deadline and outcome of a case, as GET /api/v1/cases/{number} and the result callback
    send it: codes with their Chinese labels, times in ISO 8601 with offset. Never names, ID numbers, phones,
    addresses, the description or the outcome's free-text note."""
    order = getattr(dispute, "work_order", None)
    return {
        "number": dispute.number,
        "work_order_id": order.work_order_id if order else None,
        "status": dispute.status, "status_label": dispute.get_status_display(),
        "tier": dispute.tier, "tier_label": dispute.get_tier_display(),
        "holder": {"division_code": dispute.holder_division_id, "division": dispute.holder_division.name,
                   "unit": dispute.holder_unit.name if dispute.holder_unit_id else None},
        "deadline": _iso(dispute.deadline),
        "outcome": dispute.outcome or None,
        "outcome_label": dispute.get_outcome_display() if dispute.outcome else None,
        "registered_at": _iso(dispute.created_at),
        "resolved_at": _iso(dispute.resolved_at),
        "closed_at": _iso(dispute.closed_at),
    }
