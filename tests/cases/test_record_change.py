"""Every public service that changes a case writes exactly one timeline row and one audit row per call
(`cases.services.record_change`), and every meeting service writes one audit row about the meeting.

The walk is exhaustive: a service added to `cases.services.__all__` or `meetings.services` without a scenario
here fails `test_every_public_service_is_walked`.
"""

import datetime
import inspect

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from audit.models import AuditEntry
from cases import services
from cases.models import CaseEvent, Dispute, EscalationRule, Status, Supervision
from cases.rules.deadlines import end_of_day
from core.uploads import inspect_upload
from meetings import services as meeting_services
from org.models import Role, Unit
from tests.conftest import COUNTY, TOWN_X, VILLAGE_A

TODAY = timezone.localdate
# Not case-changing services: helpers, exception types, the sweep (a loop over the services below).
NOT_SERVICES = {"CaseConflict", "RevealLimitExceeded", "record_change", "sweep"}
CASE_AUDIT = ("case_write", "pii_view")


def counts(case):
    return (CaseEvent.objects.filter(dispute=case).count(),
            AuditEntry.objects.filter(action__in=CASE_AUDIT, object_label=case.number).count())


def once(case, call):
    """Run `call` and assert it added exactly one timeline row and one audit row about `case`."""
    events, audits = counts(case)
    result = call()
    assert counts(case) == (events + 1, audits + 1), call
    return result


@pytest.fixture
def cast(make_user, secretary_a, town_x, county_user, unit_user):
    staff = make_user(Role.TOWN_STAFF, TOWN_X, username="staff_x")
    return {"sec": secretary_a, "town": town_x, "staff": staff, "county": county_user, "unit": unit_user}


def _png():
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (4, 4), (10, 20, 30)).save(out, "PNG")
    return out.getvalue()


def walk(make_case, cast, settings, tmp_path):
    """One scenario per service, each call checked by `once`; returns the names walked."""
    settings.ATTACHMENT_ROOT = tmp_path
    sec, town, staff, county = cast["sec"], cast["town"], cast["staff"], cast["county"]
    walked = set()

    def do(name, case, **kwargs):
        walked.add(name)
        return once(case, lambda: getattr(services, name)(**kwargs))

    walked.add("create_dispute")
    events_before = CaseEvent.objects.count()
    audits_before = AuditEntry.objects.filter(action="case_write").count()
    case = make_case(sec, VILLAGE_A)
    assert (CaseEvent.objects.count(), AuditEntry.objects.filter(action="case_write").count()) == (
        events_before + 1, audits_before + 1)
    # The Excel import registers each row like create_dispute (one 登记 row and one audit row per case), plus one
    # `import` audit row for the batch.
    walked.add("import_cases")
    from tests.conftest import DISPUTE_FIELDS, party_row

    imported = AuditEntry.objects.filter(action="import").count()
    row = {"village": case.village, "fields": {**DISPUTE_FIELDS, "arose_on": TODAY()}, "parties": [party_row()]}
    batch = services.import_cases(actor=sec, rows=[row, row], file_name="排查.xlsx")
    assert [counts(c) for c in batch] == [(1, 1), (1, 1)]
    assert AuditEntry.objects.filter(action="import").count() == imported + 1

    do("update_dispute", case, actor=sec, dispute=case, version=case.version,
       fields={"title": "改过的标题", "people_involved": 3}, risk="yellow", risk_reason="双方情绪激动")
    stale = Dispute.objects.get(pk=case.pk).version - 1
    do("record_edit_conflict", case, actor=sec, dispute=case, version=stale, fields={"title": "旧版本上的修改"},
       risk="yellow")
    party = case.parties.first()
    do("reveal_party_pii", case, actor=sec, party=party, reason="电话联系当事人安排调解")
    clean = inspect_upload(SimpleUploadedFile("现场.png", _png()))
    do("store_attachment", case, actor=sec, dispute=case, kind="photo", clean=clean)
    do("start_handling", case, actor=sec, dispute=case)
    do("refer_up", case, actor=sec, dispute=case, reason="多次调解未果")
    do("return_referral", case, actor=town, dispute=case, reason="请村里先组织调解")
    do("refer_up", case, actor=sec, dispute=case, reason="再次调解未果")
    do("accept_referral", case, actor=town, dispute=case, note="镇街签收")
    unit = Unit.objects.get(name="嘉祥街道司法所")
    do("fix_assignment", case, actor=town, dispute=case, lead_leader=town, responsible_unit=unit,
       responsible_person=staff, measures="司法所牵头调解")
    do("record_duty", case, actor=staff, dispute=case, kind="feedback", on_date=TODAY(), text="已反馈调解进展")
    warning = do("raise_warning", case, actor=town, dispute=case, level="orange", triggers=["intensify"],
                 reasons="双方多次冲突", submitted_to="town_joint", reassess_on=TODAY() + datetime.timedelta(days=3))
    do("reassess_warning", case, actor=town, dispute=case, warning_id=warning.pk, level="yellow",
       reassess_on=TODAY() + datetime.timedelta(days=7), note="情绪缓和")
    to_county = do("raise_warning", case, actor=town, dispute=case, level="red", triggers=["group_petition"],
                   reasons="二十余户联名，可能集体上访", submitted_to="county",
                   reassess_on=TODAY() + datetime.timedelta(days=1))
    do("sign_warning", case, actor=county, dispute=case, warning_id=to_county.pk)
    do("answer_warning", case, actor=county, dispute=case, warning_id=to_county.pk, reply="请镇街主要领导包案")
    do("close_warning", case, actor=town, dispute=case, warning_id=to_county.pk, note="已化解")
    do("close_warning", case, actor=town, dispute=case, warning_id=warning.pk, note="已和解")
    do("transfer_to_unit", case, actor=town, dispute=case, unit=unit, reason="由司法所专门调解")
    # 人民调解卷宗 (issue 12): mediators, a change request, a session, the agreement, its performance, 司法确认.
    from cases.models import Mediator
    from org.people import person_for

    mediator = Mediator.objects.create(person=person_for(town), committee_division_id=TOWN_X, kind="full_time")
    other_mediator = Mediator.objects.create(person=person_for(staff), committee_division_id=TOWN_X, kind="part_time")
    do("name_mediators", case, actor=town, dispute=case, lead=mediator)
    do("request_mediator_change", case, actor=town, dispute=case, party=party, mediator=mediator, reason="要求回避",
       requested_on=TODAY(), replacement=other_mediator)
    do("record_session", case, actor=town, dispute=case, held_on=TODAY(), place="司法所", form="on_site",
       mediators=[other_mediator], attendees="双方当事人", record="双方同意和解。")
    agreement = do("record_agreement", case, actor=town, dispute=case, form="written", facts="排水争执",
                   terms="改排水沟", performance_manner="自行改造", performance_deadline=TODAY(), effective_on=TODAY())
    do("resolve", case, actor=town, dispute=case, outcome="success", note="达成书面协议")
    do("record_performance", case, actor=town, dispute=case, agreement=agreement, performance="performed",
       on_date=TODAY())
    do("record_confirmation", case, actor=town, dispute=case, agreement=agreement, court="嘉祥县人民法院",
       applied_on=TODAY())
    do("record_visit", case, actor=town, dispute=case, visited_on=TODAY(), agreement_kept=True,
       satisfaction="satisfied", relapse_signs=False)
    do("close_case", case, actor=town, dispute=case)
    do("mark_typical", case, actor=town, dispute=case, title="张某与李某排水纠纷", summary="张某与李某因排水争执，经调解和好。",
       self_gov_tags=["self"], method_tags=["on_site"])
    do("withdraw_typical", case, actor=town, dispute=case, reason="不够典型")
    do("reopen", case, actor=town, dispute=case, reason="排水问题再起争执")

    # A unit's side of a transfer, at the county.
    unit_case = make_case(sec, VILLAGE_A, title="移交单位的", tier="county", status="in_progress")
    centre, unit_staff = cast["county"], cast["unit"]
    committee = Unit.objects.get(name="县涉土纠纷人民调解委员会")
    do("transfer_to_unit", unit_case, actor=centre, dispute=unit_case, unit=committee, reason="涉土专业调解")
    do("return_transfer", unit_case, actor=unit_staff, dispute=unit_case, reason="属林权纠纷，建议交林业局")
    do("transfer_to_unit", unit_case, actor=centre, dispute=unit_case, unit=committee, reason="已核实属涉土纠纷")
    do("accept_transfer", unit_case, actor=unit_staff, dispute=unit_case)
    do("file_feedback", unit_case, actor=unit_staff, dispute=unit_case, outcome="success", text="签订调解协议")
    do("review_feedback", unit_case, actor=centre, dispute=unit_case, accept=True)
    # An extension, asked by the village and decided by its town.
    ext_case = make_case(sec, VILLAGE_A, title="申请延期的", status="in_progress")
    do("request_extension", ext_case, actor=sec, dispute=ext_case, reason="当事人外出务工")
    do("decide_extension", ext_case, actor=town, dispute=ext_case, approve=True)

    other = make_case(sec, VILLAGE_A, title="不予受理的")
    do("reject", other, actor=sec, dispute=other, reason="已起诉至法院")

    # The sweep's services, on an overdue case at the town.
    late = make_case(sec, VILLAGE_A, title="逾期的")
    services.start_handling(actor=sec, dispute=late)
    services.refer_up(actor=sec, dispute=late, reason="逾期")
    services.accept_referral(actor=town, dispute=late)
    missed = end_of_day(TODAY() - datetime.timedelta(days=2))
    Dispute.objects.filter(pk=late.pk).update(deadline=missed)  # the clock ran out (time is not a service)
    actor = services.supervision.system_actor()
    now = timezone.now()
    soon = end_of_day(TODAY() + datetime.timedelta(days=1))
    Dispute.objects.filter(pk=other.pk).update(deadline=soon, status=Status.IN_PROGRESS)
    do("mark_due_soon", other, case_id=other.pk, deadline=soon, actor=actor, now=now)
    do("mark_overdue", late, case_id=late.pk, deadline=missed, actor=actor, now=now)
    supervision = do("open_supervision", late, case_id=late.pk, deadline=missed, actor=actor, now=now)
    Supervision.objects.filter(pk=supervision.pk).update(due_at=now - datetime.timedelta(hours=1))
    supervision.refresh_from_db()
    do("escalate_supervision", late, supervision=supervision, actor=actor, now=now)
    unanswered = services.raise_warning(actor=cast["county"], dispute=late, level="red", triggers=["extreme"],
                                        reasons="扬言极端行为", submitted_to="town_joint",
                                        reassess_on=TODAY() + datetime.timedelta(days=1))
    do("mark_warning_overdue", late, warning_id=unanswered.pk, actor=actor,
       now=unanswered.respond_by + datetime.timedelta(minutes=1))
    late.refresh_from_db()
    assert late.tier == "county" and late.holder_division_id == COUNTY

    again = make_case(sec, VILLAGE_A, title="督办办结的")
    services.start_handling(actor=sec, dispute=again)
    Dispute.objects.filter(pk=again.pk).update(deadline=missed)
    services.mark_overdue(case_id=again.pk, deadline=missed, actor=actor, now=now)
    opened = services.open_supervision(case_id=again.pk, deadline=missed, actor=actor, now=now)
    discipline = cast["discipline"] = _discipline(county)
    # The 纪委's work on the supervision (issue 11 point 2): each one timeline row and one audit row.
    do("remind_supervision", again, actor=discipline, supervision=opened, text="请本周内提出调处方案")
    notice = do("issue_supervision_notice", again, actor=discipline, supervision=opened, text="限期化解")
    do("record_supervision_reply", again, actor=discipline, supervision=opened, replier="责任人", text="已约见双方",
       notice=notice)
    do("record_supervision_measure", again, actor=discipline, supervision=opened, kind="interview", text="约谈包案领导")
    do("close_supervision", again, actor=discipline, supervision=opened, note="已约谈，限期办结")
    return walked


def _discipline(county_user):
    from django.contrib.auth import get_user_model

    from org.models import Membership

    user = get_user_model().objects.create_user("jw_x", password="x")
    Membership.objects.create(user=user, division_id=TOWN_X, role=Role.DISCIPLINE)
    return user


@pytest.mark.django_db
def test_every_case_service_writes_one_timeline_row_and_one_audit_row(make_case, cast, settings, tmp_path):
    walk(make_case, cast, settings, tmp_path)


@pytest.mark.django_db
def test_every_public_service_is_walked(make_case, cast, settings, tmp_path):
    public = {name for name in services.__all__ if name not in NOT_SERVICES}
    assert walk(make_case, cast, settings, tmp_path) == public


def meeting_audits():
    return AuditEntry.objects.filter(action="meeting_write").count()


@pytest.mark.django_db
def test_every_meeting_service_writes_one_audit_row(make_case, cast):
    town = cast["town"]
    public = {name for name, fn in inspect.getmembers(meeting_services, inspect.isfunction)
              if fn.__module__ == meeting_services.__name__ and not name.startswith("_")
              and "actor" in inspect.signature(fn).parameters}
    walked = set()

    def do(service, **kwargs):
        walked.add(service)
        before = meeting_audits()
        result = getattr(meeting_services, service)(actor=town, **kwargs)
        assert meeting_audits() == before + 1, service
        return result

    meeting, _ = do("open_meeting", held_on=TODAY(), place="会议室", form="room")
    do("update_meeting", meeting=meeting, held_on=TODAY(), place="综治中心", form="room", summary="研判本周纠纷")
    guest = do("add_attendee", meeting=meeting, kind="guest", name="王律师", role_title="村法律顾问")
    do("remove_attendee", meeting=meeting, attendance_id=guest.pk)
    do("add_attendees", meeting=meeting, guests=[("张秀英", "五老", "刘山村")])  # several at once: one audit row
    case = make_case(cast["sec"], VILLAGE_A, title="例会研判的")
    services.refer_up(actor=cast["sec"], dispute=case, reason="请镇街研判")
    services.accept_referral(actor=town, dispute=case)
    do("record_review", meeting=meeting, dispute=case, analysis="继续跟踪", decision="continue")
    EscalationRule.objects.update(active=False)  # only the rule below flags the case
    rule = EscalationRule.objects.create(name="测试规则", action="raise_warning", warning_trigger="intensify",
                                         within_workdays=1, tier="town")
    do("override_flag", meeting=meeting, dispute=case, rule_id=rule.pk, reason="当事人情绪稳定，暂不预警")
    recorder = meeting_services.add_attendee(actor=town, meeting=meeting, kind="member", name="李记录")
    do("close_meeting", meeting=meeting, recorder_id=recorder.pk, checker_id=meeting.attendance.get(user=town).pk)
    assert walked == public
