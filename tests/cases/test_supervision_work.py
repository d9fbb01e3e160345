"""纪委督办 as work (issue 11 point 2): the supervision page with the 四定's people, 催办 landing in their 待办, the
numbered 督办通知书 (.docx), the 回复 and 回复逾期, 约谈 / 通报 / 问责, and 办结督办 only with its confirmation."""

import datetime
import io
import itertools

import pytest
from django.urls import reverse
from django.utils import timezone
from docx import Document

from cases import services
from cases.models import (
    CaseEvent,
    DayMode,
    Dispute,
    EventKind,
    Status,
    Supervision,
    SupervisionAction,
    SupervisionStatus,
    Tier,
)
from cases.rules import deadlines
from cases.rules.deadlines import end_of_day
from cases.services import supervision as sup
from core.errors import Forbidden, Refused
from notify.models import Notification
from org.models import Person, Role, Unit
from tests.conftest import COUNTY, TOWN_X, TOWN_Y, VILLAGE_A, VILLAGE_C

TODAY = timezone.localdate


@pytest.fixture
def discipline_x(make_user):
    return make_user(Role.DISCIPLINE, TOWN_X, username="jw_x")


@pytest.fixture
def discipline_y(make_user):
    return make_user(Role.DISCIPLINE, TOWN_Y, username="jw_y")


@pytest.fixture
def discipline_county(make_user):
    return make_user(Role.DISCIPLINE, COUNTY, username="jw_county")


@pytest.fixture
def staff_x(make_user):
    return make_user(Role.TOWN_STAFF, TOWN_X, username="staff_x")


def _overdue_supervision(case, days_ago=2):
    missed = end_of_day(TODAY() - datetime.timedelta(days=days_ago))
    Dispute.objects.filter(pk=case.pk).update(deadline=missed)
    now = timezone.now()
    assert sup.mark_overdue(case_id=case.pk, deadline=missed, actor=sup.system_actor(), now=now)
    supervision = sup.open_supervision(case_id=case.pk, deadline=missed, actor=sup.system_actor(), now=now)
    assert supervision is not None
    return supervision


@pytest.fixture
def assigned(make_case, secretary_a, town_x, staff_x):
    """A town case of village A with a 四定 (包案领导 town_x, 责任人 staff_x of 嘉祥街道司法所) that missed its deadline."""
    for user, name, title, phone in ((town_x, "王包案", "副书记", "13912345678"),
                                     (staff_x, "李责任", "综治办主任", "13698765432")):
        user.first_name = name
        user.save()
        m = user.membership
        m.title, m.phone = title, phone
        m.save()  # the account's directory row follows (org.people.sync_from_membership)
    case = make_case(secretary_a, VILLAGE_A, tier=Tier.TOWN, status=Status.IN_PROGRESS, title="刘山村宅基地纠纷")
    services.fix_assignment(actor=town_x, dispute=case, lead_leader=town_x, responsible_person=staff_x,
                            responsible_unit=Unit.objects.get(name="嘉祥街道司法所"), measures="司法所牵头调解")
    return _overdue_supervision(Dispute.objects.get(pk=case.pk))


def detail(s):
    return reverse("supervision:detail", args=[s.pk])


def url(name, s):
    return reverse(f"supervision:{name}", args=[s.pk])


def docx_text(content: bytes) -> str:
    doc = Document(io.BytesIO(content))
    return "\n".join(p.text for p in doc.paragraphs)


# ---------------------------------------------------------------------------------------------------------------
# The page
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_page_shows_the_case_and_the_people_with_masked_phones(client, discipline_x, assigned):
    client.force_login(discipline_x)
    response = client.get(detail(assigned))
    assert response.status_code == 200
    body = response.content.decode()
    case = assigned.dispute
    assert case.number in body and "刘山村宅基地纠纷" in body and "刘山村" in body
    assert f"{timezone.localtime(assigned.missed_deadline):%Y年%-m月%-d日}" in body
    assert "王包案" in body and "副书记" in body and "李责任" in body and "综治办主任" in body
    assert "嘉祥街道司法所" in body
    assert "139****5678" in body and "136****5432" in body
    assert "13912345678" not in body and "13698765432" not in body
    assert "纪委督办" in body  # the running clocks: the supervision's own
    for form in ("催办", "发督办通知书", "记录回复", "约谈 / 通报 / 问责", "办结督办"):
        assert f"<summary>{form}</summary>" in body


@pytest.mark.django_db
def test_the_list_links_to_the_page(client, discipline_x, assigned):
    client.force_login(discipline_x)
    body = client.get(reverse("supervision:list")).content.decode()
    assert detail(assigned) in body


# ---------------------------------------------------------------------------------------------------------------
# 催办 → 待办
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_reminder_lands_in_the_leaders_and_responsible_persons_queue(client, discipline_x, assigned, town_x,
                                                                       staff_x):
    client.force_login(discipline_x)
    response = client.post(url("remind", assigned), {"remind-text": "请本周内提出调处方案", "remind-on_date": ""})
    assert response.status_code == 302 and response.url == detail(assigned)
    case = assigned.dispute
    for person in (town_x, staff_x):
        item = Notification.objects.get(recipient=person, key__startswith="supervision_remind:")
        assert item.text.startswith("纪委催办：") and "请本周内提出调处方案" in item.text and case.number in item.text
        assert item.read_at is None and item.done_at is None
        assert item.url == reverse("cases:detail", args=[case.number])
        client.force_login(person)
        inbox = client.get(reverse("notify:inbox")).content.decode()
        assert "纪委催办：" in inbox and "请本周内提出调处方案" in inbox
    assert not Notification.objects.filter(recipient=discipline_x, key__startswith="supervision_remind:").exists()
    event = CaseEvent.objects.get(dispute=case, kind=EventKind.SUPERVISION_REMINDED)
    assert event.actor == discipline_x and event.note == "请本周内提出调处方案"
    # the 纪委 records the reply: the reminder leaves their queue
    client.force_login(discipline_x)
    client.post(url("reply", assigned), {"reply-replier": "李责任", "reply-text": "已约见双方，下周调解"})
    assert not Notification.objects.filter(key__startswith="supervision_remind:", done_at__isnull=True).exists()


@pytest.mark.django_db
def test_without_a_four_set_the_reminder_goes_to_the_holding_tier(make_case, secretary_a, town_x, discipline_x):
    case = make_case(secretary_a, VILLAGE_A, tier=Tier.TOWN, status=Status.IN_PROGRESS)
    s = _overdue_supervision(case)
    services.remind_supervision(actor=discipline_x, supervision=s, text="请尽快落实四定")
    assert Notification.objects.filter(recipient=town_x, text__startswith="纪委催办：").exists()
    assert not Notification.objects.filter(recipient=secretary_a, text__startswith="纪委催办：").exists()


@pytest.mark.django_db
def test_a_reminder_needs_text_shown_at_the_field(client, discipline_x, assigned):
    client.force_login(discipline_x)
    response = client.post(url("remind", assigned), {"remind-text": "  "})
    assert response.status_code == 400
    body = response.content.decode()
    assert "请填写催办内容" in body and "尚未保存" in body and 'id="remind" open' in body
    assert not SupervisionAction.objects.exists()


# ---------------------------------------------------------------------------------------------------------------
# 督办通知书
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_notice_docx_has_its_number_the_case_the_missed_deadline_and_the_reply_date(client, discipline_x,
                                                                                        assigned):
    client.force_login(discipline_x)
    page = client.get(detail(assigned)).content.decode()
    default = deadlines.due_date(TODAY(), 3, DayMode.WORKDAY)
    assert f'value="{default:%Y-%m-%d}"' in page  # the reply date defaults to three working days
    response = client.post(url("notice", assigned), {"notice-text": "限期化解，落实包调处责任", "notice-reply_by": ""})
    assert response.status_code == 302
    notice = SupervisionAction.objects.get(kind="notice")
    year = TODAY().year
    assert notice.number == f"嘉祥街道纪督〔{year}〕1号" and notice.reply_by == default
    download = client.get(reverse("supervision:notice_docx", args=[notice.pk]))
    assert download.status_code == 200
    assert "attachment" in download["Content-Disposition"]
    text = docx_text(download.content)
    case = assigned.dispute
    missed = timezone.localtime(assigned.missed_deadline)
    assert f"嘉祥街道纪督〔{year}〕1号" in text
    assert case.number in text and case.title in text
    assert f"{missed.year}年{missed.month}月{missed.day}日" in text
    assert f"请于{default.year}年{default.month}月{default.day}日前" in text
    assert "王包案" in text and "李责任" in text and "嘉祥街道司法所" in text
    assert "限期化解，落实包调处责任" in text
    assert "中共嘉祥县嘉祥街道纪律检查工作委员会" in text
    # the page lists it with its download link; the timeline has it
    page = client.get(detail(assigned)).content.decode()
    assert notice.number in page and reverse("supervision:notice_docx", args=[notice.pk]) in page
    assert CaseEvent.objects.filter(dispute=case, kind=EventKind.SUPERVISION_NOTICE, note__contains=notice.number)
    # it lands in the 四定 people's queue until answered
    assert Notification.objects.filter(key=f"supervision_notice:{notice.pk}", done_at__isnull=True).count() == 2


@pytest.mark.django_db
def test_notice_numbers_are_sequential_per_commission_and_stable_on_re_download(client, discipline_x, discipline_y,
                                                                              assigned, make_case, secretary_c):
    first = services.issue_supervision_notice(actor=discipline_x, supervision=assigned, text="第一次督办")
    second = services.issue_supervision_notice(actor=discipline_x, supervision=assigned, text="第二次督办")
    year = TODAY().year
    assert (first.number, second.number) == (f"嘉祥街道纪督〔{year}〕1号", f"嘉祥街道纪督〔{year}〕2号")
    other = _overdue_supervision(make_case(secretary_c, VILLAGE_C, status=Status.IN_PROGRESS))
    theirs = services.issue_supervision_notice(actor=discipline_y, supervision=other, text="另一镇")
    assert theirs.number == f"纸坊镇纪督〔{year}〕1号"  # each commission counts its own
    client.force_login(discipline_x)
    docx_url = reverse("supervision:notice_docx", args=[first.pk])
    one, two = client.get(docx_url), client.get(docx_url)
    assert f"〔{year}〕1号" in docx_text(one.content) and f"〔{year}〕1号" in docx_text(two.content)
    assert f"〔{year}〕3号" not in docx_text(two.content)
    assert SupervisionAction.objects.filter(kind="notice").count() == 3  # downloading allocates nothing


@pytest.mark.django_db
def test_a_new_year_starts_at_one(discipline_x, assigned):
    assert sup._reserve_notice_seq(TOWN_X, 2026) == 1
    assert sup._reserve_notice_seq(TOWN_X, 2026) == 2
    assert sup._reserve_notice_seq(TOWN_X, 2027) == 1
    assert sup._reserve_notice_seq(TOWN_Y, 2026) == 1
    from org.models import Division

    assert sup.notice_number(Division.objects.get(code=COUNTY), 2026, 12) == "嘉纪督〔2026〕12号"


@pytest.mark.django_db
def test_an_unknown_notice_is_404(client, discipline_x, assigned):
    services.remind_supervision(actor=discipline_x, supervision=assigned, text="催办")  # an action, not a notice
    client.force_login(discipline_x)
    reminder = SupervisionAction.objects.get()
    assert client.get(reverse("supervision:notice_docx", args=[reminder.pk])).status_code == 404
    assert client.get(reverse("supervision:notice_docx", args=[999999])).status_code == 404


@pytest.mark.django_db
def test_the_reply_date_must_be_after_today(discipline_x, assigned):
    with pytest.raises(Refused, match="要求回复日期须晚于今天"):
        services.issue_supervision_notice(actor=discipline_x, supervision=assigned, text="督办", reply_by=TODAY())


# ---------------------------------------------------------------------------------------------------------------
# 回复, 回复逾期
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_unanswered_notice_past_its_reply_date_is_flagged(client, discipline_x, assigned):
    notice = services.issue_supervision_notice(actor=discipline_x, supervision=assigned, text="督办")
    client.force_login(discipline_x)
    assert "回复逾期" not in client.get(detail(assigned)).content.decode()
    assert "回复逾期" not in client.get(reverse("supervision:list")).content.decode()
    SupervisionAction.objects.filter(pk=notice.pk).update(reply_by=TODAY() - datetime.timedelta(days=1))
    assert "回复逾期" in client.get(detail(assigned)).content.decode()
    assert "回复逾期" in client.get(reverse("supervision:list")).content.decode()
    response = client.post(url("reply", assigned), {"reply-replier": "李责任", "reply-text": "已化解，附协议",
                                                    "reply-notice": notice.pk})
    assert response.status_code == 302
    page = client.get(detail(assigned)).content.decode()
    assert "回复逾期" not in page and "逾期回复" in page and "已化解，附协议" in page
    assert "回复逾期" not in client.get(reverse("supervision:list")).content.decode()
    event = CaseEvent.objects.get(dispute=assigned.dispute, kind=EventKind.SUPERVISION_REPLIED)
    assert "李责任" in event.note and notice.number in event.note and "逾期" in event.note
    assert not Notification.objects.filter(key=f"supervision_notice:{notice.pk}", done_at__isnull=True).exists()


@pytest.mark.django_db
def test_a_reply_needs_who_replied(client, discipline_x, assigned):
    client.force_login(discipline_x)
    response = client.post(url("reply", assigned), {"reply-replier": "", "reply-text": "已办"})
    assert response.status_code == 400
    assert "请填写回复人" in response.content.decode()
    assert not SupervisionAction.objects.exists()


@pytest.mark.django_db
def test_a_notice_is_answered_once(discipline_x, assigned):
    notice = services.issue_supervision_notice(actor=discipline_x, supervision=assigned, text="督办")
    services.record_supervision_reply(actor=discipline_x, supervision=assigned, replier="李责任", text="已办",
                                      notice=notice)
    with pytest.raises(Refused, match="已记录回复"):
        services.record_supervision_reply(actor=discipline_x, supervision=assigned, replier="李责任", text="再次",
                                          notice=notice)


# ---------------------------------------------------------------------------------------------------------------
# 约谈 / 通报 / 问责
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("kind, label, event", [("interview", "约谈", EventKind.SUPERVISION_INTERVIEW),
                                                 ("circular", "通报", EventKind.SUPERVISION_CIRCULAR),
                                                 ("accountability", "问责", EventKind.SUPERVISION_ACCOUNTABLE)])
def test_measures_are_recorded_with_date_and_text(client, discipline_x, assigned, kind, label, event):
    client.force_login(discipline_x)
    day = TODAY() - datetime.timedelta(days=1)
    response = client.post(url("measure", assigned), {"measure-kind": kind, "measure-on_date": day.isoformat(),
                                                      "measure-text": f"{label}包案领导王包案"})
    assert response.status_code == 302
    action = SupervisionAction.objects.get(kind=kind)
    assert action.on_date == day and action.text == f"{label}包案领导王包案"
    page = client.get(detail(assigned)).content.decode()
    assert f"<strong>{label}</strong>" in page and f"{label}包案领导王包案" in page
    assert CaseEvent.objects.filter(dispute=assigned.dispute, kind=event).count() == 1
    case_page = client.get(reverse("cases:detail", args=[assigned.dispute.number])).content.decode()
    assert EventKind(event).label in case_page


@pytest.mark.django_db
def test_a_measure_needs_a_date_and_no_future_one(client, discipline_x, assigned):
    client.force_login(discipline_x)
    response = client.post(url("measure", assigned), {"measure-kind": "interview", "measure-text": "约谈"})
    assert response.status_code == 400 and "请填写日期" in response.content.decode()
    future = (TODAY() + datetime.timedelta(days=2)).isoformat()
    response = client.post(url("measure", assigned), {"measure-kind": "interview", "measure-on_date": future,
                                                      "measure-text": "约谈"})
    assert response.status_code == 400 and "日期不能晚于今天" in response.content.decode()
    assert not SupervisionAction.objects.exists()


# ---------------------------------------------------------------------------------------------------------------
# 办结督办 with a confirmation
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_closing_without_the_confirmation_is_refused_at_the_field(client, discipline_x, assigned):
    client.force_login(discipline_x)
    response = client.post(url("close", assigned), {"from": "detail", "note": "已化解"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "请勾选“确认办结”后再提交" in body and 'id="close" open' in body
    assert response.context["close_form"].errors["confirm"]
    assigned.refresh_from_db()
    assert assigned.status == SupervisionStatus.OPEN


@pytest.mark.django_db
def test_closing_with_the_confirmation_closes(client, discipline_x, assigned):
    client.force_login(discipline_x)
    response = client.post(url("close", assigned), {"from": "detail", "note": "已化解", "confirm": "on"})
    assert response.status_code == 302 and response.url == detail(assigned)
    assigned.refresh_from_db()
    assert assigned.status == SupervisionStatus.DONE and assigned.note == "已化解"
    page = client.get(detail(assigned)).content.decode()
    assert "<summary>办结督办</summary>" not in page and "<summary>催办</summary>" not in page
    # no more reminders on a closed supervision
    with pytest.raises(Refused, match="不能再催办"):
        services.remind_supervision(actor=discipline_x, supervision=assigned, text="再催")


@pytest.mark.django_db
def test_the_list_close_box_carries_the_checkbox(client, discipline_x, assigned):
    client.force_login(discipline_x)
    body = client.get(reverse("supervision:list")).content.decode()
    assert 'name="confirm"' in body and "确认督办事项已落实" in body


# ---------------------------------------------------------------------------------------------------------------
# Who
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_another_towns_commission_gets_404(client, discipline_y, discipline_x, assigned):
    notice = services.issue_supervision_notice(actor=discipline_x, supervision=assigned, text="督办")
    client.force_login(discipline_y)
    assert client.get(detail(assigned)).status_code == 404
    assert client.get(reverse("supervision:notice_docx", args=[notice.pk])).status_code == 404
    for name in ("remind", "notice", "reply", "measure"):
        assert client.post(url(name, assigned), {f"{name}-text": "越权"}).status_code == 404
    assert SupervisionAction.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["secretary_a", "town_x", "county_user", "unit_user", "auditor"])
def test_other_roles_get_403(client, request, who, assigned):
    client.force_login(request.getfixturevalue(who))
    assert client.get(detail(assigned)).status_code == 403
    assert client.post(url("remind", assigned), {"remind-text": "x"}).status_code == 403
    assert not SupervisionAction.objects.exists()


@pytest.mark.django_db
def test_a_town_commission_reads_the_county_supervision_of_its_village_without_writing(
        client, make_case, secretary_a, discipline_x, discipline_county):
    s = _overdue_supervision(make_case(secretary_a, VILLAGE_A, tier=Tier.COUNTY, status=Status.IN_PROGRESS))
    assert s.division_id == COUNTY
    client.force_login(discipline_x)
    page = client.get(detail(s))
    assert page.status_code == 200
    body = page.content.decode()
    assert "您只能查看" in body and "<summary>催办</summary>" not in body
    assert client.post(url("remind", s), {"remind-text": "越级催办"}).status_code == 403
    with pytest.raises(Forbidden):
        services.remind_supervision(actor=discipline_x, supervision=s, text="越级催办")
    notice = services.issue_supervision_notice(actor=discipline_county, supervision=s, text="县纪委督办")
    assert notice.number == f"嘉纪督〔{TODAY().year}〕1号"


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(client, assigned):
    response = client.get(detail(assigned))
    assert response.status_code == 302 and response.url.startswith(reverse("login"))


# ---------------------------------------------------------------------------------------------------------------
# Query counts
# ---------------------------------------------------------------------------------------------------------------

LIST_BUDGET = 7  # as tests/cases/test_supervision_views.py: the 回复逾期 flag is an annotation, not a query
_serial = itertools.count(1)


def clone_with_overdue_notices(template: Supervision, actor, n: int):
    case = Dispute.objects.get(pk=template.dispute_id)
    fields = {f.attname: getattr(case, f.attname) for f in Dispute._meta.concrete_fields if not f.primary_key}
    created = Dispute.objects.bulk_create([Dispute(**{**fields, "number": f"JX-W-{next(_serial):06d}"})
                                           for _ in range(n)])
    rows = Supervision.objects.bulk_create([
        Supervision(dispute=d, missed_deadline=template.missed_deadline, due_at=template.due_at,
                    division_id=template.division_id) for d in created])
    past = TODAY() - datetime.timedelta(days=1)
    SupervisionAction.objects.bulk_create([
        SupervisionAction(supervision=s, kind="notice", on_date=past, text="督办", actor=actor,
                          number=f"嘉祥街道纪督〔2026〕{1000 + s.pk}号", notice_division_id=TOWN_X, notice_year=2026,
                          notice_seq=1000 + s.pk, reply_by=past) for s in rows])


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["", "?show=all"])
def test_list_query_count_does_not_grow_with_flagged_rows(client, discipline_x, assigned,
                                                          django_assert_max_num_queries, query):
    clone_with_overdue_notices(assigned, discipline_x, 30)
    client.force_login(discipline_x)
    with django_assert_max_num_queries(LIST_BUDGET):
        response = client.get(reverse("supervision:list") + query)
    flagged = [s for s in response.context["page"].rows if s.pk != assigned.pk]  # the clones: every one overdue
    assert len(flagged) >= 24 and response.content.decode().count("回复逾期") == len(flagged)
    clone_with_overdue_notices(assigned, discipline_x, 300)
    with django_assert_max_num_queries(LIST_BUDGET):
        assert client.get(reverse("supervision:list") + query).status_code == 200


@pytest.mark.django_db
def test_page_query_count_does_not_grow_with_records(client, discipline_x, assigned, django_assert_max_num_queries):
    client.force_login(discipline_x)
    for n in range(3):
        services.remind_supervision(actor=discipline_x, supervision=assigned, text=f"催办{n}")
        notice = services.issue_supervision_notice(actor=discipline_x, supervision=assigned, text=f"督办{n}")
        services.record_supervision_reply(actor=discipline_x, supervision=assigned, replier="李责任",
                                          text=f"回复{n}", notice=notice)
    with django_assert_max_num_queries(25) as few:
        client.get(detail(assigned))
    baseline = len(few.captured_queries)
    for n in range(10):
        services.remind_supervision(actor=discipline_x, supervision=assigned, text=f"再催{n}")
        services.issue_supervision_notice(actor=discipline_x, supervision=assigned, text=f"再督{n}")
    with django_assert_max_num_queries(baseline):
        assert client.get(detail(assigned)).status_code == 200


@pytest.mark.django_db
def test_a_directory_leader_without_an_account_is_named_in_the_page_and_the_notice(client, make_case, secretary_a,
                                                                                   town_x, discipline_x):
    """人员库: the 包案领导 need not log in — the 纪委 page and the 督办通知书 still name him (issue 11)."""
    justice = Unit.objects.get(name="嘉祥街道司法所")
    leader = Person.objects.create(name="曾宪文", post="政法委员", division_id=TOWN_X, phone="13905371203")
    head = Person.objects.create(name="王振华", post="所长", division_id=TOWN_X, unit=justice)
    case = make_case(secretary_a, VILLAGE_A, tier=Tier.TOWN, status=Status.IN_PROGRESS, title="刘山村排水纠纷")
    services.fix_assignment(actor=town_x, dispute=case, lead_leader=leader, responsible_person=head,
                            responsible_unit=justice, measures="司法所牵头调解")
    supervision = _overdue_supervision(Dispute.objects.get(pk=case.pk))
    client.force_login(discipline_x)
    page = client.get(detail(supervision)).content.decode()
    assert "曾宪文" in page and "王振华" in page and "139****1203" in page and "13905371203" not in page
    client.post(url("notice", supervision), {"notice-text": "限期化解", "notice-reply_by": ""})
    notice = SupervisionAction.objects.get(kind="notice")
    text = docx_text(client.get(reverse("supervision:notice_docx", args=[notice.pk])).content)
    assert "曾宪文" in text and "王振华" in text and "嘉祥街道司法所" in text
