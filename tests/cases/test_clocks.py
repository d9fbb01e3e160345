"""One definition of the clocks (core/clocks.py) and the ledger's clock filters that count the same cases."""

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import services
from cases.models import Dispute
from core import clocks
from tests.conftest import VILLAGE_A

NOW = timezone.make_aware(datetime.datetime(2026, 12, 2, 10, 0))


def at(days, hour=18):
    """A deadline `days` local days from NOW, at `hour` o'clock."""
    day = timezone.localtime(NOW).date() + datetime.timedelta(days=days)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


@pytest.mark.parametrize("deadline, text, level", [
    (at(-5), "超期5天", clocks.OVERDUE),
    (at(0, hour=8), "今日已超期", clocks.OVERDUE),  # passed this morning: overdue, as the 已逾期 filter counts it
    (at(0), "今日到期", clocks.TODAY),
    (at(1), "剩1天", clocks.SOON),
    (at(clocks.SOON_DAYS), f"剩{clocks.SOON_DAYS}天", clocks.SOON),
    (at(clocks.SOON_DAYS + 1), f"剩{clocks.SOON_DAYS + 1}天", clocks.LATER),
])
def test_words_and_colour_follow_one_threshold(deadline, text, level):
    clock = clocks.clock_for(deadline, now=NOW)
    assert (clock.text, clock.level) == (text, level)
    assert clock.css == f"clock clock-{level}"


def test_no_deadline_no_clock():
    assert clocks.clock_for(None, now=NOW) is None


def _ledger_total(client, query):
    body = client.get(reverse("cases:list") + query).content.decode()
    return int(re.search(r"共 (\d+)\+? 条", body).group(1)), body


@pytest.mark.django_db
def test_the_overdue_filter_counts_exactly_the_open_cases_past_their_deadline(client, make_case, secretary_a):
    now = timezone.now()
    shapes = {"late": now - datetime.timedelta(days=3), "late2": now - datetime.timedelta(hours=2),
              "soon": now + datetime.timedelta(days=2), "later": now + datetime.timedelta(days=10)}
    for title, deadline in shapes.items():
        case = services.start_handling(actor=secretary_a, dispute=make_case(secretary_a, VILLAGE_A, title=title))
        Dispute.objects.filter(pk=case.pk).update(deadline=deadline)  # the clock ran (time is not a service)
    done = services.start_handling(actor=secretary_a, dispute=make_case(secretary_a, VILLAGE_A, title="已化解的那起"))
    services.resolve(actor=secretary_a, dispute=done, outcome="success", note="达成协议")
    Dispute.objects.filter(pk=done.pk).update(deadline=now - datetime.timedelta(days=9))
    expected = Dispute.objects.filter(status__in=("logged", "in_progress", "referred"), deadline__lt=now).count()
    client.force_login(secretary_a)
    total, body = _ledger_total(client, "?clock=overdue")
    assert total == expected == 2
    assert body.count("clock-overdue") == 2 and "已化解的那起" not in body
    assert _ledger_total(client, "?clock=soon")[0] == 1
    total, body = _ledger_total(client, "")
    assert "超期3天" in body and "剩2天" in body and "剩10天" in body
