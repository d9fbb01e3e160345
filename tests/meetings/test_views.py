"""Every meeting page: success, other jurisdiction (404), wrong role (403), anonymous (login), GET on writes (405),
and bad input that never turns into a server error."""

import io

import docx
import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from cases import services as case_services
from cases.models import Dispute, Status, Tier
from meetings.models import Attendance, FlagOverride, Meeting, MeetingStatus, Review
from org.models import Role, Unit
from org.people import person_for
from tests.conftest import COUNTY, TOWN_X, VILLAGE_A
from tests.meetings import DAY, close_data, no_rules, open_meeting, rule

pytestmark = pytest.mark.urls("tests.meetings")


@pytest.fixture
def world(make_case, make_user, secretary_a, town_x):
    """Town X's open meeting with a referral waiting for 签收 and a town case carrying a rule flag."""
    no_rules()
    flag_rule = rule(name="镇街案件须预警", tier="town")
    referred = make_case(secretary_a, VILLAGE_A, title="待签收的提请")
    case_services.refer_up(actor=secretary_a, dispute=referred, reason="调解未果")
    flagged = make_case(secretary_a, VILLAGE_A, tier=Tier.TOWN, status=Status.IN_PROGRESS, title="有规则提示")
    meeting = open_meeting(town_x)
    return {
        "meeting": meeting, "referred": referred, "flagged": flagged, "rule": flag_rule,
        "staff": make_user(Role.TOWN_STAFF, TOWN_X, username="staff_x"),
        "supervisor": make_user(Role.SUPERVISOR, COUNTY, username="supervisor"),
        "discipline": make_user(Role.DISCIPLINE, TOWN_X, username="discipline_x"),
    }


def write_requests(w):
    """(url, POST data) of every write on the meeting, valid for its writers."""
    m, flagged = w["meeting"], w["flagged"]
    attendee = Attendance.objects.filter(meeting=m).first()
    return [
        (reverse("meetings:edit", args=[m.pk]),
         {"held_on": timezone.localdate(), "place": "三楼会议室", "form": "room"}),
        (reverse("meetings:attendance_add", args=[m.pk]), {"kind": "guest", "name": "王律师"}),
        (reverse("meetings:attendance_remove", args=[m.pk, attendee.pk]), {}),
        (reverse("meetings:review", args=[m.pk, flagged.number]), {"analysis": "继续跟踪", "decision": "continue"}),
        (reverse("meetings:override", args=[m.pk, flagged.number]), {"rule_id": w["rule"].pk, "reason": "已稳控"}),
        (reverse("meetings:close", args=[m.pk]), {}),
    ]


def read_urls(m):
    return [reverse("meetings:detail", args=[m.pk]), reverse("meetings:minutes", args=[m.pk]),
            reverse("meetings:minutes_docx", args=[m.pk])]


def snapshot(meeting):
    meeting = Meeting.objects.get(pk=meeting.pk)
    return (meeting.status, meeting.place, Attendance.objects.filter(meeting=meeting).count(),
            Review.objects.filter(meeting=meeting).count(), FlagOverride.objects.filter(meeting=meeting).count())


# --- access ----------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_anonymous_is_sent_to_login_everywhere(client, world):
    m = world["meeting"]
    urls = [reverse("meetings:list"), reverse("meetings:open"), reverse("meetings:compliance"), *read_urls(m)]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login")), url
    before = snapshot(m)
    for url, data in write_requests(world):
        response = client.post(url, data)
        assert response.status_code == 302 and response.url.startswith(reverse("login")), url
    assert snapshot(m) == before


@pytest.mark.django_db
def test_other_jurisdiction_gets_404_on_every_meeting_url(client, world, town_y, secretary_a, auditor, sysadmin):
    m = world["meeting"]
    before = snapshot(m)
    for user in (town_y, secretary_a, auditor, sysadmin):  # a village is inside the town, not the other way round
        client.force_login(user)
        for url in read_urls(m):
            assert client.get(url).status_code == 404, (user, url)
        for url, data in write_requests(world):
            assert client.post(url, data).status_code == 404, (user, url)
    assert snapshot(m) == before


@pytest.mark.django_db
def test_read_only_roles_see_the_meeting_but_get_403_on_writes(client, world):
    m = world["meeting"]
    before = snapshot(m)
    for user in (world["supervisor"], world["discipline"]):
        client.force_login(user)
        for url in read_urls(m):
            assert client.get(url).status_code == 200, (user, url)
        body = client.get(reverse("meetings:detail", args=[m.pk])).content.decode()
        assert world["flagged"].number in body and "研判与决定" not in body and "闭会并生成纪要" not in body
        for url, data in write_requests(world):
            assert client.post(url, data).status_code == 403, (user, url)
        assert client.get(reverse("meetings:open")).status_code == 403
        assert client.post(reverse("meetings:open"), {"held_on": timezone.localdate(), "place": "x",
                                                      "form": "room"}).status_code == 403
    assert snapshot(m) == before


@pytest.mark.django_db
def test_another_writer_of_the_same_division_may_write(client, world):
    client.force_login(world["staff"])
    url, data = write_requests(world)[1]
    assert client.post(url, data).status_code == 302
    assert Attendance.objects.filter(meeting=world["meeting"], name="王律师").exists()


@pytest.mark.django_db
def test_writes_refuse_get(client, world, town_x):
    client.force_login(town_x)
    for url, _ in write_requests(world):
        assert client.get(url).status_code == 405, url


# --- list and open ---------------------------------------------------------------------------------------------------


def past_meetings(division_code, convener, n, start=1):
    today = timezone.localdate()
    rows = []
    for i in range(start, start + n):
        iso = (today - i * 7 * DAY).isocalendar()
        rows.append(Meeting(tier=Tier.TOWN, division_id=division_code, iso_year=iso.year, iso_week=iso.week,
                            held_on=today - i * 7 * DAY, place="会议室", convener=convener, status="closed"))
    Meeting.objects.bulk_create(rows)


@pytest.mark.django_db
def test_list_shows_this_divisions_meetings_with_a_fixed_query_count(client, town_x, town_y):
    client.force_login(town_x)
    response = client.get(reverse("meetings:list"))
    assert response.status_code == 200 and "召开本周例会" in response.content.decode()
    past_meetings(TOWN_X, town_x, 5)
    past_meetings("370829101000", town_y, 3)
    with CaptureQueriesContext(connection) as small:
        body = client.get(reverse("meetings:list")).content.decode()
    assert body.count("周例会</strong>") == 5 and "纸坊镇" not in body
    past_meetings(TOWN_X, town_x, 60, start=6)
    with CaptureQueriesContext(connection) as large:
        body = client.get(reverse("meetings:list")).content.decode()
    assert body.count("周例会</strong>") == settings.CASE_LIST_PAGE_SIZE and "下一页" in body
    assert len(small.captured_queries) == len(large.captured_queries) <= 8
    assert client.get(reverse("meetings:list") + "?page=3").status_code == 200
    assert client.get(reverse("meetings:list") + "?page=x").status_code == 200


@pytest.mark.django_db
def test_open_this_weeks_meeting_once(client, secretary_a):
    client.force_login(secretary_a)
    assert "召开本周例会" in client.get(reverse("meetings:open")).content.decode()
    data = {"held_on": timezone.localdate().isoformat(), "place": "村委会议室", "form": "field"}
    response = client.post(reverse("meetings:open"), data)
    meeting = Meeting.objects.get()
    assert response.status_code == 302 and response.url == meeting.get_absolute_url()
    assert (meeting.tier, meeting.division_id, meeting.form) == (Tier.VILLAGE, VILLAGE_A, "field")
    again = client.post(reverse("meetings:open"), data)
    assert again.url == meeting.get_absolute_url() and Meeting.objects.count() == 1
    assert client.get(reverse("meetings:open")).url == meeting.get_absolute_url()
    assert "进入本周例会" in client.get(reverse("meetings:list")).content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("data", [
    {}, {"held_on": "昨天", "place": "x", "form": "room"}, {"held_on": "2020-01-01", "place": "x", "form": "room"},
    {"held_on": "2026-13-45", "place": "x", "form": "nope"}, {"held_on": "", "place": "x" * 500, "form": "room"},
])
def test_open_with_bad_input_shows_errors(client, secretary_a, data):
    client.force_login(secretary_a)
    response = client.post(reverse("meetings:open"), data)
    assert response.status_code == 200 and not Meeting.objects.exists()
    assert "error" in response.content.decode()


# --- the meeting page ------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_meeting_page_shows_the_agenda_and_opens_one_review_form(client, world, town_x):
    m, referred, flagged = world["meeting"], world["referred"], world["flagged"]
    client.force_login(town_x)
    body = client.get(reverse("meetings:detail", args=[m.pk])).content.decode()
    assert referred.number in body and flagged.number in body
    assert "待签收" in body and "规则提示" in body and "不予处理并说明理由" in body
    assert 'name="analysis"' not in body  # forms open one at a time
    body = client.get(reverse("meetings:detail", args=[m.pk]) + f"?review={referred.pk}").content.decode()
    assert body.count('name="analysis"') == 1
    assert 'value="accept"' in body and 'value="return"' in body and 'value="assign"' not in body
    body = client.get(reverse("meetings:detail", args=[m.pk]) + f"?review={flagged.pk}").content.decode()
    assert 'value="assign"' in body and 'value="accept"' not in body and "包案领导" in body
    for junk in ("abc", "-1", "99999999", ""):
        assert client.get(reverse("meetings:detail", args=[m.pk]) + f"?review={junk}").status_code == 200


@pytest.mark.django_db
def test_review_saves_and_runs_the_decision_then_opens_the_next_item(client, world, town_x):
    m, referred, flagged = world["meeting"], world["referred"], world["flagged"]
    client.force_login(town_x)
    response = client.post(reverse("meetings:review", args=[m.pk, referred.number]),
                           {"analysis": "情况属实，签收", "decision": "accept"})
    assert response.status_code == 302 and response.url.endswith(f"?review={flagged.pk}#item-{flagged.pk}")
    referred.refresh_from_db()
    assert referred.tier == Tier.TOWN and Review.objects.get(dispute=referred).decision == "accept"
    staff, unit = world["staff"], Unit.objects.get(name="嘉祥街道司法所")
    response = client.post(reverse("meetings:review", args=[m.pk, flagged.number]), {
        "analysis": "落实四定", "decision": "assign", "lead_leader": person_for(town_x).pk, "responsible_unit": unit.pk,
        "responsible_person": person_for(staff).pk, "measures": "组织调解",
        "deadline": (timezone.localdate() + 5 * DAY).isoformat(),
    })
    assert response.status_code == 302
    assignment = Dispute.objects.get(pk=flagged.pk).assignments.get(active=True)
    assert assignment.meeting == m and timezone.localtime(assignment.deadline).date() == timezone.localdate() + 5 * DAY


@pytest.mark.django_db
def test_refused_decision_shows_a_chinese_form_error_and_saves_nothing(client, world, town_x):
    m, flagged = world["meeting"], world["flagged"]
    client.force_login(town_x)
    version = Dispute.objects.get(pk=flagged.pk).version
    response = client.post(reverse("meetings:review", args=[m.pk, flagged.number]),
                           {"analysis": "已化解", "decision": "resolve", "outcome": "success"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "包反馈" in body and 'name="analysis"' in body and "已化解" in body
    assert not Review.objects.exists() and Dispute.objects.get(pk=flagged.pk).version == version


@pytest.mark.django_db
@pytest.mark.parametrize("data", [
    {}, {"analysis": "x"}, {"analysis": "x", "decision": "nonsense"}, {"analysis": "x", "decision": "accept"},
    {"analysis": "x", "decision": "assign", "lead_leader": "abc", "responsible_unit": "999999",
     "responsible_person": "-1", "deadline": "明天"},
    {"analysis": "x", "decision": "assign", "measures": "y"},
    {"analysis": "x", "decision": "warn", "level": "purple", "triggers": ["<script>"], "reassess_on": "2026-02-30"},
    {"analysis": "x" * 5000, "decision": "continue"},
    {"analysis": "x", "decision": "transfer", "unit": "1"},
])
def test_review_with_bad_input_never_errors(client, world, town_x, data):
    client.force_login(town_x)
    m, flagged = world["meeting"], world["flagged"]
    response = client.post(reverse("meetings:review", args=[m.pk, flagged.number]), data)
    assert response.status_code == 200
    assert not Review.objects.exists()


@pytest.mark.django_db
def test_review_of_a_case_outside_the_jurisdiction_or_agenda(client, world, town_x, make_case, secretary_c,
                                                            secretary_a):
    m = world["meeting"]
    client.force_login(town_x)
    other_town = make_case(secretary_c, "370829101200")
    assert client.post(reverse("meetings:review", args=[m.pk, other_town.number]),
                       {"analysis": "x", "decision": "continue"}).status_code == 404
    assert client.post(reverse("meetings:review", args=[m.pk, "JX-0000-000000"]),
                       {"analysis": "x", "decision": "continue"}).status_code == 404
    village_held = make_case(secretary_a, VILLAGE_A, title="村里自己办")  # visible, but not on the town's agenda
    response = client.post(reverse("meetings:review", args=[m.pk, village_held.number]),
                           {"analysis": "x", "decision": "continue"}, follow=True)
    assert "不在本次例会的议程中" in response.content.decode() and not Review.objects.exists()


@pytest.mark.django_db
def test_edit_and_attendance(client, world, town_x):
    m = world["meeting"]
    client.force_login(town_x)
    url, data = write_requests(world)[0]
    assert client.post(url, {**data, "summary": "研判3件"}).status_code == 302
    m.refresh_from_db()
    assert m.place == "三楼会议室" and m.summary == "研判3件"
    bad = client.post(url, {"held_on": (timezone.localdate() - 14 * DAY).isoformat(), "place": "x", "form": "room"})
    assert bad.status_code == 200 and "所在的周内" in bad.content.decode()
    assert client.post(url, {"held_on": "x", "form": "?"}).status_code == 200
    add = reverse("meetings:attendance_add", args=[m.pk])
    assert client.post(add, {"kind": "observer", "name": "李督导", "unit": "县第一督导组"}).status_code == 302
    assert client.post(add, {"kind": "nobody", "name": ""}).status_code == 200
    guest = Attendance.objects.get(meeting=m, name="李督导")
    remove = reverse("meetings:attendance_remove", args=[m.pk, guest.pk])
    unconfirmed = client.post(remove, follow=True)  # removing needs the confirmation tick (no JavaScript needed)
    assert "请勾选“确认移除”" in unconfirmed.content.decode()
    assert Attendance.objects.filter(pk=guest.pk).exists()
    assert client.post(remove, {"confirm": "on"}).status_code == 302
    assert not Attendance.objects.filter(pk=guest.pk).exists()
    response = client.post(reverse("meetings:attendance_remove", args=[m.pk, 999999]), {"confirm": "on"},
                           follow=True)
    assert "未找到该参会人员" in response.content.decode()


@pytest.mark.django_db
def test_close_is_refused_with_the_cases_listed_then_override_lets_it_close(client, world, town_x):
    m, flagged = world["meeting"], world["flagged"]
    client.force_login(town_x)
    response = client.post(reverse("meetings:close", args=[m.pk]), close_data(m))
    body = response.content.decode()
    assert "不能闭会" in body and flagged.number in body and "镇街案件须预警" in body
    assert Meeting.objects.get(pk=m.pk).status == MeetingStatus.OPEN
    override = reverse("meetings:override", args=[m.pk, flagged.number])
    assert "请填写" in client.post(override, {"rule_id": world["rule"].pk, "reason": ""}, follow=True).content.decode()
    assert "已不存在" in client.post(override, {"rule_id": 424242, "reason": "x"}, follow=True).content.decode()
    assert client.post(override, {"rule_id": "abc", "reason": "x"}).status_code == 302
    assert client.post(override, {"rule_id": world["rule"].pk, "reason": "已稳控"}).status_code == 302
    assert client.post(reverse("meetings:close", args=[m.pk]), close_data(m)).status_code == 302
    m.refresh_from_db()
    assert m.status == MeetingStatus.CLOSED
    body = client.get(m.get_absolute_url()).content.decode()
    assert "会议纪要" in body and "研判与决定" not in body and "闭会并生成纪要" not in body
    # Closed: writes are refused with a message, nothing changes.
    before = snapshot(m)
    for url, data in write_requests(world):
        assert client.post(url, data).status_code in (200, 302), url
    assert snapshot(m) == before


# --- minutes ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def closed_meeting(client, world, town_x):
    m, referred = world["meeting"], world["referred"]
    client.force_login(town_x)
    client.post(reverse("meetings:review", args=[m.pk, referred.number]), {"analysis": "签收", "decision": "accept"})
    client.post(reverse("meetings:review", args=[m.pk, referred.number]), {
        "analysis": "司法所牵头调处", "decision": "assign", "lead_leader": person_for(town_x).pk,
        "responsible_unit": Unit.objects.get(name="嘉祥街道司法所").pk, "responsible_person": person_for(world["staff"]).pk,
        "measures": "实地勘界并组织调解",
    })
    for case in (world["flagged"], referred):  # once accepted, the referral is a town case: the rule flags it too
        client.post(reverse("meetings:override", args=[m.pk, case.number]),
                    {"rule_id": world["rule"].pk, "reason": "已稳控"})
    assert client.post(reverse("meetings:close", args=[m.pk]), close_data(m)).status_code == 302
    m.refresh_from_db()
    assert m.status == MeetingStatus.CLOSED
    return m


@pytest.mark.django_db
def test_minutes_docx_opens_and_holds_each_case_number_decision_and_four_decisions(client, world, closed_meeting):
    response = client.get(reverse("meetings:minutes_docx", args=[closed_meeting.pk]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.wordprocessingml")
    assert "attachment" in response["Content-Disposition"] and ".docx" in response["Content-Disposition"]
    document = docx.Document(io.BytesIO(response.content))
    text = "\n".join(p.text for p in document.paragraphs)
    text += "\n".join(cell.text for table in document.tables for row in table.rows for cell in row.cells)
    title = f"嘉祥街道{closed_meeting.iso_year}年第{closed_meeting.iso_week}周平安周例会纪要"
    assert document.paragraphs[0].text == title
    for expected in (world["referred"].number, "落实四定继续办理", "包案领导", "town_x", "嘉祥街道司法所", "责任人",
                     "staff_x", "办结时限", "实地勘界并组织调解", "已稳控"):
        assert expected in text, expected
    entry = AuditEntry.objects.get(action="export")  # every export is logged
    assert (entry.object_type, entry.object_id, entry.username) == ("meetings.meeting", str(closed_meeting.pk),
                                                                   "town_x")


@pytest.mark.django_db
def test_minutes_print_page_is_a4_and_shows_the_frozen_record(client, world, closed_meeting):
    body = client.get(reverse("meetings:minutes", args=[closed_meeting.pk])).content.decode()
    assert "平安周例会纪要" in body and world["referred"].number in body and "落实四定继续办理" in body
    assert "实地勘界并组织调解" in body and "css/meetings.css" in body and "data-print" in body
    css = (settings.BASE_DIR / "static" / "css" / "meetings.css").read_text()
    assert "@page { size: A4" in css
    assert "<script>" not in body  # no inline scripts (CSP)


@pytest.mark.django_db
def test_minutes_show_only_the_cases_the_viewer_may_see(world, closed_meeting, make_user):
    # The county 纪委 reads every meeting but sees only county and supervised cases. (A unit without a case at this
    # meeting no longer opens it at all: tests/meetings/test_unit_visibility.py.)
    county_discipline = make_user(Role.DISCIPLINE, COUNTY)
    client = Client()  # no messages left over from the writer's session
    client.force_login(county_discipline)
    body = client.get(reverse("meetings:minutes", args=[closed_meeting.pk])).content.decode()
    assert world["referred"].number not in body and "不在您的查看范围内" in body
    client.force_login(world["supervisor"])
    body = client.get(reverse("meetings:minutes", args=[closed_meeting.pk])).content.decode()
    assert world["referred"].number in body


@pytest.mark.django_db
def test_draft_minutes_of_an_open_meeting(client, world, town_x):
    client.force_login(town_x)
    body = client.get(reverse("meetings:minutes", args=[world["meeting"].pk])).content.decode()
    assert "草稿" in body
    response = client.get(reverse("meetings:minutes_docx", args=[world["meeting"].pk]))
    assert "草稿" in "\n".join(p.text for p in docx.Document(io.BytesIO(response.content)).paragraphs)


@pytest.mark.django_db
def test_village_and_county_meeting_pages(client, make_case, secretary_a, county_user):
    no_rules()
    case = make_case(secretary_a, VILLAGE_A)
    village_meeting = open_meeting(secretary_a)
    client.force_login(secretary_a)
    body = client.get(village_meeting.get_absolute_url() + f"?review={case.pk}").content.decode()
    assert 'value="mediate"' in body and 'value="assign"' not in body and "包案领导" not in body
    response = client.post(reverse("meetings:review", args=[village_meeting.pk, case.number]),
                           {"analysis": "当场说和", "decision": "mediate", "outcome": "success"})
    assert response.status_code == 302 and Dispute.objects.get(pk=case.pk).status == Status.RESOLVED
    county_case = make_case(secretary_a, VILLAGE_A, tier=Tier.COUNTY, status=Status.IN_PROGRESS)
    county_meeting = open_meeting(county_user)
    client.force_login(county_user)
    body = client.get(county_meeting.get_absolute_url() + f"?review={county_case.pk}").content.decode()
    assert 'value="transfer"' in body and "县涉土纠纷人民调解委员会" in body and "嘉祥街道司法所" not in body
    assert client.get(village_meeting.get_absolute_url()).status_code == 200  # the county sees all meetings
    assert client.post(reverse("meetings:close", args=[village_meeting.pk])).status_code == 403


@pytest.mark.django_db
def test_admin_lists_meetings_read_only_and_without_case_content(rf, world, admin_user):
    from django.contrib import admin

    assert admin.site.is_registered(Meeting)
    assert not admin.site.is_registered(Review) and not admin.site.is_registered(FlagOverride)
    model_admin = admin.site._registry[Meeting]
    request = rf.get("/admin/meetings/meeting/")
    request.user = admin_user
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, world["meeting"])
    assert not model_admin.has_delete_permission(request, world["meeting"])
    assert model_admin.has_view_permission(request, world["meeting"])
    assert "minutes" not in model_admin.fields and "summary" not in model_admin.fields
