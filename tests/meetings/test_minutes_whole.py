"""Minutes that tell the whole meeting (issue 9 #7): every agenda item in the minutes — the unreviewed ones as
"未研判，转下次例会" with their status —, carried-over items marked on the next agenda, 记录人 and 审核人 chosen and
confirmed when closing, the .docx in the national format for official documents (GB/T 9704-2012), the 签到表."""

import io

import docx
import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml.ns import qn
from docx.shared import Emu, Mm, Pt

from audit.models import AuditEntry
from cases.models import Status, Tier
from core.errors import Refused
from meetings import agenda, services
from meetings.models import Attendance, AttendeeKind, Meeting, MeetingStatus
from org.models import Role
from tests.conftest import COUNTY, TOWN_X, TOWN_Y, VILLAGE_A
from tests.meetings import DAY, close, close_data, no_rules, open_meeting, set_fields

pytestmark = pytest.mark.urls("tests.meetings")

NOT_REVIEWED = "未研判，转下次例会"
CARRIED = "上次例会未研判（转入）"


@pytest.fixture
def town(make_case, secretary_a, town_x):
    """Town X's open meeting: three town cases on the agenda, one of them reviewed."""
    no_rules()

    def town_case(title, **fields):
        case = make_case(secretary_a, VILLAGE_A, tier=Tier.TOWN, status=Status.IN_PROGRESS, title=title)
        return set_fields(case, **fields) if fields else case

    reviewed = town_case("已研判的案件")
    waiting = town_case("未研判的在办案件")
    overdue = town_case("未研判的逾期案件", deadline=timezone.now() - DAY)
    meeting = open_meeting(town_x)
    services.record_review(actor=town_x, meeting=meeting, dispute=reviewed, analysis="继续跟踪，下周回访",
                           decision="continue")
    return {"meeting": meeting, "reviewed": reviewed, "waiting": waiting, "overdue": overdue}


def docx_of(client, meeting):
    response = client.get(reverse("meetings:minutes_docx", args=[meeting.pk]))
    assert response.status_code == 200
    return docx.Document(io.BytesIO(response.content))


def text_of(document):
    return "\n".join(p.text for p in document.paragraphs)


def state(meeting):
    m = Meeting.objects.get(pk=meeting.pk)
    return (m.status, m.minutes, m.closed_at, m.minutes_recorder, m.minutes_checker,
            AuditEntry.objects.filter(action="meeting_write", detail__startswith="闭会").count())


# --- every agenda item ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_minutes_list_every_agenda_item_the_unreviewed_ones_as_carried_to_the_next_meeting(client, town, town_x):
    meeting = town["meeting"]
    client.force_login(town_x)
    response = client.post(reverse("meetings:close", args=[meeting.pk]), close_data(meeting))
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert meeting.status == MeetingStatus.CLOSED
    minutes = meeting.minutes
    assert minutes["version"] == 2 and (minutes["recorder"], minutes["checker"]) == ("李记录", "town_x")
    items = {i["number"]: i for i in minutes["items"]}
    assert set(items) == {town[k].number for k in ("reviewed", "waiting", "overdue")}
    assert minutes["items"][0]["number"] == town["reviewed"].number  # reviewed first, then the agenda order
    assert items[town["reviewed"].number]["reviewed"] and items[town["reviewed"].number]["decision"] == "continue"
    for key in ("waiting", "overdue"):
        item = items[town[key].number]
        assert (item["reviewed"], item["decision_label"], item["status_label"], item["analysis"]) == (
            False, NOT_REVIEWED, "调处中", "")
    assert "已逾期" in items[town["overdue"].number]["reasons"]

    body = client.get(reverse("meetings:minutes", args=[meeting.pk])).content.decode()
    assert "研判事项（1 件）" in body and "未研判事项（2 件，转下次例会）" in body
    assert body.count(NOT_REVIEWED) == 2 and town["waiting"].number in body and town["overdue"].number in body
    assert "记录人：</b>李记录" in body and "审核人：</b>town_x" in body
    page = client.get(meeting.get_absolute_url()).content.decode()  # the closed meeting's page shows the same
    assert page.count(NOT_REVIEWED) == 2 and "李记录" in page

    text = text_of(docx_of(client, meeting))
    assert "研判事项（1件）" in text and "未研判事项（2件，转下次例会）" in text
    assert text.count(NOT_REVIEWED) == 2 and town["waiting"].number in text and town["overdue"].number in text
    assert "现状镇街级调处中" in text and "记录人：李记录" in text and "审核人：town_x" in text


@pytest.mark.django_db
def test_the_draft_of_an_open_meeting_lists_the_unreviewed_items_too(client, town, town_x):
    client.force_login(town_x)
    body = client.get(reverse("meetings:minutes", args=[town["meeting"].pk])).content.decode()
    assert "草稿" in body and body.count(NOT_REVIEWED) == 2


# --- the next meeting ----------------------------------------------------------------------------------------------


def move_to_last_week(meeting):
    last = (timezone.localdate() - 7 * DAY).isocalendar()
    Meeting.objects.filter(pk=meeting.pk).update(iso_year=last.year, iso_week=last.week,
                                                 held_on=timezone.localdate() - 7 * DAY)


def format_1(minutes):
    """What a meeting closed before this change froze: its reviewed items only, no 记录人/审核人."""
    new_keys = {"reviewed", "status", "deadline", "reasons", "carried_over"}
    items = [{k: v for k, v in i.items() if k not in new_keys} for i in minutes["items"] if i["reviewed"]]
    old = {k: v for k, v in minutes.items() if k not in {"recorder", "checker"}}
    return {**old, "version": 1, "items": items}


@pytest.mark.django_db
def test_the_next_meeting_marks_the_items_the_last_one_did_not_review(client, town, town_x):
    previous = close(town_x, town["meeting"])
    move_to_last_week(previous)
    following = open_meeting(town_x)
    with CaptureQueriesContext(connection) as queries:
        result = agenda.assemble(following)
    Meeting.objects.filter(pk=previous.pk).update(division_id=TOWN_Y)  # for a moment: no previous meeting
    with CaptureQueriesContext(connection) as without_previous:
        assert not any(item.carried_over for item in agenda.assemble(following).items)
    Meeting.objects.filter(pk=previous.pk).update(division_id=TOWN_X)
    # The mark costs no query: the previous meeting is loaded once, for 新登记's window and the frozen minutes.
    assert len(queries.captured_queries) == len(without_previous.captured_queries) <= 11
    marks = {item.dispute.number: item.carried_over for item in result.items}
    assert marks == {town["reviewed"].number: False, town["waiting"].number: True, town["overdue"].number: True}
    client.force_login(town_x)
    body = client.get(following.get_absolute_url()).content.decode()
    assert body.count(CARRIED) == 2
    item_html = body[body.index(f'id="item-{town["reviewed"].pk}"'):]
    assert CARRIED not in item_html[:item_html.index("</article>")]

    # A meeting closed before the minutes listed every item (format 1) still renders, and marks nothing.
    Meeting.objects.filter(pk=previous.pk).update(minutes=format_1(previous.minutes))
    assert not any(item.carried_over for item in agenda.assemble(following).items)
    assert CARRIED not in client.get(following.get_absolute_url()).content.decode()
    for name in ("detail", "minutes"):
        old = client.get(reverse(f"meetings:{name}", args=[previous.pk])).content.decode()
        assert town["reviewed"].number in old and "研判事项（1 件）" in old and "未研判事项" not in old
    text = text_of(docx_of(client, previous))
    assert town["reviewed"].number in text and "未研判事项" not in text and "记录人" not in text


# --- closing: 记录人, 审核人, the confirmation -------------------------------------------------------------------


@pytest.mark.django_db
def test_the_close_form_asks_for_recorder_checker_and_the_tick(client, town, town_x):
    client.force_login(town_x)
    body = client.get(town["meeting"].get_absolute_url()).content.decode()
    for expected in ('name="recorder"', 'name="checker"', 'type="checkbox" name="confirm"', "确认闭会后会议纪要定稿，不能再修改",
                     reverse("meetings:sign_sheet", args=[town["meeting"].pk])):
        assert expected in body, expected
    assert "data-confirm" not in body  # the tick is the confirmation, with or without JavaScript


def bad_posts(meeting, other_meeting_member):
    recorder, checker = (a.pk for a in services_people(meeting))
    guest = Attendance.objects.create(meeting=meeting, kind=AttendeeKind.GUEST, name="王律师").pk
    return [
        ({}, {"recorder": "请选择记录人。", "checker": "请选择审核人。", "confirm": "请勾选"}),
        ({"recorder": recorder, "checker": checker}, {"confirm": "请勾选“确认闭会后会议纪要定稿，不能再修改”后再闭会。"}),
        ({"recorder": recorder, "confirm": "on"}, {"checker": "请选择审核人。"}),
        ({"checker": checker, "confirm": "on"}, {"recorder": "请选择记录人。"}),
        ({"recorder": checker, "checker": checker, "confirm": "on"}, {"checker": "审核人不能与记录人为同一人"}),
        ({"recorder": guest, "checker": checker, "confirm": "on"}, {"recorder": "请从本次例会的参会成员中选择记录人。"}),
        ({"recorder": recorder, "checker": other_meeting_member, "confirm": "on"},
         {"checker": "请从本次例会的参会成员中选择审核人。"}),
        ({"recorder": "abc", "checker": checker, "confirm": "on"}, {"recorder": "请从本次例会的参会成员中选择"}),
    ]


def services_people(meeting):
    checker = Attendance.objects.get(meeting=meeting, user=meeting.convener)
    recorder = Attendance.objects.create(meeting=meeting, kind=AttendeeKind.MEMBER, name="李记录")
    return recorder, checker


@pytest.mark.django_db
def test_closing_without_recorder_checker_or_the_tick_is_refused_with_field_errors(client, town, town_x, town_y):
    meeting = town["meeting"]
    other = open_meeting(town_y).attendance.get().pk
    client.force_login(town_x)
    for data, errors in bad_posts(meeting, other):
        before = state(meeting)
        response = client.post(reverse("meetings:close", args=[meeting.pk]), data)
        assert response.status_code == 200, data
        form = response.context["close_form"]
        body = response.content.decode()
        for field, message in errors.items():
            assert any(message in e for e in form.errors.get(field, [])), (data, field, form.errors)
            assert message in body
        assert state(meeting) == before and before[0] == MeetingStatus.OPEN and before[1] is None


@pytest.mark.django_db
def test_the_service_refuses_a_missing_or_same_recorder_and_checker(town, town_x):
    meeting = town["meeting"]
    recorder, checker = services_people(meeting)
    guest = Attendance.objects.create(meeting=meeting, kind=AttendeeKind.OBSERVER, name="李督导")
    before = state(meeting)
    for recorder_id, checker_id, field in ((checker.pk, checker.pk, "checker"), (guest.pk, checker.pk, "recorder"),
                                           (None, checker.pk, "recorder"), (recorder.pk, None, "checker")):
        with pytest.raises(Refused) as refusal:
            services.close_meeting(actor=town_x, meeting=meeting, recorder_id=recorder_id, checker_id=checker_id)
        assert refusal.value.field == field
    assert state(meeting) == before
    closed = services.close_meeting(actor=town_x, meeting=meeting, recorder_id=recorder.pk, checker_id=checker.pk)
    assert (closed.minutes_recorder, closed.minutes_checker) == ("李记录", "town_x")
    assert Meeting._meta.get_field("minutes_recorder").verbose_name == "记录人"
    assert Meeting._meta.get_field("minutes_checker").verbose_name == "审核人"


# --- the .docx in the national format --------------------------------------------------------------------------------

TOLERANCE = Mm(0.5)


def near(length, mm):
    return abs(length - Mm(mm)) <= TOLERANCE


def size_of(paragraph, run):
    """The run's effective font size: its own, else its paragraph style's (and that style's bases)."""
    if run.font.size:
        return run.font.size
    style = paragraph.style
    while style is not None:
        if style.font.size:
            return style.font.size
        style = style.base_style
    return None


def east_asian_font(style):
    return style.element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia"))


@pytest.mark.django_db
def test_the_docx_follows_gb_t_9704(client, town, town_x):
    meeting = close(town_x, town["meeting"])
    client.force_login(town_x)
    document = docx_of(client, meeting)
    section = document.sections[0]
    assert near(section.page_width, 210) and near(section.page_height, 297)  # A4
    assert near(section.top_margin, 37) and near(section.bottom_margin, 35)
    assert near(section.left_margin, 28) and near(section.right_margin, 26)

    title = document.paragraphs[0]
    assert title.text == meeting.minutes["title"]
    assert (title.alignment or title.style.paragraph_format.alignment) == WD_ALIGN_PARAGRAPH.CENTER
    assert title.runs and all(run.font.size == Pt(22) for run in title.runs)  # 2号
    assert east_asian_font(title.style) == "方正小标宋简体"
    font_table = next(r.target_part for r in document.part.rels.values() if r.reltype == RT.FONT_TABLE).blob.decode()
    assert '<w:font w:name="方正小标宋简体"><w:altName w:val="宋体"/>' in font_table
    assert '<w:font w:name="仿宋_GB2312"><w:altName w:val="仿宋"/>' in font_table

    normal = document.styles["Normal"]
    assert normal.font.size == Pt(16) and east_asian_font(normal) == "仿宋_GB2312"  # 3号仿宋
    body = [p for p in document.paragraphs[1:] if p.text]
    assert len(body) > 10
    assert all(size_of(p, run) == Pt(16) for p in body for run in p.runs)
    fmt = normal.paragraph_format
    assert fmt.line_spacing_rule == WD_LINE_SPACING.EXACTLY and abs(fmt.line_spacing.pt - 28.95) < 0.05
    assert lines_fit(section, fmt.line_spacing) == 22
    spacing = int(normal.element.rPr.find(qn("w:spacing")).get(qn("w:val"))) / 20  # points per character
    text_width = Emu(section.page_width - section.left_margin - section.right_margin).pt  # 156 mm = 442.2 pt
    assert 28 * (16 + spacing) <= text_width < 29 * (16 + spacing)  # 28 characters a line

    assert document.settings.odd_and_even_pages_header_footer  # w:evenAndOddHeaders
    for footer, align in ((section.footer, WD_ALIGN_PARAGRAPH.RIGHT), (section.even_page_footer,
                                                                      WD_ALIGN_PARAGRAPH.LEFT)):
        xml = footer._element.xml
        (paragraph,) = footer.paragraphs
        assert "PAGE" in xml and 'w:fldCharType="begin"' in xml and 'w:fldCharType="end"' in xml
        assert paragraph.text.startswith("— ") and paragraph.text.endswith(" —")  # — 1 —
        assert paragraph.alignment == align  # outside: odd pages right, even pages left
        assert all(run.font.size == Pt(14) for run in paragraph.runs if run.text)  # 4号
        assert all(run._r.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "宋体" for run in paragraph.runs)

    assert document.core_properties.title == meeting.minutes["title"]
    assert document.core_properties.author == "嘉祥街道"


def lines_fit(section, pitch):
    return int((section.page_height - section.top_margin - section.bottom_margin) // pitch)


# --- the 签到表 ------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_sign_sheet_prints_the_attendees_and_empty_rows(client, town, town_x, town_y, make_user):
    meeting = town["meeting"]
    services.add_attendee(actor=town_x, meeting=meeting, kind="member", name="张调解", role_title="调委会主任",
                          unit="嘉祥街道人民调解委员会")
    services.add_attendee(actor=town_x, meeting=meeting, kind="observer", name="李督导", unit="县第一督导组")
    url = reverse("meetings:sign_sheet", args=[meeting.pk])
    client.force_login(town_x)
    response = client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert f"嘉祥街道{meeting.iso_year}年第{meeting.iso_week}周平安周例会签到表" in body
    for header in ("序号", "姓名", "单位/职务", "签名", "备注"):
        assert f'<th scope="col">{header}</th>' in body
    assert "张调解" in body and "嘉祥街道人民调解委员会/调委会主任" in body and "<td>督导组</td>" in body
    assert body.count("<tr") - 1 >= 15 and body.count('<tr class="blank">') >= 5  # rows to write in
    assert "css/meetings.css" in body and "data-print" in body and "<script>" not in body
    css = (settings.BASE_DIR / "static" / "css" / "meetings.css").read_text()
    assert "@page { size: A4" in css and "table.sign-sheet th, table.sign-sheet td { height:12mm" in css

    other = Client()
    other.force_login(town_y)  # another town's user: the meeting does not exist for them
    assert other.get(url).status_code == 404
    assert Client().get(url).status_code == 302  # anonymous: to the login page
    supervisor = Client()
    supervisor.force_login(make_user(Role.SUPERVISOR, COUNTY))
    assert supervisor.get(url).status_code == 200  # who reads the minutes reads the sign sheet
    assert client.post(url).status_code == 405
    close(town_x, meeting)
    assert "张调解" in client.get(url).content.decode()  # also once the meeting is closed
