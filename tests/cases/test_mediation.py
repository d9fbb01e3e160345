"""人民调解卷宗 (issue 12): mediators, a party's change request, sessions, the agreement's rules, its performance, and
the choice a broken agreement or a recurrence offers. The helpers and fixtures here are shared by the other
test_mediation_* modules."""

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from cases import services
from cases.models import (
    Agreement,
    CaseEvent,
    CaseMediator,
    Dispute,
    FollowUp,
    MediationSession,
    Mediator,
    MediatorChange,
    Status,
)
from cases.services import mediation as svc
from core.errors import Forbidden, Refused
from org.models import Division, Person, Role, Unit
from org.people import person_for
from tests.conftest import VILLAGE_A, VILLAGE_C, party_row

ID_APPLICANT = "370829198506150038"
PHONE_APPLICANT = "13812345678"


def make_mediator(person, *, division=None, unit=None, kind="part_time"):
    return Mediator.objects.create(person=person, committee_division=division, committee_unit=unit, kind=kind)


@pytest.fixture
def mediator_user(make_user):
    """A village A grid worker (网格员/调解员) who is on the village's 调委会."""
    return make_user(Role.GRID_WORKER, VILLAGE_A, username="med_a")


@pytest.fixture
def lead(mediator_user):
    return make_mediator(person_for(mediator_user), division=Division.objects.get(code=VILLAGE_A), kind="full_time")


@pytest.fixture
def elder(db):
    """A 五老 mediator without an account (a directory person only)."""
    person = Person.objects.create(name="王老伯", post="老党员", division_id=VILLAGE_A)
    return make_mediator(person, division=Division.objects.get(code=VILLAGE_A), kind="elder")


@pytest.fixture
def case_a(make_case, secretary_a):
    parties = [party_row("张三", id_number=ID_APPLICANT, phone=PHONE_APPLICANT),
               party_row("李四", "respondent", phone="13987654321")]
    return make_case(secretary_a, VILLAGE_A, status=Status.IN_PROGRESS, parties=parties)


def written(**extra):
    today = timezone.localdate()
    return {"form": "written", "facts": "双方因宅基地界址发生争执。", "terms": "李四于12月底前拆除越界围墙。",
            "performance_manner": "李四自行拆除", "performance_deadline": today + datetime.timedelta(days=20),
            "effective_on": today, "amount_involved": 15000, "amount_agreed": 12000, **extra}


def mediate(actor, case, lead, others=()):
    services.mediation.name_mediators(actor=actor, dispute=case, lead=lead, others=list(others))
    return svc.record_session(actor=actor, dispute=case, held_on=timezone.localdate(), place="村委会调解室",
                              form="on_site", mediators=[lead, *others], attendees="张三、李四", record="双方陈述。")


# --- mediators ---------------------------------------------------------------------------------------------------


def test_naming_mediators_keeps_one_lead_and_records_it(secretary_a, case_a, lead, elder):
    svc.name_mediators(actor=secretary_a, dispute=case_a, lead=lead, others=[elder])
    svc.name_mediators(actor=secretary_a, dispute=case_a, lead=elder, others=[lead])
    active = {(cm.mediator_id, cm.is_lead) for cm in CaseMediator.objects.filter(dispute=case_a, active=True)}
    assert active == {(elder.pk, True), (lead.pk, False)}
    assert CaseMediator.objects.filter(dispute=case_a, active=False).count() == 2  # ended, kept in the file
    assert CaseEvent.objects.filter(dispute=case_a, kind="mediators_named").count() == 2


def test_a_mediator_of_another_town_is_refused(secretary_a, case_a, make_user):
    other = make_mediator(person_for(make_user(Role.GRID_WORKER, VILLAGE_C)), division=Division.objects.get(
        code=VILLAGE_C))
    with pytest.raises(Refused, match="名册"):
        svc.name_mediators(actor=secretary_a, dispute=case_a, lead=other)
    assert not CaseMediator.objects.filter(dispute=case_a).exists()


def test_a_specialised_committee_mediator_may_be_named(secretary_a, case_a):
    unit = Unit.objects.filter(kind="mediation").first()
    person = Person.objects.create(name="赵律师", division_id=unit.division_id, unit=unit)
    lawyer = make_mediator(person, unit=unit, kind="lawyer")
    svc.name_mediators(actor=secretary_a, dispute=case_a, lead=lawyer)
    assert lawyer.committee_name == unit.name


def test_a_mediator_belongs_to_exactly_one_committee(db, elder):
    with pytest.raises(IntegrityError), transaction.atomic():
        Mediator.objects.create(person=elder.person, kind="elder")


def test_a_partys_change_request_is_recorded_and_the_replacement_takes_the_lead(secretary_a, case_a, lead, elder):
    svc.name_mediators(actor=secretary_a, dispute=case_a, lead=lead)
    party = case_a.parties.get(name="李四")
    svc.request_mediator_change(actor=secretary_a, dispute=case_a, party=party, mediator=lead,
                                reason="调解员与申请人是亲戚", requested_on=timezone.localdate(), replacement=elder)
    assert CaseMediator.objects.get(dispute=case_a, active=True, is_lead=True).mediator == elder
    change = MediatorChange.objects.get(dispute=case_a)
    assert (change.party, change.mediator, change.replacement) == (party, lead, elder)
    event = CaseEvent.objects.get(dispute=case_a, kind="mediator_changed")
    assert "亲戚" in event.note and "李四" in event.note


def test_someone_not_holding_the_case_cannot_name_mediators(secretary_b, town_x, case_a, lead):
    for outsider in (town_x,):  # town X sees the case but the village holds it
        with pytest.raises(Forbidden):
            svc.name_mediators(actor=outsider, dispute=case_a, lead=lead)
    with pytest.raises(Dispute.DoesNotExist):  # another village does not even see it
        svc.name_mediators(actor=secretary_b, dispute=case_a, lead=lead)


# --- sessions ----------------------------------------------------------------------------------------------------


def test_sessions_need_named_mediators_and_land_on_the_timeline(secretary_a, case_a, lead, elder):
    with pytest.raises(Refused, match="已确定的调解员"):
        svc.record_session(actor=secretary_a, dispute=case_a, held_on=timezone.localdate(), place="村委会",
                           form="on_site", mediators=[lead], attendees="张三", record="笔录")
    mediate(secretary_a, case_a, lead, [elder])
    svc.record_session(actor=secretary_a, dispute=case_a, held_on=timezone.localdate(), place="张三家",
                       form="home", mediators=[elder], attendees="张三、其子", record="上门做工作。")
    assert MediationSession.objects.filter(dispute=case_a).count() == 2
    events = CaseEvent.objects.filter(dispute=case_a, kind="mediation_session").order_by("id")
    assert [e.new_value for e in events] == ["on_site", "home"]
    assert events[1].new_display == "上门"


def test_a_session_in_the_future_or_without_a_record_is_refused(secretary_a, case_a, lead):
    svc.name_mediators(actor=secretary_a, dispute=case_a, lead=lead)
    base = dict(actor=secretary_a, dispute=case_a, place="村委会", form="phone", mediators=[lead], attendees="张三")
    with pytest.raises(Refused) as e:
        svc.record_session(**base, held_on=timezone.localdate() + datetime.timedelta(days=1), record="x")
    assert e.value.field == "held_on"
    with pytest.raises(Refused) as e:
        svc.record_session(**base, held_on=timezone.localdate(), record="  ")
    assert e.value.field == "record"
    assert not MediationSession.objects.exists()


# --- the agreement: the acceptance point ------------------------------------------------------------------------


@pytest.mark.parametrize("missing, field", [("terms", "terms"), ("performance_deadline", "performance_deadline"),
                                            ("performance_manner", "performance_manner")])
def test_a_written_agreement_without_terms_or_deadline_is_refused(secretary_a, case_a, missing, field):
    data = written(**{missing: None if missing == "performance_deadline" else ""})
    with pytest.raises(Refused) as refused:
        svc.record_agreement(actor=secretary_a, dispute=case_a, **data)
    assert refused.value.field == field
    assert not Agreement.objects.exists()
    assert not CaseEvent.objects.filter(dispute=case_a, kind="agreement_recorded").exists()


def test_an_oral_agreement_is_recorded_with_its_content(secretary_a, case_a):
    agreement = svc.record_agreement(actor=secretary_a, dispute=case_a, form="oral", terms="李四当面道歉，张三不再追究。",
                                     effective_on=timezone.localdate())
    agreement.refresh_from_db()
    assert (agreement.form, agreement.terms, agreement.effective_on) == (
        "oral", "李四当面道歉，张三不再追究。", timezone.localdate())
    assert agreement.performance == "not_due"
    event = CaseEvent.objects.get(dispute=case_a, kind="agreement_recorded")
    assert event.new_display == "口头协议"


def test_an_oral_agreement_without_content_is_refused(secretary_a, case_a):
    with pytest.raises(Refused) as refused:
        svc.record_agreement(actor=secretary_a, dispute=case_a, form="oral", terms="", effective_on=timezone.localdate())
    assert refused.value.field == "terms"


def test_the_database_refuses_a_written_agreement_without_a_deadline(secretary_a, case_a):
    with pytest.raises(IntegrityError), transaction.atomic():
        Agreement.objects.create(dispute=case_a, form="written", terms="条款", performance_manner="现金",
                                 effective_on=timezone.localdate(), created_by=secretary_a)


def test_a_partial_agreement_names_what_remains_and_the_way_shown(secretary_a, case_a):
    with pytest.raises(Refused) as refused:
        svc.record_agreement(actor=secretary_a, dispute=case_a, **written(partial=True))
    assert refused.value.field == "remaining_issues"
    agreement = svc.record_agreement(actor=secretary_a, dispute=case_a, **written(
        partial=True, remaining_issues="误工费", remaining_route="告知可向嘉祥县人民法院起诉"))
    assert agreement.remaining_route == "告知可向嘉祥县人民法院起诉"


def test_one_agreement_per_mediation(secretary_a, case_a):
    svc.record_agreement(actor=secretary_a, dispute=case_a, **written())
    with pytest.raises(Refused, match="已记录调解协议"):
        svc.record_agreement(actor=secretary_a, dispute=case_a, **written())


def test_performance_is_recorded_after_the_resolution(secretary_a, case_a):
    agreement = svc.record_agreement(actor=secretary_a, dispute=case_a, **written())
    with pytest.raises(Forbidden):  # still being mediated
        svc.record_performance(actor=secretary_a, dispute=case_a, agreement=agreement, performance="performed",
                               on_date=timezone.localdate())
    services.resolve(actor=secretary_a, dispute=case_a, outcome="success")
    svc.record_performance(actor=secretary_a, dispute=case_a, agreement=agreement, performance="partly",
                           on_date=timezone.localdate())
    agreement.refresh_from_db()
    assert (agreement.performance, agreement.performance_on) == ("partly", timezone.localdate())


# --- a broken agreement or a recurrence: reopen (反复), never a second success ----------------------------------


def test_an_unperformed_agreement_offers_reopening_which_counts_as_a_relapse(secretary_a, case_a):
    svc.record_agreement(actor=secretary_a, dispute=case_a, **written())
    case = services.resolve(actor=secretary_a, dispute=case_a, outcome="success")
    assert svc.needs_decision(case, svc.current_agreement(case), []) == ""
    visit = services.record_visit(actor=secretary_a, dispute=case, visited_on=timezone.localdate(),
                                  agreement_kept=False, satisfaction="unsatisfied", relapse_signs=True,
                                  performance="not_performed")
    case.refresh_from_db()
    assert svc.needs_decision(case, svc.current_agreement(case), [visit]) == "调解协议未履行"
    assert svc.current_agreement(case).performance == "not_performed"
    case = services.reopen(actor=secretary_a, dispute=case, reason="李四未拆除围墙，双方再起争执")
    assert (case.status, case.reopen_count, case.outcome) == (Status.IN_PROGRESS, 1, "")
    assert not svc.live_follow_ups(case).exists()  # the old resolution's 回访 no longer stand
    assert FollowUp.objects.filter(dispute=case).count() == 3
    assert svc.current_agreement(case) is None  # a new agreement may be recorded for the new mediation
