"""督导组 supervision as work (issue 11 #3): visits with the members as observers in the attendance, 督导意见 that the
convener must answer and that appear on the minutes, and spot-check samples that are reproducible from their stored
seed, cannot be redrawn, and open the phone only through the logged reveal."""

import random

import pytest
from django.contrib import admin
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from cases.models import PiiReveal, Status
from cases.policy import menu_for
from core.errors import Refused
from meetings import oversight_services
from meetings.models import Attendance, AttendeeKind
from meetings.oversight import (
    OversightOpinion,
    OversightVisit,
    SampleStatus,
    SpotCheckItem,
    SpotCheckSample,
    draw_ids,
)
from org.models import Division, Role
from tests.conftest import COUNTY, TOWN_X, TOWN_Y, VILLAGE_A, VILLAGE_C
from tests.meetings import close, no_rules, open_meeting

pytestmark = pytest.mark.urls("tests.meetings")


@pytest.fixture
def supervisor(make_user):
    return make_user(Role.SUPERVISOR, COUNTY, username="duda")


@pytest.fixture
def closed_cases(make_case, secretary_a, secretary_c):
    """Six closed cases of town X (village A) and one of town Y."""
    x = [make_case(secretary_a, VILLAGE_A, status=Status.CLOSED, title=f"结案{i}号") for i in range(6)]
    y = make_case(secretary_c, VILLAGE_C, status=Status.CLOSED, title="纸坊结案")
    return x, y


def draw(client, size=3, town=TOWN_X):
    today = timezone.localdate()
    return client.post(reverse("meetings:sample_draw"), {
        "town": town, "start": today.replace(day=1).isoformat(), "end": today.isoformat(), "size": size})


# --- spot-check samples ----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_sample_is_reproducible_from_its_stored_seed_and_cannot_be_redrawn(client, supervisor, closed_cases,
                                                                           monkeypatch):
    x_cases, y_case = closed_cases
    monkeypatch.setattr(oversight_services.secrets, "randbits", lambda bits: 987654321)
    client.force_login(supervisor)
    response = draw(client)
    sample = SpotCheckSample.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("meetings:sample_detail", args=[sample.pk])
    assert sample.seed == 987654321
    assert sorted(sample.candidate_ids) == sorted(c.pk for c in x_cases)  # town X's closed cases only
    drawn = list(sample.items.order_by("position").values_list("dispute_id", flat=True))
    assert len(drawn) == 3 and y_case.pk not in drawn
    # the same seed over the candidates in their fixed (ascending) order gives the same cases, in the same order
    assert drawn == random.Random(987654321).sample(sorted(c.pk for c in x_cases), 3)
    assert drawn == draw_ids(sample.seed, list(reversed(sample.candidate_ids)), sample.size)
    page = client.get(reverse("meetings:sample_detail", args=[sample.pk])).content.decode()
    assert "987654321" in page and all(c.number in page for c in x_cases if c.pk in drawn)

    again = draw(client, size=5)
    assert again.status_code == 400
    assert "不能重抽" in again.content.decode()
    assert SpotCheckSample.objects.count() == 1
    assert list(sample.items.order_by("position").values_list("dispute_id", flat=True)) == drawn
    with pytest.raises(Refused, match="不能重抽或删除"):
        oversight_services.redraw_sample(actor=supervisor, sample=sample)
    assert SpotCheckSample not in admin.site._registry  # no delete there either


@pytest.mark.django_db
def test_sample_of_a_town_without_closed_cases_is_refused_with_a_message(client, supervisor, secretary_a):
    client.force_login(supervisor)
    response = draw(client, town=TOWN_Y)
    assert response.status_code == 400 and "没有已结案的案件" in response.content.decode()
    assert not SpotCheckSample.objects.exists()


@pytest.mark.django_db
def test_phone_back_is_recorded_and_the_phone_is_revealed_only_through_the_logged_reveal(client, supervisor,
                                                                                        closed_cases):
    x_cases, _ = closed_cases
    client.force_login(supervisor)
    draw(client, size=2)
    sample = SpotCheckSample.objects.get()
    item = sample.items.order_by("position").first()
    party = item.dispute.parties.order_by("id").first()
    outside = next(c for c in x_cases if not sample.items.filter(dispute=c).exists())
    reveal = reverse("cases:pii_reveal", args=[item.dispute.number, party.pk])
    page = client.get(reverse("meetings:sample_detail", args=[sample.pk])).content.decode()
    assert "13812345678" not in page and reveal in page  # masked, with the reveal link
    response = client.post(reveal, {"reason": "抽查回访，电话联系当事人"})
    assert response.status_code == 200 and "13812345678" in response.content.decode()
    assert PiiReveal.objects.filter(user=supervisor, party=party).count() == 1
    # not a sampled case: read-only as before; attachments stay closed even for the sampled case
    other_party = outside.parties.order_by("id").first()
    assert client.get(reverse("cases:pii_reveal", args=[outside.number, other_party.pk])).status_code == 403

    url = reverse("meetings:sample_result", args=[sample.pk, item.pk])
    prefix = f"i{item.pk}-"
    incomplete = client.post(url, {prefix + "reached": "1"})
    assert incomplete.status_code == 400 and "是否满意" in incomplete.content.decode()
    assert client.post(url, {prefix + "reached": "1", prefix + "satisfied": "1", prefix + "agreement_kept": "1",
                             prefix + "recurred": "0", prefix + "note": "当事人表示满意"}).status_code == 302
    item.refresh_from_db()
    assert (item.reached, item.satisfied, item.agreement_kept, item.recurred) == (True, True, True, False)
    assert item.called_by == supervisor
    assert AuditEntry.objects.filter(action="meeting_write", detail__contains="抽查回访").exists()

    close_url = reverse("meetings:sample_close", args=[sample.pk])
    client.post(close_url)
    assert SpotCheckSample.objects.get().status == SampleStatus.OPEN  # one case not yet called back
    second = sample.items.order_by("position").last()
    p2 = f"i{second.pk}-"
    client.post(reverse("meetings:sample_result", args=[sample.pk, second.pk]),
                {p2 + "reached": "0", p2 + "note": "两次未接通"})
    client.post(close_url)
    assert SpotCheckSample.objects.get().status == SampleStatus.CLOSED
    assert client.get(reveal).status_code == 403  # the sample is done: no more reveals


@pytest.mark.django_db
def test_sample_pages_are_the_supervisors_only(client, supervisor, town_x, closed_cases):
    sample = oversight_services.draw_sample(actor=supervisor, town=Division.objects.get(code=TOWN_X),
                                            start=timezone.localdate().replace(day=1), end=timezone.localdate(),
                                            size=2, seed=7)
    client.force_login(town_x)
    assert client.get(reverse("meetings:oversight")).status_code == 403
    assert client.get(reverse("meetings:sample_detail", args=[sample.pk])).status_code == 403
    assert draw(client).status_code == 403
    item = sample.items.first()
    party = item.dispute.parties.first()
    # the town that handled the case still reveals as before; the sample does not widen anyone else's access
    assert client.get(reverse("cases:pii_reveal", args=[item.dispute.number, party.pk])).status_code == 200
    client.force_login(supervisor)
    assert client.get(reverse("meetings:sample_detail", args=[sample.pk + 99])).status_code == 404


# --- visits: observers in the attendance -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_visit_members_appear_in_the_meeting_attendance_as_observers(client, supervisor, make_user, town_x):
    no_rules()
    colleague = make_user(Role.SUPERVISOR, COUNTY, username="duda2")
    client.force_login(supervisor)
    response = client.post(reverse("meetings:visit_plan"), {
        "division": TOWN_X, "planned_on": timezone.localdate().isoformat(), "purpose": "列席镇街例会，督导研判质量",
        "members": [supervisor.pk, colleague.pk]})
    assert response.status_code == 302
    visit = OversightVisit.objects.get()
    early = client.post(reverse("meetings:visit_record", args=[visit.pk]), {"findings": ""}, follow=True)
    assert "尚未召开" in early.content.decode()  # no meeting yet: nothing recorded

    meeting = open_meeting(town_x)
    assert client.post(reverse("meetings:visit_record", args=[visit.pk]), {"findings": "研判充分"}).status_code == 302
    observers = Attendance.objects.filter(meeting=meeting, kind=AttendeeKind.OBSERVER)
    assert {a.user_id for a in observers} == {supervisor.pk, colleague.pk}
    client.force_login(town_x)
    detail = client.get(meeting.get_absolute_url()).content.decode()
    assert "督导组" in detail and "duda2" in detail
    close(town_x, meeting)
    minutes = client.get(reverse("meetings:minutes", args=[meeting.pk])).content.decode()
    assert "<b>督导组：</b>" in minutes and "duda" in minutes


@pytest.mark.django_db
def test_visit_needs_supervisor_members_and_a_division(client, supervisor, town_x):
    client.force_login(supervisor)
    response = client.post(reverse("meetings:visit_plan"), {
        "division": TOWN_X, "planned_on": timezone.localdate().isoformat(), "purpose": "督导",
        "members": [town_x.pk]})
    assert response.status_code == 400 and "督导组成员" in response.content.decode()
    client.force_login(town_x)
    assert client.post(reverse("meetings:visit_plan"), {}).status_code == 403


# --- 督导意见 -------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_opinion_must_be_answered_by_the_convener_and_appears_on_the_minutes(client, supervisor, town_x,
                                                                           secretary_a, town_y):
    no_rules()
    meeting = open_meeting(town_x)
    client.force_login(supervisor)
    response = client.post(reverse("meetings:opinion_add"), {"meeting": meeting.pk, "text": "研判记录过简，请补充调处措施"})
    assert response.status_code == 302
    opinion = OversightOpinion.objects.get()
    assert opinion.meeting == meeting and opinion.is_open
    answer_url = reverse("meetings:opinion_answer", args=[opinion.pk])
    assert client.get(answer_url).status_code == 403  # the 督导组 does not answer its own opinion

    for outsider in (town_y, secretary_a):  # another town; a village of the town (not this meeting's writers)
        client.force_login(outsider)
        assert client.get(answer_url).status_code == 404
        assert "研判记录过简" not in client.get(reverse("meetings:opinions")).content.decode()

    client.force_login(town_x)
    listed = client.get(reverse("meetings:opinions")).content.decode()
    assert "研判记录过简" in listed and answer_url in listed
    assert any(i.label == "督导意见" for i in menu_for(town_x))
    empty = client.post(answer_url, {"answer": "  "})
    assert empty.status_code == 400 and "请填写答复内容" in empty.content.decode()
    assert OversightOpinion.objects.get().is_open
    assert client.post(answer_url, {"answer": "已补充调处措施，责任人本周内入户"}).status_code == 302
    opinion.refresh_from_db()
    assert opinion.answered_by == town_x and opinion.answer.startswith("已补充")
    assert client.post(answer_url, {"answer": "再答一次"}).status_code == 400  # answered once

    close(town_x, meeting)
    minutes = client.get(reverse("meetings:minutes", args=[meeting.pk])).content.decode()
    assert "督导意见及答复" in minutes and "研判记录过简" in minutes and "已补充调处措施" in minutes


@pytest.mark.django_db
def test_opinion_on_a_case_is_answered_by_its_holding_tier(client, supervisor, secretary_a, secretary_b, make_case):
    case = make_case(secretary_a, VILLAGE_A)
    client.force_login(supervisor)
    assert client.post(reverse("meetings:opinion_add"), {"number": case.number, "text": "请核实当事人诉求"}).status_code == 302
    opinion = OversightOpinion.objects.get()
    assert opinion.dispute == case and opinion.meeting is None
    assert client.post(reverse("meetings:opinion_add"), {"text": "没有对象"}).status_code == 400
    typo = client.post(reverse("meetings:opinion_add"), {"number": "JX-1999-000001", "text": "编号有误"})
    assert typo.status_code == 400 and "未找到该案件" in typo.content.decode()
    assert OversightOpinion.objects.count() == 1
    client.force_login(secretary_b)
    assert client.get(reverse("meetings:opinion_answer", args=[opinion.pk])).status_code == 404
    client.force_login(secretary_a)
    assert client.post(reverse("meetings:opinion_answer", args=[opinion.pk]), {"answer": "已核实"}).status_code == 302
    assert OversightOpinion.objects.get().answer == "已核实"


@pytest.mark.django_db
def test_roles_that_neither_oversee_nor_convene_get_403(client, unit_user, auditor):
    for user in (unit_user, auditor):
        client.force_login(user)
        assert client.get(reverse("meetings:opinions")).status_code == 403
        assert client.get(reverse("meetings:opinion_add")).status_code == 403


@pytest.mark.django_db
def test_supervisor_menu_has_oversight_and_ranking(supervisor):
    labels = [i.label for i in menu_for(supervisor)]
    assert "督导工作" in labels and "互学互比" in labels
    assert not SpotCheckItem.objects.exists()


@pytest.mark.django_db
def test_sample_page_queries_do_not_grow_with_its_cases(client, supervisor, closed_cases, make_case, secretary_a):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    town = Division.objects.get(code=TOWN_X)
    start, end = timezone.localdate().replace(day=1), timezone.localdate()
    small = oversight_services.draw_sample(actor=supervisor, town=town, start=start, end=end, size=2, seed=1)
    SpotCheckSample.objects.filter(pk=small.pk).update(period_start=start.replace(year=start.year - 5),
                                                       period_end=start.replace(year=start.year - 5))
    large = oversight_services.draw_sample(actor=supervisor, town=town, start=start, end=end, size=6, seed=2)
    client.force_login(supervisor)
    counts = []
    for sample in (small, large):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("meetings:sample_detail", args=[sample.pk])).status_code == 200
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts


@pytest.mark.django_db
def test_every_oversight_write_is_a_service_with_one_audit_row(supervisor, town_x, closed_cases):
    import inspect

    no_rules()
    public = {name for name, fn in inspect.getmembers(oversight_services, inspect.isfunction)
              if fn.__module__ == oversight_services.__name__ and not name.startswith("_")
              and "actor" in inspect.signature(fn).parameters}
    walked = set()

    def audits():
        return AuditEntry.objects.filter(action="meeting_write").count()

    def do(service, actor=supervisor, **kwargs):
        walked.add(service)
        before = audits()
        result = getattr(oversight_services, service)(actor=actor, **kwargs)
        assert audits() == before + 1, service
        return result

    meeting = open_meeting(town_x)
    visit = do("plan_visit", division=Division.objects.get(code=TOWN_X), planned_on=timezone.localdate(),
               purpose="列席", members=[supervisor])
    do("record_visit", visit=visit)
    opinion = do("give_opinion", meeting=meeting, text="意见")
    do("answer_opinion", actor=town_x, opinion=opinion, answer="答复")
    sample = do("draw_sample", town=Division.objects.get(code=TOWN_X), start=timezone.localdate().replace(day=1),
                end=timezone.localdate(), size=1, seed=3)
    do("record_phone_back", item=sample.items.get(), reached=False, note="未接通")
    do("close_sample", sample=sample)
    for refused in ("redraw_sample", "delete_sample"):
        walked.add(refused)
        with pytest.raises(Refused):
            getattr(oversight_services, refused)(actor=supervisor, sample=sample)
    assert walked == public
