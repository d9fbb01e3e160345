"""会议纪要: frozen into `Meeting.minutes` (JSON) when the meeting closes; printed (A4 page) and exported (.docx,
`minutes_docx.build_docx`) from that frozen record, never from the live cases, so the minutes say what was decided
that day.

`freeze(meeting, agenda)` builds the record in a fixed number of queries: every agenda item — the reviewed ones with
their decision (in the order they were reviewed), then the others as "未研判，转下次例会" with the case's status at
closing (in agenda order) — plus 记录人 and 审核人. `for_viewer(user, data)` drops the items of cases the viewer may
not see (the record is case content, DESIGN.md §7) and splits them into `reviewed_items` and `open_items`; it adds
the 督导组's opinions on the meeting with their answers (`opinions`, read live: 督导意见及答复).

Format 1 (meetings closed before every agenda item was recorded) has only reviewed items, no `reviewed` key and no
记录人/审核人; it is read as is: every item of it counts as reviewed (`is_reviewed`).
"""

from django.utils import timezone

from cases.models import Assignment, CaseEvent, EarlyWarning, Referral, ReferralKind, Tier
from cases.selectors import cases_visible_to

from . import agenda as agenda_module
from .models import AttendeeKind, FlagOverride, Meeting, Review
from .oversight_selectors import meeting_opinions

FORMAT_VERSION = 2
KIND_ORDER = {kind: i for i, kind in enumerate(AttendeeKind.values)}
NOT_REVIEWED = "未研判，转下次例会"


def meeting_place_name(meeting: Meeting) -> str:
    """嘉祥街道 / 嘉祥街道刘山村 / 嘉祥县."""
    division = meeting.division
    if meeting.tier == Tier.VILLAGE and division.parent_id:
        return f"{division.parent.short_name}{division.short_name}"
    return division.short_name


def meeting_title(meeting: Meeting) -> str:
    """E.g. "嘉祥街道2026年第48周平安周例会纪要"."""
    return f"{meeting_place_name(meeting)}{meeting.iso_year}年第{meeting.iso_week}周平安周例会纪要"


def _name(user):
    return (user.get_full_name() or user.username) if user else ""


def _date(value):
    return f"{value.year}年{value.month}月{value.day}日"


def _local(dt):
    return timezone.localtime(dt).strftime("%Y-%m-%d %H:%M") if dt else ""


def is_reviewed(item: dict) -> bool:
    return item.get("reviewed", True)  # format 1 recorded reviewed items only


def freeze(meeting: Meeting, agenda=None) -> dict:
    """The minutes as plain JSON: the meeting, its attendees, what was decided on each reviewed case and the status
    of each agenda item that was not reviewed. `agenda`: the one `close_meeting` checked (default: assembled now as
    the convener sees it — the draft of an open meeting)."""
    if agenda is None:
        agenda = agenda_module.assemble(meeting)
    reviews = list(
        Review.objects.filter(meeting=meeting).select_related("dispute__village", "decided_by").order_by("id")
    )
    ids = [r.dispute_id for r in reviews]
    on_agenda = {item.dispute.pk: item for _, _, items in agenda.sections for item in items}
    reviewed = set(ids)
    not_reviewed = [item for pk, item in on_agenda.items() if pk not in reviewed]
    assignments = {
        a.dispute_id: a for a in Assignment.objects.filter(meeting=meeting, dispute_id__in=ids)
        .select_related("lead_leader", "responsible_person", "responsible_unit").order_by("created_at", "id")
    }  # the last 四定 fixed at this meeting wins
    warnings = {w.dispute_id: w for w in EarlyWarning.objects.filter(meeting=meeting, dispute_id__in=ids).order_by(
        "raised_at", "id")}
    referrals = {r.dispute_id: r for r in Referral.objects.filter(meeting=meeting, dispute_id__in=ids)
                 .select_related("from_division", "to_division", "to_unit").order_by("created_at", "id")}
    actions = {}
    for e in CaseEvent.objects.filter(meeting=meeting, dispute_id__in=ids).order_by("at", "id"):
        actions.setdefault(e.dispute_id, []).append(e.get_kind_display())
    attendees = sorted(meeting.attendance.all(), key=lambda a: (KIND_ORDER.get(a.kind, 9), a.pk))
    overrides = FlagOverride.objects.filter(meeting=meeting).select_related("dispute", "rule", "by").order_by("id")
    return {
        "version": FORMAT_VERSION,
        "title": meeting_title(meeting),
        "tier": meeting.tier,
        "tier_label": meeting.get_tier_display(),
        "division": {"code": meeting.division_id, "name": meeting_place_name(meeting)},
        "iso_year": meeting.iso_year,
        "iso_week": meeting.iso_week,
        "date": meeting.held_on.isoformat(),
        "date_label": _date(meeting.held_on),
        "place": meeting.place,
        "form": meeting.form,
        "form_label": meeting.get_form_display(),
        "convener": _name(meeting.convener),
        "recorder": meeting.minutes_recorder,
        "checker": meeting.minutes_checker,
        "summary": meeting.summary,
        "opened_at": _local(meeting.opened_at),
        "closed_at": _local(meeting.closed_at),
        "attendees": [
            {"kind": a.kind, "kind_label": a.get_kind_display(), "name": a.name, "role_title": a.role_title,
             "unit": a.unit}
            for a in attendees
        ],
        "items": [
            *(_item(r, assignments.get(r.dispute_id), warnings.get(r.dispute_id), referrals.get(r.dispute_id),
                    actions.get(r.dispute_id, []), on_agenda.get(r.dispute_id)) for r in reviews),
            *(_not_reviewed(item) for item in not_reviewed),
        ],
        "overrides": [
            {"number": o.dispute.number, "title": o.dispute.title, "rule": o.rule.name, "reason": o.reason,
             "by": _name(o.by)}
            for o in overrides
        ],
    }


def _case(d, agenda_item) -> dict:
    """What the minutes say about the case itself, as it stands at closing."""
    return {
        "number": d.number,
        "title": d.title,
        "village": d.village.short_name,
        "category": d.get_category_display(),
        "risk": d.risk,
        "risk_label": d.get_risk_display(),
        "status": d.status,
        "status_label": d.get_status_display(),
        "tier_label": d.get_tier_display(),
        "deadline": timezone.localtime(d.deadline).strftime("%Y-%m-%d") if d.deadline else "",
        "reasons": agenda_item.reasons if agenda_item else [],
        "carried_over": bool(agenda_item and agenda_item.carried_over),
    }


def _not_reviewed(item) -> dict:
    return {
        **_case(item.dispute, item),
        "reviewed": False, "analysis": "", "decision": "", "decision_label": NOT_REVIEWED, "recorded_by": "",
        "actions": [], "assignment": None, "warning": None, "referral": None,
    }


def _item(review, assignment, warning, referral, actions, agenda_item) -> dict:
    return {
        **_case(review.dispute, agenda_item),
        "reviewed": True,
        "analysis": review.analysis,
        "decision": review.decision,
        "decision_label": review.get_decision_display(),
        "recorded_by": _name(review.decided_by),
        "actions": actions,
        "assignment": assignment and {
            "lead_leader": assignment.lead_leader.name,
            "unit": assignment.responsible_unit.name,
            "person": assignment.responsible_person.name,
            "deadline": timezone.localtime(assignment.deadline).strftime("%Y-%m-%d"),
            "measures": assignment.measures,
        },
        "warning": warning and {
            "level": warning.level,
            "level_label": warning.get_level_display(),
            "triggers": warning.trigger_labels(),
            "submitted_to": warning.get_submitted_to_display(),
            "reassess_on": warning.reassess_on.isoformat(),
        },
        "referral": referral and {
            "kind": referral.kind,
            "kind_label": referral.get_kind_display(),
            "to": referral.to_unit.name if referral.kind == ReferralKind.TRANSFER else referral.to_division.short_name,
            "from": referral.from_division.short_name,
            "reason": referral.reason,
        },
    }


def _opinions(data: dict) -> list[dict]:
    """督导意见及答复 of the meeting (live, not frozen: the convener may answer after closing), found by the meeting's
    division and week (one per division and week)."""
    division = (data.get("division") or {}).get("code")
    if not division:
        return []
    pk = Meeting.objects.filter(division_id=division, iso_year=data.get("iso_year"),
                                iso_week=data.get("iso_week")).values_list("pk", flat=True).first()
    return meeting_opinions(pk) if pk else []


def for_viewer(user, data: dict, *, whole: bool = True) -> dict:
    """The minutes with only the cases `user` may see (one query); `hidden` counts what was left out.

    `whole=False` (`cases.policy.sees_whole_meeting`: a responsible unit) is the reduced record: its own cases'
    items only — no place, summary or attendance, and not even how many other items there were (`reduced`)."""
    opinions = _opinions(data) if whole else []
    numbers = {i["number"] for i in data["items"]} | {o["number"] for o in data["overrides"]}
    numbers |= {o["number"] for o in opinions if o["number"]}
    visible = set()
    if numbers:
        visible = set(cases_visible_to(user).filter(number__in=numbers).values_list("number", flat=True))
    items = [i for i in data["items"] if i["number"] in visible]
    shown = {
        **data,
        "items": items,
        "reviewed_items": [i for i in items if is_reviewed(i)],
        "open_items": [i for i in items if not is_reviewed(i)],
        "overrides": [o for o in data["overrides"] if o["number"] in visible],
        "hidden": len(data["items"]) - len(items),
        "opinions": [o for o in opinions if not o["number"] or o["number"] in visible],
    }
    if not whole:
        shown.update(place="", form="", form_label="", summary="", attendees=[], hidden=0, reduced=True)
    return shown


