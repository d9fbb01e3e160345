"""四定 from the people directory and the 三包 duties (issue 11 point 1).

A 包案领导 or 责任人 may be a person without an account; the 责任人 must belong to the 责任单位 (org.people); each 三包
duty has a named person and a due date and shows 已完成 / 办理中 / 已逾期."""

import datetime
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from cases import policy
from cases import services as case_services
from cases.models import Assignment, Duty, DutyState, Status, Tier
from core.errors import Refused
from org.models import Person, Role, Unit
from org.people import person_for
from tests.conftest import TOWN_X, VILLAGE_A


@pytest.fixture
def case(make_case, secretary_a):
    return make_case(secretary_a, VILLAGE_A, tier=Tier.TOWN, status=Status.IN_PROGRESS, title="刘山村排水纠纷")


@pytest.fixture
def justice():
    return Unit.objects.get(name="嘉祥街道司法所")


@pytest.fixture
def head(justice):
    """The 司法所 head: in the directory, no account."""
    return Person.objects.create(name="王振华", post="所长", division_id=TOWN_X, unit=justice)


def act(case):
    return reverse("cases:act", args=[case.number, "assign"])


@pytest.mark.django_db
def test_the_form_refuses_a_responsible_person_outside_the_unit_at_the_field(client, case, town_x, head):
    zzb = Person.objects.create(name="李春燕", post="综治办主任", division_id=TOWN_X,
                                unit=Unit.objects.get(name="嘉祥街道综治办"))
    client.force_login(town_x)
    response = client.post(act(case), {
        "lead_leader": person_for(town_x).pk, "responsible_unit": Unit.objects.get(name="嘉祥街道派出所").pk,
        "responsible_person": zzb.pk, "measures": "派出所牵头"})
    assert response.status_code == 200
    errors = response.context["form"].errors["responsible_person"]
    assert errors == ["责任人必须是责任单位“嘉祥街道派出所”的人员：李春燕属于嘉祥街道综治办。请改选该单位的人员，或先在人员库中登记。"]
    html = response.content.decode()
    assert 'id="error-summary"' in html and 'href="#id_responsible_person"' in html
    assert not Assignment.objects.filter(dispute=case).exists()
    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS


@pytest.mark.django_db
def test_a_leader_and_a_responsible_person_without_accounts_can_be_chosen_in_the_form(client, case, town_x, head):
    leader = Person.objects.create(name="曾宪文", post="政法委员", division_id=TOWN_X)
    client.force_login(town_x)
    page = client.get(act(case)).content.decode()
    assert re.search(r'<select name="lead_leader"[^>]*data-picker', page)
    assert "曾宪文（政法委员）〔无账号〕" in page and "王振华（嘉祥街道司法所 · 所长）〔无账号〕" in page
    assert page.index("town_x（") < page.index("曾宪文（政法委员）")  # accounts first
    response = client.post(act(case), {
        "lead_leader": leader.pk, "responsible_unit": head.unit_id, "responsible_person": head.pk,
        "measures": "司法所牵头，村两委配合"})
    assert response.status_code == 302
    a = Assignment.objects.get(dispute=case, active=True)
    assert (a.lead_leader, a.responsible_person) == (leader, head)
    detail = client.get(case.get_absolute_url()).content.decode()
    assert "曾宪文（政法委员）" in detail and "（无系统账号）" in detail


@pytest.mark.django_db
def test_duties_default_to_the_responsible_person_by_the_deadline(case, town_x, head):
    a = case_services.fix_assignment(actor=town_x, dispute=case, lead_leader=town_x, responsible_unit=head.unit,
                                     responsible_person=head, measures="调解")
    duties = {d.kind: d for d in a.duties.all()}
    assert set(duties) == {"handle", "track", "feedback"}
    assert {d.person for d in duties.values()} == {head}
    assert {d.due_on for d in duties.values()} == {timezone.localtime(a.deadline).date()}


@pytest.mark.django_db
def test_named_duties_show_done_due_and_overdue_and_a_record_marks_one_done(client, case, town_x, make_user, head):
    tracker = make_user(Role.TOWN_STAFF, TOWN_X, username="tracker")
    today = timezone.localdate()
    deadline = timezone.make_aware(datetime.datetime.combine(today + datetime.timedelta(days=20), datetime.time(23, 59)))
    a = case_services.fix_assignment(
        actor=town_x, dispute=case, lead_leader=town_x, responsible_unit=head.unit, responsible_person=head,
        measures="调解", deadline=deadline,
        duties={"handle": (head, today + datetime.timedelta(days=3)),
                "track": (tracker, today + datetime.timedelta(days=10))})
    duties = {d.kind: d for d in a.duties.select_related("person")}
    assert duties["track"].person.user == tracker and duties["feedback"].due_on == deadline.date()
    assert all(d.current_state == DutyState.DUE for d in duties.values())
    # the tracker (an account named only for 包跟踪) may record it, and it is then done
    assert "duty" in policy.permitted_actions(tracker, case)
    case_services.record_duty(actor=tracker, dispute=case, kind="track", on_date=today, text="电话回访当事人")
    with time_machine.travel(timezone.now() + datetime.timedelta(days=5)):
        states = {d.kind: d.current_state for d in Duty.objects.filter(assignment=a)}
        assert states == {"handle": DutyState.OVERDUE, "track": DutyState.DONE, "feedback": DutyState.DUE}
        client.force_login(town_x)
        html = client.get(case.get_absolute_url()).content.decode()
        assert html.count("duty-overdue") == 1 and html.count("duty-done") == 1 and "已逾期" in html
    client.force_login(tracker)
    mine = client.get(reverse("cases:mine")).content.decode()
    assert case.number in mine and "包跟踪" in mine


@pytest.mark.django_db
def test_a_duty_due_after_the_deadline_or_in_the_past_is_refused(case, town_x, head):
    today = timezone.localdate()
    deadline = timezone.make_aware(datetime.datetime.combine(today + datetime.timedelta(days=5), datetime.time(23, 59)))
    for due, message in ((today + datetime.timedelta(days=9), "不能晚于办结时限"),
                         (today - datetime.timedelta(days=1), "不能早于今天")):
        with pytest.raises(Refused, match=message):
            case_services.fix_assignment(actor=town_x, dispute=case, lead_leader=town_x, responsible_unit=head.unit,
                                         responsible_person=head, measures="调解", deadline=deadline,
                                         duties={"handle": (head, due)})
    assert not Assignment.objects.filter(dispute=case).exists()
