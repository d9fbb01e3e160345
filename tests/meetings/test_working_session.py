"""The meeting as a working session (issue 11 #4): one screen per agenda item with the case beside the form,
save-and-next, the error summary at the form, only the decisions the case can take, the projector table, weeks as
dates, several attendees at once."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases import services as case_services
from cases.models import Dispute, Status, Tier
from meetings.models import Attendance, AttendeeKind, Review
from meetings.selectors import Week
from org.models import Person, Role, Unit
from org.people import person_for
from tests.conftest import TOWN_X, TOWN_Y, VILLAGE_A, VILLAGE_B
from tests.meetings import clone_cases, close_data, no_rules, open_meeting
from tests.meetings.test_agenda import populate

pytestmark = pytest.mark.urls("tests.meetings")

DESCRIPTION = "两户为排水沟走向争执，已两次到村委会反映。"


@pytest.fixture
def session(make_case, secretary_a, secretary_b, town_x):
    """Town X's open meeting with three items: a referral waiting for 签收 and two town cases in 调处中."""
    no_rules()
    referred = make_case(secretary_a, VILLAGE_A, title="待签收的排水纠纷", description=DESCRIPTION)
    case_services.refer_up(actor=secretary_a, dispute=referred, reason="村级调解未果")
    first = make_case(secretary_a, VILLAGE_A, tier=Tier.TOWN, status=Status.IN_PROGRESS, title="宅基地纠纷",
                      description=DESCRIPTION)
    second = make_case(secretary_b, VILLAGE_B, tier=Tier.TOWN, status=Status.IN_PROGRESS, title="土地承包纠纷")
    meeting = open_meeting(town_x)
    return {"meeting": meeting, "referred": referred, "first": first, "second": second}


def item_url(meeting, case):
    return reverse("meetings:item", args=[meeting.pk, case.number])


def listed_numbers(client, meeting):
    """The case numbers in agenda order, as the table view lists them."""
    body = client.get(reverse("meetings:table", args=[meeting.pk])).content.decode()
    return re.findall(r'<td class="num"[^>]*><a href="[^"]+">([^<]+)</a>', body)


@pytest.mark.django_db
def test_item_page_shows_the_case_facts_beside_the_review_form(client, session, town_x):
    m, case = session["meeting"], session["first"]
    client.force_login(town_x)
    body = client.get(item_url(m, case)).content.decode()
    assert 'class="session-grid"' in body and 'name="analysis"' in body
    assert DESCRIPTION in body and case.title in body
    assert "张三" in body and "138****5678" in body and "13812345678" not in body  # parties masked
    assert "办结时限" in body and "clock" in body  # the running clock, with its badge
    recent = re.search(r'<ol class="timeline recent">.*?</ol>', body, re.S).group(0)  # the last events
    assert "<strong>签收</strong>" in recent and "<strong>提请上级</strong>" in recent
    assert recent.index("签收") < recent.index("提请上级")  # newest first
    assert "保存并下一项" in body and ">保存</button>" in body
    assert "<script>" not in body  # static JS only (CSP)


@pytest.mark.django_db
def test_a_review_with_an_error_shows_the_summary_linking_to_the_fields_and_the_errors_at_them(client, session,
                                                                                             town_x):
    m, case = session["meeting"], session["first"]
    client.force_login(town_x)
    response = client.post(item_url(m, case), {"analysis": "", "decision": "assign", "measures": "调解"})
    assert response.status_code == 200 and not Review.objects.exists()
    body = response.content.decode()
    summary = re.search(r'<div class="error-summary".*?</div>', body, re.S).group(0)
    assert "data-focus-on-load" in summary and "js/error-summary.js" in body
    # 研判意见 missing, and 落实四定 needs 包案领导, 责任单位, 责任人: four errors, each a link to its field.
    assert "请修改以下4处：" in summary
    for name in ("analysis", "lead_leader", "responsible_unit", "responsible_person"):
        field_id = f"r{case.pk}_{name}"
        assert f'href="#{field_id}"' in summary and f'id="{field_id}"' in body
    analysis_field = re.search(r'<div class="field has-error">(?:(?!<div class="field).)*?name="analysis".*?</div>',
                               body, re.S).group(0)
    assert "请填写研判意见。" in analysis_field
    assert DESCRIPTION in body and "138****5678" in body  # the case facts are still beside the form
    assert body.index("请修改以下") < body.index('name="analysis"')  # the summary opens the form


@pytest.mark.django_db
def test_the_agenda_pages_inline_form_also_shows_the_summary(client, session, town_x):
    m, case = session["meeting"], session["first"]
    client.force_login(town_x)
    body = client.post(reverse("meetings:review", args=[m.pk, case.number]), {"decision": "continue"}).content.decode()
    assert "请修改以下1处：" in body and f'href="#r{case.pk}_analysis"' in body


@pytest.mark.django_db
def test_save_and_next_goes_through_the_agenda_then_back_to_it(client, session, town_x):
    m = session["meeting"]
    client.force_login(town_x)
    order = listed_numbers(client, m)
    assert sorted(order) == sorted(session[k].number for k in ("referred", "first", "second"))
    stay = client.post(reverse("meetings:item", args=[m.pk, order[1]]), {"analysis": "先看", "decision": "continue",
                                                                          "then": "stay"})
    assert stay.status_code == 302 and stay.url == reverse("meetings:item", args=[m.pk, order[1]])
    Review.objects.all().delete()
    decisions = {session["referred"].number: "accept"}
    for i, number in enumerate(order):
        response = client.post(reverse("meetings:item", args=[m.pk, number]), {
            "analysis": f"第{i + 1}件研判", "decision": decisions.get(number, "continue"), "then": "next"})
        assert response.status_code == 302, response.content.decode()[:2000]
        if i + 1 < len(order):
            assert response.url == reverse("meetings:item", args=[m.pk, order[i + 1]])
        else:
            assert response.url == m.get_absolute_url() + "#close"
    assert Review.objects.filter(meeting=m).count() == 3
    body = client.get(m.get_absolute_url()).content.decode()
    assert "议程上的案件均已研判，可以闭会。" in body


@pytest.mark.django_db
def test_only_decisions_the_case_can_take_are_offered_and_a_forged_one_is_refused(client, session, town_x):
    m, referred, town_case = session["meeting"], session["referred"], session["first"]
    client.force_login(town_x)
    body = client.get(item_url(m, referred)).content.decode()
    assert 'value="accept"' in body and 'value="return"' in body
    assert 'value="assign"' not in body and 'value="resolve"' not in body
    # A town case without a 包反馈 cannot be 化解: not offered; 落实四定 is.
    body = client.get(item_url(m, town_case)).content.decode()
    assert 'value="assign"' in body and 'value="resolve"' not in body and 'value="accept"' not in body
    version = town_case.version
    response = client.post(item_url(m, town_case), {"analysis": "已化解", "decision": "resolve", "outcome": "success"})
    body = response.content.decode()
    assert response.status_code == 200 and "“已化解”当前不能选择：" in body and "包反馈" in body
    assert f'href="#r{town_case.pk}_decision"' in body
    response = client.post(item_url(m, referred), {"analysis": "x", "decision": "assign", "lead_leader": person_for(town_x).pk})
    assert "“落实四定继续办理”当前不能选择：案件当前状态为“已提请”" in response.content.decode()
    assert not Review.objects.exists()
    town_case.refresh_from_db()
    assert town_case.version == version
    # Once the 包反馈 is recorded, 化解 is offered.
    case_services.record_duty(actor=town_x, dispute=town_case, kind="feedback", on_date=timezone.localdate(),
                              text="已反馈")
    assert 'value="resolve"' in client.get(item_url(m, town_case)).content.decode()


@pytest.mark.django_db
def test_read_only_roles_see_the_item_without_the_form(client, session, make_user):
    client.force_login(make_user(Role.SUPERVISOR, "370829000000"))
    response = client.get(item_url(session["meeting"], session["first"]))
    body = response.content.decode()
    assert response.status_code == 200 and DESCRIPTION in body and 'name="analysis"' not in body
    assert client.post(item_url(session["meeting"], session["first"]), {}).status_code == 403


@pytest.mark.django_db
def test_item_page_of_a_case_off_the_agenda_or_of_a_closed_meeting(client, session, town_x, make_case,
                                                                   secretary_a):
    m = session["meeting"]
    client.force_login(town_x)
    village_held = make_case(secretary_a, VILLAGE_A, title="村里自己办")
    response = client.get(item_url(m, village_held), follow=True)
    assert "不在本次例会的议程中" in response.content.decode()
    assert client.get(reverse("meetings:item", args=[m.pk, "JX-0000-000000"])).status_code == 404


@pytest.mark.django_db
def test_table_view_lists_every_item_with_clocks_and_the_decision_so_far(client, session, town_x):
    m = session["meeting"]
    client.force_login(town_x)
    client.post(item_url(m, session["second"]), {"analysis": "继续跟踪", "decision": "continue"})
    body = client.get(reverse("meetings:table", args=[m.pk])).content.decode()
    assert 'class="projector"' in body and body.count("<tr") == 4  # the header and one row per item
    for key in ("referred", "first", "second"):
        case = session[key]
        assert case.number in body and case.title in body
    assert "刘山村" in body and "唐庄村" in body and "蓝" in body and "调处中" in body and "已提请" in body
    assert "办结时限" in body and "继续跟踪" in body and "已研判 1 件" in body
    assert "12月" in body or "月" in body  # the week label
    # Closed: the frozen minutes' items.
    for key in ("referred", "first"):
        client.post(item_url(m, session[key]), {"analysis": "签收" if key == "referred" else "继续",
                                                "decision": "accept" if key == "referred" else "continue"})
    assert client.post(reverse("meetings:close", args=[m.pk]), close_data(m)).status_code == 302
    body = client.get(reverse("meetings:table", args=[m.pk])).content.decode()
    assert body.count("<tr") == 4 and "签收下级提请" in body and session["second"].number in body


@pytest.mark.django_db
def test_table_view_and_item_page_cost_a_fixed_number_of_queries(client, make_case, secretary_a, secretary_b,
                                                                 town_x):
    no_rules()
    m = open_meeting(town_x)
    client.force_login(town_x)
    populate(make_case, secretary_a, secretary_b, town_x, 10)
    case = Dispute.objects.filter(tier=Tier.TOWN, holder_division_id=TOWN_X).order_by("id").first()

    def count(url):
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    small_item, small_table = count(item_url(m, case)), count(reverse("meetings:table", args=[m.pk]))
    clone_cases(case, 40)
    for _ in range(4):  # more timeline rows on the case itself
        case_services.record_duty(actor=town_x, dispute=case, kind="track", on_date=timezone.localdate(), text="跟踪")
    large_item, large_table = count(item_url(m, case)), count(reverse("meetings:table", args=[m.pk]))
    # Item page: the agenda (as on the meeting page), the case's records (8), parties, events, the forms' people
    # (units, 包案领导, 责任人).
    assert small_item == large_item <= 26
    assert small_table == large_table <= 16  # the agenda and three prefetches for the clocks


def test_week_labels_are_dates_people_use():
    assert Week(2025, 49).label == "12月1日—12月7日，第49周"
    assert Week(2026, 1).label == "2025年12月29日—2026年1月4日，第1周"


@pytest.mark.django_db
def test_meeting_pages_show_the_week_as_dates(client, session, town_x):
    label = Week.current().label
    client.force_login(town_x)
    m = session["meeting"]
    for url in (reverse("meetings:list"), m.get_absolute_url(), reverse("meetings:compliance"),
                reverse("meetings:table", args=[m.pk]), item_url(m, session["first"])):
        assert label in client.get(url).content.decode(), url


@pytest.mark.django_db
def test_several_attendees_at_once_accounts_and_guests(client, session, town_x, make_user):
    """Attendance picked from the people directory (several at once; with or without an account) plus guests."""
    m = session["meeting"]
    staff = person_for(make_user(Role.TOWN_STAFF, TOWN_X, username="staff_x"))
    other = person_for(make_user(Role.TOWN_STAFF, TOWN_X, username="staff_x2"))
    head = Person.objects.create(name="王振华", post="所长", division_id=TOWN_X,
                                 unit=Unit.objects.get(name="嘉祥街道司法所"))
    outsider = person_for(make_user(Role.TOWN_STAFF, TOWN_Y, username="staff_y"))
    client.force_login(town_x)
    body = client.get(m.get_absolute_url()).content.decode()
    assert f'name="people" value="{staff.pk}"' in body and f'value="{outsider.pk}"' not in body
    assert "王振华（嘉祥街道司法所 · 所长）〔无账号〕" in body
    assert f'name="people" value="{person_for(town_x).pk}"' not in body  # the convener is already in the attendance
    url = reverse("meetings:attendance_bulk", args=[m.pk])
    response = client.post(url, {"people": [staff.pk, other.pk, head.pk], "guest_kind": AttendeeKind.GUEST,
                                 "guests": "王明 律师 嘉祥县法律援助中心\n\n张秀英，五老\n"}, follow=True)
    assert "已登记参会人员5名" in response.content.decode()
    rows = {a.name: a for a in Attendance.objects.filter(meeting=m)}
    assert rows["staff_x"].user == staff.user and rows["staff_x"].kind == AttendeeKind.MEMBER
    assert rows["staff_x2"].kind == AttendeeKind.MEMBER
    assert (rows["王振华"].person, rows["王振华"].user, rows["王振华"].unit) == (head, None, "嘉祥街道司法所")
    assert (rows["王明"].kind, rows["王明"].role_title, rows["王明"].unit) == ("guest", "律师", "嘉祥县法律援助中心")
    assert (rows["张秀英"].kind, rows["张秀英"].role_title, rows["张秀英"].user) == ("guest", "五老", None)
    body = client.get(m.get_absolute_url()).content.decode()
    assert f'name="people" value="{staff.pk}"' not in body  # entered: no longer offered
    before = Attendance.objects.count()
    for data, error in (
        ({"people": [outsider.pk], "guest_kind": "guest"}, "不属于本单位"),
        ({"guests": "", "guest_kind": "guest"}, "请勾选本单位人员或填写其他人员"),
        ({"guests": "张" * 40 + " 律师", "guest_kind": "guest"}, "第1行：姓名不能超过32字。"),
        ({"guests": "王明", "guest_kind": "nobody"}, "error"),
        ({"people": ["abc"], "guest_kind": "guest"}, "error"),
    ):
        response = client.post(url, data)
        assert response.status_code == 200 and error in response.content.decode(), data
    assert Attendance.objects.count() == before
