"""Meeting services: opening (no duplicates), reviews that carry out their decision in the same transaction, rule
flags that must be acted on or overridden before closing, frozen minutes."""

import datetime

import pytest
from django.utils import timezone

from cases import services as case_services
from cases.models import (
    Assignment,
    CaseEvent,
    Dispute,
    DutyLog,
    EarlyWarning,
    EventKind,
    Referral,
    ReferralStatus,
    Status,
    Tier,
)
from core.errors import Refused
from meetings import services
from meetings.models import (
    Attendance,
    Decision,
    FlagOverride,
    Meeting,
    MeetingStatus,
    Review,
)
from org.models import Role, Unit
from tests.conftest import COUNTY, TOWN_X, VILLAGE_A, VILLAGE_B
from tests.meetings import DAY, close, no_rules, open_meeting, rule

TODAY = timezone.localdate


def state(case):
    case = Dispute.objects.get(pk=case.pk)
    return (case.status, case.tier, case.holder_division_id, case.holder_unit_id, case.version,
            CaseEvent.objects.filter(dispute=case).count(), Referral.objects.filter(dispute=case).count(),
            Assignment.objects.filter(dispute=case).count(), EarlyWarning.objects.filter(dispute=case).count(),
            Review.objects.filter(dispute=case).count())


def refused(match, case, **kwargs):
    before = state(case)
    with pytest.raises(Refused, match=match):
        services.record_review(dispute=case, **kwargs)
    assert state(case) == before


@pytest.fixture
def referred_to_town(make_case, secretary_a):
    no_rules()
    case = make_case(secretary_a, VILLAGE_A, title="刘山村提请的土地纠纷")
    case_services.refer_up(actor=secretary_a, dispute=case, reason="多次调解未果")
    return case


# --- opening ---------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_each_tier_role_opens_its_own_divisions_meeting(secretary_a, make_user, town_x, county_user):
    grid = make_user(Role.GRID_WORKER, VILLAGE_A)
    staff = make_user(Role.TOWN_STAFF, TOWN_X)
    village = open_meeting(secretary_a)
    assert (village.tier, village.division_id) == (Tier.VILLAGE, VILLAGE_A)
    assert open_meeting(grid) == village  # same division, same week: the existing meeting
    town = open_meeting(staff)
    assert (town.tier, town.division_id, town.convener) == (Tier.TOWN, TOWN_X, staff)
    assert open_meeting(town_x) == town
    county = open_meeting(county_user)
    assert (county.tier, county.division_id) == (Tier.COUNTY, COUNTY)
    assert Meeting.objects.count() == 3
    iso = TODAY().isocalendar()
    assert (village.iso_year, village.iso_week) == (iso.year, iso.week)
    assert Attendance.objects.filter(meeting=town, user=staff, kind="member").exists()


@pytest.mark.django_db
def test_opening_refuses_other_roles_and_dates_outside_this_week(make_user, secretary_a):
    for role, code in ((Role.SUPERVISOR, COUNTY), (Role.DISCIPLINE, TOWN_X), (Role.AUDITOR, COUNTY),
                       (Role.UNIT_STAFF, COUNTY)):
        unit = "县涉土纠纷人民调解委员会" if role == Role.UNIT_STAFF else None
        with pytest.raises(Refused, match="不召开"):
            open_meeting(make_user(role, code, unit_name=unit))
    with pytest.raises(Refused, match="本周"):
        open_meeting(secretary_a, held_on=TODAY() - 7 * DAY)
    with pytest.raises(Refused, match="本周"):
        open_meeting(secretary_a, held_on=TODAY() + DAY)
    with pytest.raises(Refused, match="地点"):
        open_meeting(secretary_a, place="  ")
    assert not Meeting.objects.exists()


@pytest.mark.django_db
def test_opening_race_returns_the_winners_meeting(secretary_a, make_user, monkeypatch):
    """Two secretaries press 召开 at once: both miss the existence check; the unique constraint decides."""
    winner = open_meeting(secretary_a)
    monkeypatch.setattr(services, "meeting_of_week", lambda division, week: None)
    grid = make_user(Role.GRID_WORKER, VILLAGE_A)
    meeting, created = services.open_meeting(actor=grid, held_on=TODAY(), place="村委", form="room")
    assert meeting == winner and not created
    assert Meeting.objects.count() == 1 and Attendance.objects.filter(meeting=winner).count() == 1


@pytest.mark.django_db
def test_attendance_and_meeting_info_are_editable_while_open_only(secretary_a, secretary_b):
    meeting = open_meeting(secretary_a)
    guest = services.add_attendee(actor=secretary_a, meeting=meeting, kind="guest", name="王律师",
                                  role_title="村法律顾问")
    services.add_attendee(actor=secretary_a, meeting=meeting, kind="observer", name="李督导", unit="县第一督导组")
    services.remove_attendee(actor=secretary_a, meeting=meeting, attendance_id=guest.pk)
    assert list(meeting.attendance.values_list("name", flat=True)) == ["sec_a", "李督导"]
    services.update_meeting(actor=secretary_a, meeting=meeting, held_on=TODAY(), place="田间", form="field",
                            summary="本周排查3起")
    with pytest.raises(Refused, match="只有本级"):
        services.add_attendee(actor=secretary_b, meeting=meeting, kind="guest", name="外人")
    close(secretary_a, meeting)
    with pytest.raises(Refused, match="已闭会"):
        services.add_attendee(actor=secretary_a, meeting=meeting, kind="guest", name="迟到")
    with pytest.raises(Refused, match="已闭会"):
        services.update_meeting(actor=secretary_a, meeting=meeting, held_on=TODAY(), place="x", form="room")


# --- reviews ---------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_village_mediates_on_the_spot_start_and_resolve_linked_to_the_meeting(make_case, secretary_a):
    no_rules()
    case = make_case(secretary_a, VILLAGE_A)
    meeting = open_meeting(secretary_a)
    review = services.record_review(actor=secretary_a, meeting=meeting, dispute=case, analysis="邻里小事，当场说和",
                                    decision=Decision.MEDIATE, outcome="success", note="双方握手言和")
    case.refresh_from_db()
    assert case.status == Status.RESOLVED and case.outcome == "success"
    assert review.decision == Decision.MEDIATE and review.decided_by == secretary_a
    kinds = list(CaseEvent.objects.filter(dispute=case, meeting=meeting).values_list("kind", flat=True))
    assert kinds == [EventKind.STARTED, EventKind.RESOLVED]


@pytest.mark.django_db
def test_village_refers_up_and_rejects_with_the_analysis_as_default_reason(make_case, secretary_a):
    no_rules()
    hard, not_civil = make_case(secretary_a, VILLAGE_A), make_case(secretary_a, VILLAGE_A)
    meeting = open_meeting(secretary_a)
    services.record_review(actor=secretary_a, meeting=meeting, dispute=hard, analysis="涉及宅基地确权，村级无法调处",
                           decision=Decision.REFER)
    referral = Referral.objects.get(dispute=hard)
    assert referral.meeting == meeting and referral.reason == "涉及宅基地确权，村级无法调处"
    assert referral.to_division_id == TOWN_X and referral.status == ReferralStatus.PENDING
    services.record_review(actor=secretary_a, meeting=meeting, dispute=not_civil, analysis="已起诉",
                           decision=Decision.REJECT, reason="当事人已向法院起诉")
    assert Dispute.objects.get(pk=not_civil.pk).status == Status.REJECTED


@pytest.mark.django_db
def test_a_refused_action_saves_nothing_not_even_the_review(make_case, secretary_a):
    no_rules()
    case = make_case(secretary_a, VILLAGE_A)
    meeting = open_meeting(secretary_a)
    # 当场调解 runs start_handling, then resolve refuses (调解不成 needs the route told to the parties):
    # both are rolled back.
    refused("其他解决途径", case, actor=secretary_a, meeting=meeting, analysis="调解不成",
            decision=Decision.MEDIATE, outcome="failed")
    refused("不能作出", case, actor=secretary_a, meeting=meeting, analysis="x", decision=Decision.RESOLVE,
            outcome="success")  # a logged case is not 调处中 yet
    refused("村级例会不能", case, actor=secretary_a, meeting=meeting, analysis="x", decision=Decision.WARN)
    refused("研判意见", case, actor=secretary_a, meeting=meeting, analysis="  ", decision=Decision.CONTINUE)
    refused("化解结果", case, actor=secretary_a, meeting=meeting, analysis="x", decision=Decision.MEDIATE)
    assert Dispute.objects.get(pk=case.pk).status == Status.LOGGED


@pytest.mark.django_db
def test_a_case_outside_the_meetings_scope_is_refused(make_case, secretary_a, secretary_b, town_x):
    no_rules()
    other_village = make_case(secretary_b, VILLAGE_B)
    village_held = make_case(secretary_a, VILLAGE_A)
    meeting = open_meeting(secretary_a)
    refused("议程范围", other_village, actor=secretary_a, meeting=meeting, analysis="x", decision=Decision.CONTINUE)
    town_meeting = open_meeting(town_x)
    refused("议程范围", village_held, actor=town_x, meeting=town_meeting, analysis="x", decision=Decision.CONTINUE)
    refused("只有本级", village_held, actor=secretary_b, meeting=meeting, analysis="x", decision=Decision.CONTINUE)


@pytest.mark.django_db
def test_town_accepts_then_fixes_four_decisions_then_warns(referred_to_town, town_x, make_user):
    case = referred_to_town
    staff = make_user(Role.TOWN_STAFF, TOWN_X)
    meeting = open_meeting(town_x)
    services.record_review(actor=town_x, meeting=meeting, dispute=case, analysis="属实，签收", decision=Decision.ACCEPT)
    case.refresh_from_db()
    assert (case.tier, case.holder_division_id, case.status) == (Tier.TOWN, TOWN_X, Status.IN_PROGRESS)
    unit = Unit.objects.get(name="嘉祥街道司法所")
    deadline = timezone.now() + 5 * DAY
    review = services.record_review(
        actor=town_x, meeting=meeting, dispute=case, analysis="司法所牵头调处", decision=Decision.ASSIGN,
        lead_leader=town_x, responsible_unit=unit, responsible_person=staff, measures="实地勘界，组织双方调解",
        deadline=deadline,
    )
    assignment = Assignment.objects.get(dispute=case, active=True)
    assert (assignment.meeting, assignment.lead_leader.user, assignment.responsible_person.user) == (meeting, town_x, staff)
    assert review.decision == Decision.ASSIGN and Review.objects.filter(dispute=case).count() == 1
    services.record_review(
        actor=town_x, meeting=meeting, dispute=case, analysis="有集体访苗头", decision=Decision.WARN, level="orange",
        triggers=["group_petition", "bogus"], submitted_to="town_joint", reassess_on=TODAY() + 7 * DAY,
    )
    warning = EarlyWarning.objects.get(dispute=case)
    assert warning.meeting == meeting and warning.triggers == ["group_petition"] and warning.reasons == "有集体访苗头"
    kinds = set(CaseEvent.objects.filter(dispute=case, meeting=meeting).values_list("kind", flat=True))
    assert kinds == {EventKind.ACCEPTED, EventKind.ASSIGNED, EventKind.WARNING_RAISED}


@pytest.mark.django_db
def test_same_decision_again_only_edits_the_analysis(referred_to_town, town_x):
    meeting = open_meeting(town_x)
    case = referred_to_town
    services.record_review(actor=town_x, meeting=meeting, dispute=case, analysis="签收", decision=Decision.ACCEPT)
    before = state(case)
    review = services.record_review(actor=town_x, meeting=meeting, dispute=case, analysis="签收，由司法所牵头",
                                    decision=Decision.ACCEPT)
    assert review.analysis == "签收，由司法所牵头" and state(case) == before


@pytest.mark.django_db
def test_town_returns_and_transfers_and_resolve_needs_feedback(referred_to_town, make_case, secretary_a, town_x):
    meeting = open_meeting(town_x)
    services.record_review(actor=town_x, meeting=meeting, dispute=referred_to_town, analysis="村级尚未调解",
                           decision=Decision.RETURN)
    referred_to_town.refresh_from_db()
    assert referred_to_town.tier == Tier.VILLAGE and referred_to_town.status == Status.IN_PROGRESS
    held = make_case(secretary_a, VILLAGE_A, tier=Tier.TOWN, status=Status.IN_PROGRESS)
    refused("包反馈", held, actor=town_x, meeting=meeting, analysis="已调解", decision=Decision.RESOLVE,
            outcome="success")
    refused("移交单位", held, actor=town_x, meeting=meeting, analysis="x", decision=Decision.TRANSFER)
    refused("本镇街", held, actor=town_x, meeting=meeting, analysis="x", decision=Decision.TRANSFER,
            unit=Unit.objects.get(name="纸坊镇派出所"))
    services.record_review(actor=town_x, meeting=meeting, dispute=held, analysis="治安因素，移交派出所",
                           decision=Decision.TRANSFER, unit=Unit.objects.get(name="嘉祥街道派出所"))
    held.refresh_from_db()
    assert held.holder_unit.name == "嘉祥街道派出所"
    DutyLog.objects.create(dispute=held, kind="feedback", on_date=TODAY(), text="已反馈", actor=town_x)
    services.record_review(actor=town_x, meeting=meeting, dispute=held, analysis="已调解", decision=Decision.RESOLVE,
                           outcome="success")
    assert Dispute.objects.get(pk=held.pk).status == Status.RESOLVED


@pytest.mark.django_db
def test_county_transfers_to_a_county_mediation_committee(make_case, secretary_a, county_user):
    no_rules()
    case = make_case(secretary_a, VILLAGE_A, tier=Tier.COUNTY, status=Status.IN_PROGRESS)
    meeting = open_meeting(county_user)
    refused("县级例会不能", case, actor=county_user, meeting=meeting, analysis="x", decision=Decision.REFER)
    services.record_review(actor=county_user, meeting=meeting, dispute=case, analysis="涉土专业调解",
                           decision=Decision.TRANSFER, unit=Unit.objects.get(name="县涉土纠纷人民调解委员会"))
    assert Referral.objects.get(dispute=case, kind="transfer").meeting == meeting


# --- flags and closing -----------------------------------------------------------------------------------------------


@pytest.fixture
def flagged_town_case(make_case, secretary_a):
    no_rules()
    r = rule(name="镇街案件须预警", tier="town")
    case = make_case(secretary_a, VILLAGE_A, tier=Tier.TOWN, status=Status.IN_PROGRESS, title="有规则提示")
    return case, r


@pytest.mark.django_db
def test_meeting_with_an_unhandled_flag_refuses_to_close_naming_the_cases(flagged_town_case, town_x):
    case, r = flagged_town_case
    meeting = open_meeting(town_x)
    with pytest.raises(Refused) as refusal:
        close(town_x, meeting)
    assert "不能闭会" in str(refusal.value) and case.number in str(refusal.value) and r.name in str(refusal.value)
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.OPEN and meeting.minutes is None


@pytest.mark.django_db
def test_an_override_with_a_reason_lets_the_meeting_close(flagged_town_case, town_x):
    case, r = flagged_town_case
    meeting = open_meeting(town_x)
    with pytest.raises(Refused, match="理由"):
        services.override_flag(actor=town_x, meeting=meeting, dispute=case, rule_id=r.pk, reason=" ")
    with pytest.raises(Refused, match="已不存在"):
        services.override_flag(actor=town_x, meeting=meeting, dispute=case, rule_id=r.pk + 999, reason="x")
    services.override_flag(actor=town_x, meeting=meeting, dispute=case, rule_id=r.pk, reason="当事人情绪稳定，暂不预警")
    assert FlagOverride.objects.get(meeting=meeting, dispute=case).reason == "当事人情绪稳定，暂不预警"
    event = CaseEvent.objects.get(dispute=case, kind=EventKind.FLAG_OVERRIDDEN)
    assert event.meeting == meeting and "当事人情绪稳定" in event.note and event.actor == town_x
    closed = close(town_x, meeting)
    assert closed.status == MeetingStatus.CLOSED and closed.closed_at
    assert closed.minutes["overrides"][0]["reason"] == "当事人情绪稳定，暂不预警"


@pytest.mark.django_db
def test_acting_on_the_flag_satisfies_it(flagged_town_case, town_x):
    case, _ = flagged_town_case
    meeting = open_meeting(town_x)
    services.record_review(actor=town_x, meeting=meeting, dispute=case, analysis="可能激化", decision=Decision.WARN,
                           level="yellow", triggers=["intensify"], submitted_to="town_joint",
                           reassess_on=TODAY() + 3 * DAY)
    assert close(town_x, meeting).status == MeetingStatus.CLOSED


@pytest.mark.django_db
def test_closing_freezes_the_minutes_and_makes_reviews_read_only(referred_to_town, town_x, make_user):
    staff = make_user(Role.TOWN_STAFF, TOWN_X)
    meeting = open_meeting(town_x)
    services.add_attendee(actor=town_x, meeting=meeting, kind="observer", name="李督导", unit="县第一督导组")
    case = referred_to_town
    services.record_review(actor=town_x, meeting=meeting, dispute=case, analysis="签收", decision=Decision.ACCEPT)
    services.record_review(
        actor=town_x, meeting=meeting, dispute=case, analysis="司法所牵头", decision=Decision.ASSIGN,
        lead_leader=town_x,
        responsible_unit=Unit.objects.get(name="嘉祥街道司法所"), responsible_person=staff, measures="勘界调解",
    )
    meeting = close(town_x, meeting)
    m = meeting.minutes
    assert m["title"] == f"嘉祥街道{meeting.iso_year}年第{meeting.iso_week}周平安周例会纪要"
    assert (m["tier"], m["division"]["name"], m["form_label"]) == ("town", "嘉祥街道", "会议室")
    assert m["convener"] == "town_x"
    assert [a["name"] for a in m["attendees"]] == ["town_x", "李记录", "李督导"]
    assert (m["recorder"], m["checker"]) == ("李记录", "town_x")
    (item,) = m["items"]
    assert (item["number"], item["decision_label"], item["analysis"]) == (case.number, "落实四定继续办理",
                                                                         "签收\n【落实四定继续办理】司法所牵头")
    assert item["assignment"]["lead_leader"] == "town_x" and item["assignment"]["unit"] == "嘉祥街道司法所"
    assert item["assignment"]["person"] == staff.username and item["assignment"]["measures"] == "勘界调解"
    assert item["actions"] == ["签收", "落实四定"] and item["risk_label"] == "蓝·轻微"
    with pytest.raises(Refused, match="已闭会"):
        services.record_review(actor=town_x, meeting=meeting, dispute=case, analysis="改", decision=Decision.CONTINUE)
    with pytest.raises(Refused, match="已闭会"):
        close(town_x, meeting)
    # Later changes to the case do not change the frozen minutes.
    Dispute.objects.filter(pk=case.pk).update(title="改过的标题")
    meeting.refresh_from_db()
    assert meeting.minutes["items"][0]["title"] == case.title


@pytest.mark.django_db
def test_minutes_record_referrals_and_warnings(make_case, secretary_a, town_x):
    no_rules()
    case = make_case(secretary_a, VILLAGE_A)
    village_meeting = open_meeting(secretary_a)
    services.record_review(actor=secretary_a, meeting=village_meeting, dispute=case, analysis="提请镇街",
                           decision=Decision.REFER, reason="宅基地确权")
    (item,) = close(secretary_a, village_meeting).minutes["items"]
    assert item["referral"] == {"kind": "refer", "kind_label": "提请上级", "to": "嘉祥街道", "from": "刘山村",
                                "reason": "宅基地确权"}
    town_meeting = open_meeting(town_x)
    services.record_review(actor=town_x, meeting=town_meeting, dispute=case, analysis="先预警", decision=Decision.WARN,
                           level="red", triggers=["extreme"], submitted_to="county",
                           reassess_on=TODAY() + datetime.timedelta(days=2))
    (item,) = close(town_x, town_meeting).minutes["items"]
    assert item["warning"]["level_label"] == "红色预警" and item["warning"]["triggers"] == ["个人极端事件"]


@pytest.mark.django_db
def test_a_directory_leader_without_an_account_is_in_the_minutes_and_their_docx(referred_to_town, town_x):
    """人员库 (issue 11): the meeting names a 包案领导 and a 责任人 who have no account; the minutes carry them."""
    from docx import Document

    from meetings.minutes_docx import build_docx
    from org.models import Person

    justice = Unit.objects.get(name="嘉祥街道司法所")
    leader = Person.objects.create(name="曾宪文", post="政法委员", division_id=TOWN_X)
    head = Person.objects.create(name="王振华", post="所长", division_id=TOWN_X, unit=justice)
    meeting = open_meeting(town_x)
    services.record_review(actor=town_x, meeting=meeting, dispute=referred_to_town, analysis="签收",
                           decision=Decision.ACCEPT)
    services.record_review(actor=town_x, meeting=meeting, dispute=referred_to_town, analysis="司法所牵头",
                           decision=Decision.ASSIGN, lead_leader=leader, responsible_unit=justice,
                           responsible_person=head, measures="勘界调解")
    meeting = close(town_x, meeting)
    (item,) = meeting.minutes["items"]
    assert (item["assignment"]["lead_leader"], item["assignment"]["person"]) == ("曾宪文", "王振华")
    text = "\n".join(p.text for p in Document(__import__("io").BytesIO(build_docx(meeting.minutes))).paragraphs)
    assert "包案领导曾宪文" in text and "责任人王振华" in text
