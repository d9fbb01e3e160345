"""反复 at registration (issue 12 #7): a typed party whose ID number is on a case settled in the last 12 months shows
"此人近一年有已化解纠纷 JX-…，是否属反复？" with a one-click reopen of that case (the existing reopen action, a POST
with a confirmation) instead of a new case; only cases the user may see are hinted. The reopened case is counted once
in 化解数 (stats.figures)."""

import datetime

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from cases import services
from cases.models import CaseEvent, Dispute, Status, Tier
from cases.rules.recurrence import recurrence_since
from cases.selectors import cases_visible_to
from core.validators import id_check_char
from stats import figures
from stats.periods import Period
from tests.cases.test_dispute_form import post_data
from tests.conftest import VILLAGE_A, VILLAGE_C, party_row

URL = reverse("cases:create")
PERSON = "37082919700305001" + id_check_char("37082919700305001")
HINT = "此人近一年有已化解纠纷"


def register(client, **kw):
    return client.post(URL, post_data(parties=[party_row("王德胜", id_number=PERSON), party_row("李四", "respondent")],
                                      **kw))


# --- the window ---------------------------------------------------------------------------------------------------


def test_the_window_is_twelve_months_back_to_local_midnight():
    since = recurrence_since(datetime.date(2026, 12, 2))
    assert since.date() == datetime.date(2025, 12, 2) and since.time() == datetime.time.min
    assert str(since.tzinfo) == "Asia/Shanghai"
    assert recurrence_since(datetime.date(2028, 2, 29)).date() == datetime.date(2027, 2, 28)
    assert recurrence_since(datetime.date(2026, 3, 31)).date() == datetime.date(2025, 3, 31)


# --- the hint and the reopen --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_recurrence_offers_and_performs_the_reopening_of_the_original_case(client, secretary_a, make_case):
    original = make_case(secretary_a, VILLAGE_A, status=Status.RESOLVED,
                         parties=[party_row("王德胜", id_number=PERSON), party_row("李四", "respondent")])
    client.force_login(secretary_a)
    response = register(client, title="王德胜与李四宅基地纠纷再起", description="界桩又被挪动，双方再起争执。")
    html = response.content.decode()
    assert response.status_code == 200 and Dispute.objects.count() == 1  # nothing registered yet
    assert f"{HINT} {original.number}，是否属反复？" in html
    reopen_url = reverse("cases:act", args=[original.number, "reopen"])
    assert f'action="{reopen_url}" id="reopen-form-1"' in html
    assert 'form="reopen-form-1"' in html and "确认属反复，重新办理" in html and "此操作不能撤销" in html
    assert "登记时发现反复。王德胜与李四宅基地纠纷再起：界桩又被挪动" in html  # the reason, prefilled
    assert PERSON not in html.split('id="duplicate-hint"')[1][:4000]
    entry = AuditEntry.objects.get(action="pii_view")
    assert entry.object_label == original.number and "近一年已化解的案件中（1件" in entry.detail

    response = client.post(reopen_url, {"reason": "登记时发现反复。界桩又被挪动"})  # the one click
    assert response.status_code == 302 and response["Location"] == original.get_absolute_url()
    original.refresh_from_db()
    assert (original.status, original.reopen_count, original.outcome) == (Status.IN_PROGRESS, 1, "")
    assert Dispute.objects.count() == 1  # no new case
    event = CaseEvent.objects.filter(dispute=original).last()
    assert (event.kind, event.old_value, event.new_value) == ("reopened", "resolved", "in_progress")
    assert "界桩又被挪动" in event.note


@pytest.mark.django_db
def test_the_reopened_case_is_not_counted_twice_in_the_resolved_figure(client, secretary_a, county_user, make_case):
    original = make_case(secretary_a, VILLAGE_A, status=Status.RESOLVED,
                         parties=[party_row("王德胜", id_number=PERSON), party_row("李四", "respondent")])
    client.force_login(secretary_a)
    register(client)
    client.post(reverse("cases:act", args=[original.number, "reopen"]), {"reason": "协议未履行，再起争执"})
    case = Dispute.objects.get(pk=original.pk)
    services.resolve(actor=secretary_a, dispute=case, outcome="success", note="再次调解成功")
    today = timezone.localdate()
    period = Period(today - datetime.timedelta(days=30), today)
    row = figures.summarize(cases_visible_to(county_user), period)
    assert (row["collected"], row["resolved"], row["relapsed"]) == (1, 1, 1)
    assert figures.resolved_in_period(cases_visible_to(county_user), period) == 1
    assert row["resolution_rate"] == 100


@pytest.mark.django_db
def test_confirming_it_is_a_new_dispute_registers_it(client, secretary_a, make_case):
    original = make_case(secretary_a, VILLAGE_A, status=Status.CLOSED, parties=[party_row("王德胜", id_number=PERSON)])
    client.force_login(secretary_a)
    assert HINT in register(client).content.decode()  # a closed case counts as settled too
    response = register(client, confirm_duplicate=original.number)
    assert response.status_code == 302 and Dispute.objects.count() == 2
    original.refresh_from_db()
    assert original.reopen_count == 0


@pytest.mark.django_db
def test_no_hint_for_a_case_settled_more_than_a_year_ago_or_not_settled(client, secretary_a, make_case):
    with time_machine.travel(timezone.now() - datetime.timedelta(days=370), tick=False):
        make_case(secretary_a, VILLAGE_A, status=Status.RESOLVED, parties=[party_row("王德胜", id_number=PERSON)])
    failed = make_case(secretary_a, VILLAGE_A, status=Status.IN_PROGRESS,
                       parties=[party_row("王德胜", id_number=PERSON)])
    services.resolve(actor=secretary_a, dispute=failed, outcome="failed", note="已告知可向法院起诉")
    client.force_login(secretary_a)
    response = register(client)
    assert response.status_code == 302 and Dispute.objects.count() == 3  # registered at once
    assert not AuditEntry.objects.filter(action="pii_view").exists()


@pytest.mark.django_db
def test_a_settled_case_of_another_town_is_never_hinted(client, secretary_a, secretary_c, make_case):
    hidden = make_case(secretary_c, VILLAGE_C, status=Status.RESOLVED, parties=[party_row("王德胜", id_number=PERSON)])
    client.force_login(secretary_a)
    response = register(client)
    assert response.status_code == 302 and Dispute.objects.count() == 2
    assert hidden.number not in client.get(response["Location"]).content.decode()
    assert not AuditEntry.objects.filter(action="pii_view").exists()


@pytest.mark.django_db
def test_the_town_is_hinted_about_its_villages_case_but_not_another_towns(client, town_x, secretary_a,
                                                                         secretary_c, make_case):
    mine = make_case(secretary_a, VILLAGE_A, status=Status.RESOLVED, parties=[party_row("王德胜", id_number=PERSON)])
    other = make_case(secretary_c, VILLAGE_C, status=Status.RESOLVED, parties=[party_row("王德胜", id_number=PERSON)])
    client.force_login(town_x)
    html = register(client, village=VILLAGE_A).content.decode()
    assert mine.number in html and other.number not in html
    assert other.number not in AuditEntry.objects.get(action="pii_view").object_label


@pytest.mark.django_db
def test_a_user_who_may_not_reopen_is_told_who_may(client, secretary_a, town_x, make_case):
    """The town resolved it: the village sees the hint, but the reopen belongs to the holder (policy.can_act)."""
    held = make_case(secretary_a, VILLAGE_A, tier=Tier.TOWN, status=Status.RESOLVED,
                     parties=[party_row("王德胜", id_number=PERSON)])
    client.force_login(secretary_a)
    html = register(client).content.decode()
    assert f"{HINT} {held.number}" in html
    assert "reopen-form-1" not in html and "您不能重新办理" in html and "嘉祥街道" in html
    assert client.post(reverse("cases:act", args=[held.number, "reopen"]), {"reason": "再起争执"}).status_code == 403
    held.refresh_from_db()
    assert held.status == Status.RESOLVED
    client.force_login(town_x)
    assert 'id="reopen-form-1"' in register(client, village=VILLAGE_A).content.decode()


@pytest.mark.django_db
def test_an_open_case_and_a_recurrence_are_hinted_together(client, secretary_a, make_case):
    open_case = make_case(secretary_a, VILLAGE_A, parties=[party_row("王德胜", id_number=PERSON)])
    settled = make_case(secretary_a, VILLAGE_A, status=Status.RESOLVED, parties=[party_row("王德胜", id_number=PERSON)])
    client.force_login(secretary_a)
    html = register(client).content.decode()
    assert "可能重复登记" in html and f"已在未办结的案件 <a href=\"{open_case.get_absolute_url()}\">" in html
    assert f"{HINT} {settled.number}" in html
    confirm = f'name="confirm_duplicate" value="{settled.number},{open_case.number}"'
    assert confirm in html or f'name="confirm_duplicate" value="{open_case.number},{settled.number}"' in html


@pytest.mark.django_db
def test_both_parties_on_the_settled_case_give_one_hint_and_one_button(client, secretary_a, make_case):
    other = "37082919750101002" + id_check_char("37082919750101002")
    settled = make_case(secretary_a, VILLAGE_A, status=Status.RESOLVED,
                        parties=[party_row("王德胜", id_number=PERSON), party_row("李四", "respondent", sex="F", id_number=other)])
    client.force_login(secretary_a)
    html = client.post(URL, post_data(parties=[party_row("王德胜", id_number=PERSON),
                                               party_row("李四", "respondent", sex="F", id_number=other)])).content.decode()
    assert html.count(f"{HINT} {settled.number}") == 1 and html.count('id="reopen-form-') == 1
    assert "王德胜、李四 是案件" in html
