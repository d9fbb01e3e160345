"""Meeting pages. Thin: load through the access helper, validate a form, call a service, redirect.

Every meeting is loaded with `selectors.get_meeting_for_user` (outsiders 404, read-only roles 403 on writes); every
case with `cases.selectors.get_case_for_user`; the agenda comes from `agenda.assemble` only.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

import audit
from cases import policy
from cases.models import DutyKind, DutyLog, Tier
from cases.selectors import case_workflow_records, get_case_for_user, running_clocks
from core.errors import Refused, attempt
from core.pagination import paginate
from meetings import agenda, minutes, selectors, services
from meetings.forms import (
    AttendanceBulkForm,
    AttendanceForm,
    CloseMeetingForm,
    MeetingEditForm,
    OpenMeetingForm,
    OverrideForm,
    ReviewForm,
    error_summary,
)
from meetings.minutes_docx import build_docx
from meetings.models import Meeting, MeetingStatus

SIGN_SHEET_ROWS = 15  # rows on the printed 签到表 at least (one A4 page) …
SIGN_SHEET_SPARE = 5  # … and never fewer empty rows than this, for those who come unannounced


@login_required
@require_GET
def meeting_list(request):
    page = paginate(selectors.meeting_list(request.user), request.GET.get("page"))
    for m in page.rows:
        m.week = selectors.Week(m.iso_year, m.iso_week)
    position = policy.convening(request.user)
    this_week = None
    if position:
        this_week = selectors.meeting_of_week(position[1], selectors.Week.current())
    return render(request, "meetings/meeting_list.html", {
        "page": page, "can_open": position is not None, "this_week": this_week, "week": selectors.Week.current(),
    })


@login_required
@require_http_methods(["GET", "POST"])
def meeting_open(request):
    """召开本周例会 for the user's own division; if it is already open, go to it (no duplicate)."""
    position = policy.convening(request.user)
    if position is None:
        raise PermissionDenied("您的角色不召开平安周例会。")
    tier, division = position
    existing = selectors.meeting_of_week(division, selectors.Week.current())
    if existing:
        messages.info(request, "本周例会已召开，已为您打开。")
        return redirect(existing)
    form = OpenMeetingForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            meeting, created = services.open_meeting(actor=request.user, **form.cleaned_data)
        except Refused as e:
            form.add_error(None, str(e))
        else:
            messages.success(request, "已召开本周例会，议程已自动生成。" if created else "本周例会已召开，已为您打开。")
            return redirect(meeting)
    return render(request, "meetings/meeting_open.html", {
        "form": form, "division": division, "tier_label": Tier(tier).label,
        "week": selectors.Week.current(),
    })


@login_required
@require_GET
def meeting_detail(request, pk):
    meeting = selectors.get_meeting_for_user(request.user, pk)
    return _render_detail(request, meeting)


def _render_detail(request, meeting, *, bound=None, status=200, **forms):
    """The meeting page: an open meeting shows its agenda; a closed one its frozen minutes.

    The agenda lists every item with its reasons, flags and saved review; the review form opens on the same page
    for one item at a time (`?review=<case id>`, or `bound` = (case id, bound ReviewForm) to re-show one with its
    errors) — a town agenda of 200 items with 200 full forms would be megabytes no phone can use."""
    user = request.user
    can_write = policy.can_write_meeting(user, meeting)
    whole = policy.sees_whole_meeting(user, meeting)  # a unit: only its own cases' items, no place/summary/attendance
    context = {
        "meeting": meeting, "can_write": can_write, "sees_whole": whole,
        "heading": f"{minutes.meeting_place_name(meeting)}{meeting.iso_year}年第{meeting.iso_week}周平安周例会",
        "attendees": list(meeting.attendance.all()) if whole else [],
        "week": selectors.Week(meeting.iso_year, meeting.iso_week),
    }
    if meeting.status == MeetingStatus.CLOSED:
        context["minutes"] = minutes.for_viewer(user, meeting.minutes or {"items": [], "overrides": []}, whole=whole)
        return render(request, "meetings/meeting_detail.html", context, status=status)
    ag = agenda.assemble(meeting, user=user)
    if can_write:
        open_pk, form = bound or (_int(request.GET.get("review")), None)
        item = ag.item_for(open_pk) if open_pk else None
        if item is not None:
            item.review_form = form or _review_form(user, meeting, item, selectors.review_choices(meeting))
            item.review_errors = error_summary(item.review_form, anchor="#review-form") if form else []
        context.update({
            "open_item": item,
            "first_to_review": (ag.unreviewed or ag.listed or [None])[0],
            "attendance_form": forms.get("attendance_form") or AttendanceForm(),
            "bulk_form": forms.get("bulk_form") or AttendanceBulkForm(
                people=selectors.division_people(meeting), auto_id="bulk_%s"),
            "edit_form": forms.get("edit_form") or MeetingEditForm(instance=meeting),
            "close_form": forms.get("close_form") or CloseMeetingForm(
                attendees=context["attendees"], convener_id=meeting.convener_id),
        })
    context["agenda"] = ag
    return render(request, "meetings/meeting_detail.html", context, status=status)


def _closed(request, meeting):
    """Writes to a closed meeting go back to it with the reason (the services refuse them too)."""
    if meeting.status == MeetingStatus.OPEN:
        return None
    messages.error(request, "本次例会已闭会，会议记录不能再修改。")
    return redirect(meeting)


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _review_form(user, meeting, item, choices, data=None, *, feedback_logged=None):
    """The item's review form, offering only the decisions the case can take now. `feedback_logged` (a 包反馈 is
    recorded) comes from the caller's records; unknown, it costs one query, only for a town case."""
    d = item.dispute
    allowed = services.allowed_actions(user, d, item.pending_referral)
    if feedback_logged is None:
        feedback_logged = d.tier != Tier.TOWN or "resolve" not in allowed or DutyLog.objects.filter(
            dispute=d, kind=DutyKind.FEEDBACK).exists()
    refused = services.decision_refusals(meeting, d, allowed, feedback_logged=feedback_logged)
    current = item.review.decision if item.review else None
    initial = {"analysis": item.review.analysis} if item.review else {}
    return ReviewForm(
        data, decisions=services.available_decisions(meeting, allowed, refused), current=current, choices=choices,
        tier=meeting.tier, suggested_triggers=item.suggested_triggers, initial=initial, refused=refused,
        auto_id=f"r{d.pk}_%s",
    )


def _item_url(meeting, dispute_pk=None, *, open_form=False):
    if not dispute_pk:
        return meeting.get_absolute_url()
    return meeting.get_absolute_url() + (f"?review={dispute_pk}" if open_form else "") + f"#item-{dispute_pk}"


@login_required
@require_POST
def meeting_edit(request, pk):
    meeting = selectors.get_meeting_for_user(request.user, pk, write=True)
    if closed := _closed(request, meeting):
        return closed
    form = MeetingEditForm(request.POST, instance=Meeting(pk=meeting.pk))
    if form.is_valid():
        try:
            services.update_meeting(actor=request.user, meeting=meeting, **form.cleaned_data)
        except Refused as e:
            form.add_error(None, str(e))
        else:
            messages.success(request, "已保存会议信息。")
            return redirect(meeting)
    return _render_detail(request, meeting, edit_form=form)


@login_required
@require_POST
def attendance_add(request, pk):
    meeting = selectors.get_meeting_for_user(request.user, pk, write=True)
    if closed := _closed(request, meeting):
        return closed
    form = AttendanceForm(request.POST)
    if form.is_valid():
        try:
            services.add_attendee(actor=request.user, meeting=meeting, **form.cleaned_data)
        except Refused as e:
            form.add_error(None, str(e))
        else:
            messages.success(request, f"已登记参会人员：{form.cleaned_data['name']}。")
            return redirect(meeting.get_absolute_url() + "#attendance")
    return _render_detail(request, meeting, attendance_form=form)


@login_required
@require_POST
def attendance_bulk(request, pk):
    """Several attendees in one submit: people of the division's directory ticked, anyone else one a line."""
    meeting = selectors.get_meeting_for_user(request.user, pk, write=True)
    if closed := _closed(request, meeting):
        return closed
    form = AttendanceBulkForm(request.POST, people=selectors.division_people(meeting), auto_id="bulk_%s")
    if form.is_valid():
        added = attempt(form, services.add_attendees, actor=request.user, meeting=meeting,
                        person_ids=form.cleaned_data["people"], guests=form.cleaned_data["guests"],
                        guest_kind=form.cleaned_data["guest_kind"])
        if added is not None:
            messages.success(request, f"已登记参会人员{len(added)}名：{'、'.join(a.name for a in added)}。")
            return redirect(meeting.get_absolute_url() + "#attendance")
    return _render_detail(request, meeting, bulk_form=form)


@login_required
@require_POST
def attendance_remove(request, pk, attendance_id):
    meeting = selectors.get_meeting_for_user(request.user, pk, write=True)
    if closed := _closed(request, meeting):
        return closed
    if request.POST.get("confirm") != "on":
        messages.error(request, "请勾选“确认移除”后再提交：移除后不能撤销，需要重新登记。")
        return redirect(meeting.get_absolute_url() + "#attendance")
    try:
        services.remove_attendee(actor=request.user, meeting=meeting, attendance_id=attendance_id)
    except Refused as e:
        messages.error(request, str(e))
    else:
        messages.success(request, "已移除该参会人员。")
    return redirect(meeting.get_absolute_url() + "#attendance")


@login_required
@require_POST
def review(request, pk, number):
    """研判: save the Review and carry out its decision (one transaction); a refusal shows on the item's form."""
    meeting = selectors.get_meeting_for_user(request.user, pk, write=True)
    dispute = get_case_for_user(request.user, number)
    if closed := _closed(request, meeting):
        return closed
    ag = agenda.assemble(meeting, user=request.user)
    item = ag.item_for(dispute.pk)
    if item is None:
        messages.error(request, f"{dispute.number} 不在本次例会的议程中。")
        return redirect(meeting)
    form = _review_form(request.user, meeting, item, selectors.review_choices(meeting), data=request.POST)
    if form.is_valid():
        try:
            services.record_review(
                actor=request.user, meeting=meeting, dispute=dispute, analysis=form.cleaned_data["analysis"],
                decision=form.cleaned_data["decision"], **form.details(),
            )
        except Refused as e:
            form.add_error(None, str(e))
        else:
            messages.success(request, f"已记录对 {dispute.number} 的研判。")
            following = ag.next_unreviewed(after=dispute.pk)  # the meeting moves on to the next item
            if following is not None:
                return redirect(_item_url(meeting, following.dispute.pk, open_form=True))
            return redirect(_item_url(meeting, dispute.pk))
    return _render_detail(request, meeting, bound=(dispute.pk, form))


LAST_EVENTS = 5  # the item page shows the case's latest timeline rows; the case page has them all


@login_required
@require_http_methods(["GET", "POST"])
def meeting_item(request, pk, number):
    """One agenda item as the meeting works it: the case summary (description, masked parties, the last events,
    every running clock) beside the review form; "保存并下一项" goes on to the next item not yet reviewed.
    Read-only roles see the summary without the form. A fixed number of queries, whatever the agenda's size."""
    writing = request.method == "POST"
    meeting = selectors.get_meeting_for_user(request.user, pk, write=writing)
    dispute = get_case_for_user(request.user, number)
    if meeting.status != MeetingStatus.OPEN:
        if writing:
            return _closed(request, meeting)
        messages.info(request, "本次例会已闭会，研判事项见会议纪要。")
        return redirect(meeting)
    ag = agenda.assemble(meeting, user=request.user)
    item = ag.item_for(dispute.pk)
    if item is None:
        messages.error(request, f"{dispute.number} 不在本次例会的议程中。")
        return redirect(meeting)
    d = item.dispute
    records = case_workflow_records(d)
    form = None
    if policy.can_write_meeting(request.user, meeting):
        form = _review_form(request.user, meeting, item, selectors.review_choices(meeting),
                            data=request.POST if writing else None,
                            feedback_logged=any(log.kind == DutyKind.FEEDBACK for log in records["duty_logs"]))
    if writing and form.is_valid() and attempt(
        form, services.record_review, actor=request.user, meeting=meeting, dispute=d,
        analysis=form.cleaned_data["analysis"], decision=form.cleaned_data["decision"], **form.details(),
    ) is not None:
        messages.success(request, f"已记录对 {d.number} 的研判。")
        if request.POST.get("then") != "next":
            return redirect("meetings:item", meeting.pk, d.number)
        following = ag.next_to_review(after=d.pk)
        if following is not None:
            return redirect("meetings:item", meeting.pk, following.dispute.number)
        left = [i for i in ag.unreviewed if i.dispute.pk != d.pk]
        messages.info(request, f"已是议程最后一项，还有 {len(left)} 件未研判：{'、'.join(i.dispute.number for i in left)}。"
                      if left else "议程上的案件均已研判，可以闭会。")
        return redirect(meeting.get_absolute_url() + ("#agenda" if left else "#close"))
    position, before, after = ag.neighbours(d.pk)
    return render(request, "meetings/meeting_item.html", {
        "meeting": meeting, "item": item, "d": d, "form": form, "records": records,
        "errors": error_summary(form, anchor="#review-form") if writing else [],
        "parties": list(d.parties.all()), "clocks": running_clocks(d, records),
        "events": list(d.events.select_related("actor").order_by("-at", "-id")[:LAST_EVENTS]),
        "position": position, "total": len(ag.items), "before": before, "after": after,
        "assignment": next((a for a in records["assignments"] if a.active), None),
        "week": selectors.Week(meeting.iso_year, meeting.iso_week),
    }, status=200)


@login_required
@require_GET
def meeting_table(request, pk):
    """The agenda as one table for the projector (≥ 1366 px): number, title, village, risk, status, clocks and the
    decision so far. A closed meeting: its frozen minutes' items. Fixed queries (three prefetches for the clocks)."""
    meeting = selectors.get_meeting_for_user(request.user, pk)
    whole = policy.sees_whole_meeting(request.user, meeting)
    if meeting.status == MeetingStatus.CLOSED:
        data = minutes.for_viewer(request.user, meeting.minutes or {"items": [], "overrides": []}, whole=whole)
        rows = [{"number": i.get("number"), "title": i.get("title"), "village": i.get("village"),
                 "risk": i.get("risk"), "risk_label": i.get("risk_label"), "status_label": i.get("status_label"),
                 "reasons": i.get("reasons") or [], "decision": i.get("decision_label"), "clocks": []}
                for i in [*data["reviewed_items"], *data["open_items"]]]
    else:
        ag = agenda.assemble(meeting, user=request.user)
        rows = [{"number": it.dispute.number, "title": it.dispute.title, "village": it.dispute.village.short_name,
                 "risk": it.dispute.risk, "risk_label": it.dispute.get_risk_display(),
                 "status_label": it.dispute.get_status_display(), "reasons": it.reasons, "clocks": clocks,
                 "decision": it.review.get_decision_display() if it.review else "",
                 "url": reverse("meetings:item", args=[meeting.pk, it.dispute.number])}
                for it, clocks in agenda.clocks_of(ag.listed)]
    return render(request, "meetings/meeting_table.html", {
        "meeting": meeting, "rows": rows, "week": selectors.Week(meeting.iso_year, meeting.iso_week),
        "heading": f"{minutes.meeting_place_name(meeting)}{meeting.iso_year}年第{meeting.iso_week}周平安周例会",
        "reviewed": sum(bool(r["decision"]) for r in rows) if meeting.status == MeetingStatus.OPEN else None,
    })


@login_required
@require_POST
def override(request, pk, number):
    """A rule flag the meeting decides not to act on, with the reason."""
    meeting = selectors.get_meeting_for_user(request.user, pk, write=True)
    if closed := _closed(request, meeting):
        return closed
    dispute = get_case_for_user(request.user, number)
    form = OverrideForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写不予处理的理由。")
        return redirect(_item_url(meeting, dispute.pk))
    try:
        services.override_flag(actor=request.user, meeting=meeting, dispute=dispute,
                               rule_id=form.cleaned_data["rule_id"], reason=form.cleaned_data["reason"])
    except Refused as e:
        messages.error(request, str(e))
    else:
        messages.success(request, f"已记录 {dispute.number} 的不予处理理由。")
    return redirect(_item_url(meeting, dispute.pk))


@login_required
@require_POST
def close(request, pk):
    """闭会: 记录人, 审核人 and the confirmation box; a refusal (missing choice, unhandled flags) shows on the form."""
    meeting = selectors.get_meeting_for_user(request.user, pk, write=True)
    if closed := _closed(request, meeting):
        return closed
    form = CloseMeetingForm(request.POST, attendees=list(meeting.attendance.all()), convener_id=meeting.convener_id)
    if form.is_valid() and attempt(form, services.close_meeting, actor=request.user, meeting=meeting,
                                   recorder_id=form.cleaned_data["recorder"],
                                   checker_id=form.cleaned_data["checker"]):
        messages.success(request, "已闭会，会议纪要已生成。")
        return redirect(meeting)
    return _render_detail(request, meeting, close_form=form)


def _minutes_data(user, meeting):
    if meeting.status == MeetingStatus.CLOSED and meeting.minutes:
        data = meeting.minutes
    else:
        data = {**minutes.freeze(meeting), "draft": True}
    return minutes.for_viewer(user, data, whole=policy.sees_whole_meeting(user, meeting))


@login_required
@require_GET
def minutes_print(request, pk):
    meeting = selectors.get_meeting_for_user(request.user, pk)
    return render(request, "meetings/minutes_print.html", {
        "meeting": meeting, "minutes": _minutes_data(request.user, meeting),
    })


@login_required
@require_GET
def minutes_docx(request, pk):
    meeting = selectors.get_meeting_for_user(request.user, pk)
    data = _minutes_data(request.user, meeting)
    audit.record(request, action="export", obj=meeting, label=data["title"][:200],
                 detail=f"导出会议纪要（Word），{len(data['items'])}件研判事项")
    return HttpResponse(
        build_docx(data),
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        headers={"Content-Disposition": content_disposition_header(True, f"{data['title']}.docx")},
    )


@login_required
@require_GET
def sign_sheet(request, pk):
    """签到表: the attendees recorded so far and empty rows to sign on paper (print page, A4). Same visibility as the
    minutes; a responsible unit, which does not see the attendance, gets the empty sheet."""
    meeting = selectors.get_meeting_for_user(request.user, pk)
    whole = policy.sees_whole_meeting(request.user, meeting)
    attendees = sorted(meeting.attendance.all(), key=lambda a: (minutes.KIND_ORDER.get(a.kind, 9), a.pk)) if whole \
        else []
    blank = max(SIGN_SHEET_ROWS - len(attendees), SIGN_SHEET_SPARE)
    return render(request, "meetings/sign_sheet.html", {
        "meeting": meeting, "sees_whole": whole, "attendees": attendees,
        "title": f"{minutes.meeting_place_name(meeting)}{meeting.iso_year}年第{meeting.iso_week}周平安周例会签到表",
        "blank_rows": range(len(attendees) + 1, len(attendees) + blank + 1),
    })


@login_required
@require_GET
def compliance(request):
    """本周例会召开情况: ?week=2026-W48; a bad week falls back to this week with a message (never an error page)."""
    week, bad_week = selectors.Week.current(), False
    if request.GET.get("week"):
        parsed = selectors.parse_week(request.GET["week"])
        week, bad_week = (parsed, False) if parsed else (week, True)
    data = selectors.compliance_for(request.user, week)
    return render(request, "meetings/compliance.html", {
        "data": data, "week": week, "bad_week": bad_week, "previous": week.shift(-1), "next": week.shift(1),
        "is_current": week == selectors.Week.current(),
    })
