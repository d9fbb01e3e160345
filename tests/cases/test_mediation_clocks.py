"""The mediation file's clocks (issue 12 #4, #6): the 司法确认 period (30 days from the agreement's effective date,
reminder at day 20) and the 回访 at 7, 30 and 90 days — each landing in the lead mediator's 待办 when due, once,
by the sweep (time travel with time-machine)."""

import datetime

import pytest
import time_machine
from django.utils import timezone

from cases import services
from cases.models import CaseEvent, Dispute, FollowUp, FollowUpDay, Status
from cases.rules.deadlines import confirmation_deadline, confirmation_reminder_on, end_of_day
from cases.services import mediation as svc
from cases.services.supervision import sweep
from notify.models import Notification
from tests.cases import test_mediation as shared
from tests.cases.test_mediation import written

# The shared fixtures (a village A case in progress, its lead mediator with an account, a 五老 without one).
case_a, elder, lead, mediator_user = shared.case_a, shared.elder, shared.lead, shared.mediator_user

START = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.timezone(datetime.timedelta(hours=8)))  # a Monday


# --- the rule -----------------------------------------------------------------------------------------------------


def test_the_confirmation_period_ends_30_days_after_the_effective_date(db):
    # 2026-03-02 + 30 days = 2026-04-01 (a Wednesday, a working day): the effective day itself does not count.
    assert confirmation_deadline(datetime.date(2026, 3, 2)) == end_of_day(datetime.date(2026, 4, 1))
    assert confirmation_reminder_on(datetime.date(2026, 3, 2)) == datetime.date(2026, 3, 22)


def test_a_period_ending_on_a_rest_day_runs_to_the_next_working_day(db):
    # 2026-03-07 + 30 = 2026-04-06, 清明节 holiday (4-4…4-6): the period ends on Tuesday 2026-04-07 (民法典 203).
    assert confirmation_deadline(datetime.date(2026, 3, 7)) == end_of_day(datetime.date(2026, 4, 7))


# --- the reminder at day 20 ---------------------------------------------------------------------------------------


def _agreed_case(secretary_a, case, lead, **extra):
    svc.name_mediators(actor=secretary_a, dispute=case, lead=lead)
    agreement = svc.record_agreement(actor=secretary_a, dispute=case, **written(
        effective_on=timezone.localdate(), performance_deadline=timezone.localdate() + datetime.timedelta(days=40),
        **extra))
    services.resolve(actor=secretary_a, dispute=case, outcome="success")
    return agreement


def _todo(user, prefix):
    return list(Notification.objects.filter(recipient=user, done_at__isnull=True, key__startswith=prefix)
                .values_list("text", flat=True))


@pytest.fixture
def at_start():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def test_the_confirmation_reminder_reaches_the_lead_mediator_on_day_20(at_start, secretary_a, mediator_user, case_a,
                                                                        lead):
    _agreed_case(secretary_a, case_a, lead)
    at_start.move_to(START + datetime.timedelta(days=19))
    sweep()
    assert _todo(mediator_user, "confirmation:") == []
    at_start.move_to(START + datetime.timedelta(days=20))
    sweep()
    [text] = _todo(mediator_user, "confirmation:")
    assert "04月01日前" in text and case_a.number in text
    assert not _todo(secretary_a, "confirmation:")  # the lead mediator's, not the holders' (he has an account)
    sweep()  # once: a second sweep records nothing more
    assert CaseEvent.objects.filter(dispute=case_a, kind="confirmation_due").count() == 1


def test_no_reminder_when_the_application_was_recorded(at_start, secretary_a, mediator_user, case_a, lead):
    agreement = _agreed_case(secretary_a, case_a, lead)
    at_start.move_to(START + datetime.timedelta(days=5))
    svc.record_confirmation(actor=secretary_a, dispute=case_a, agreement=agreement, court="嘉祥县人民法院",
                            applied_on=timezone.localdate())
    at_start.move_to(START + datetime.timedelta(days=20))
    sweep()
    assert _todo(mediator_user, "confirmation:") == []
    assert not CaseEvent.objects.filter(dispute=case_a, kind="confirmation_due").exists()


def test_recording_the_application_clears_the_reminder(at_start, secretary_a, mediator_user, case_a, lead):
    agreement = _agreed_case(secretary_a, case_a, lead)
    at_start.move_to(START + datetime.timedelta(days=21))
    sweep()
    assert _todo(mediator_user, "confirmation:")
    svc.record_confirmation(actor=secretary_a, dispute=case_a, agreement=agreement, court="嘉祥县人民法院",
                            applied_on=timezone.localdate(), result="valid", decided_on=timezone.localdate())
    assert _todo(mediator_user, "confirmation:") == []
    agreement.refresh_from_db()
    assert agreement.confirmation_result == "valid"


def test_an_application_after_the_period_is_refused(at_start, secretary_a, case_a, lead):
    agreement = _agreed_case(secretary_a, case_a, lead)
    at_start.move_to(START + datetime.timedelta(days=31))
    with pytest.raises(services.mediation.Refused) as refused:
        svc.record_confirmation(actor=secretary_a, dispute=case_a, agreement=agreement, court="嘉祥县人民法院",
                                applied_on=timezone.localdate())
    assert refused.value.field == "applied_on"


def test_the_reminder_goes_to_the_holders_when_the_lead_has_no_account(at_start, secretary_a, case_a, elder):
    _agreed_case(secretary_a, case_a, elder)
    at_start.move_to(START + datetime.timedelta(days=20))
    sweep()
    assert _todo(secretary_a, "confirmation:")


# --- 回访 at 7, 30, 90 days ---------------------------------------------------------------------------------------


def test_follow_ups_land_in_the_mediators_todo_on_day_7_30_and_90(at_start, secretary_a, mediator_user, case_a, lead):
    _agreed_case(secretary_a, case_a, lead)
    assert sorted(FollowUp.objects.filter(dispute=case_a).values_list("days", flat=True)) == [7, 30, 90]
    for day, expected in ((6, 0), (7, 1), (29, 0), (30, 1), (89, 0), (90, 1)):
        at_start.move_to(START + datetime.timedelta(days=day))
        sweep()
        due = _todo(mediator_user, "follow_up:")
        assert len(due) == expected, (day, due)
        if expected:
            assert f"第{day}天回访" in due[0]
            case = Dispute.objects.get(pk=case_a.pk)
            services.record_visit(actor=secretary_a, dispute=case, visited_on=timezone.localdate(),
                                  agreement_kept=True, satisfaction="satisfied", relapse_signs=False)
            assert _todo(mediator_user, "follow_up:") == []  # the visit fulfils it
            if day == 7:
                services.close_case(actor=secretary_a, dispute=Dispute.objects.get(pk=case_a.pk))
    assert FollowUp.objects.filter(dispute=case_a, visit__isnull=True).count() == 0


def test_a_late_visit_fulfils_every_due_follow_up(at_start, secretary_a, mediator_user, case_a, lead):
    _agreed_case(secretary_a, case_a, lead)
    at_start.move_to(START + datetime.timedelta(days=31))
    sweep()
    assert len(_todo(mediator_user, "follow_up:")) == 2
    services.record_visit(actor=secretary_a, dispute=Dispute.objects.get(pk=case_a.pk),
                          visited_on=timezone.localdate(), agreement_kept=True, satisfaction="basic",
                          relapse_signs=False)
    assert _todo(mediator_user, "follow_up:") == []
    assert list(FollowUp.objects.filter(dispute=case_a, visit__isnull=True).values_list("days", flat=True)) == [90]


def test_the_schedule_is_data(at_start, secretary_a, mediator_user, case_a, lead):
    FollowUpDay.objects.filter(days=30).update(active=False)
    FollowUpDay.objects.create(days=14)
    _agreed_case(secretary_a, case_a, lead)
    assert sorted(FollowUp.objects.filter(dispute=case_a).values_list("days", flat=True)) == [7, 14, 90]


def test_a_reopened_case_drops_its_follow_ups(at_start, secretary_a, mediator_user, case_a, lead):
    _agreed_case(secretary_a, case_a, lead)
    services.reopen(actor=secretary_a, dispute=Dispute.objects.get(pk=case_a.pk), reason="又起争执")
    at_start.move_to(START + datetime.timedelta(days=7))
    sweep()
    assert _todo(mediator_user, "follow_up:") == []
    assert Dispute.objects.get(pk=case_a.pk).status == Status.IN_PROGRESS
