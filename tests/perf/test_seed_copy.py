"""seed_benchmark on PostgreSQL (COPY): what the triggers would have kept, parties that decrypt, workflow records on
every page and the 300-item benchmark meeting (issue 14)."""

import base64
import io
import os
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from cases import denorm
from cases.models import (
    OPEN_STATUSES,
    Assignment,
    CaseEvent,
    CaseTally,
    Dispute,
    Duty,
    EarlyWarning,
    EventKind,
    Party,
    Referral,
    ReferralStatus,
    Supervision,
    Tier,
)
from cases.selectors import cases_visible_to
from core import crypto
from meetings import agenda
from meetings.models import Meeting, MeetingStatus, Review
from notify.models import Notification
from org.models import Person
from perf import meetings as perf_meetings

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql",
                       reason="the COPY path of seed_benchmark runs on PostgreSQL only (SQLite uses bulk_create)"),
    pytest.mark.django_db,
]
CASES = 4500  # enough for 嘉祥街道 to have 300 cases for its meeting


@pytest.fixture(autouse=True)
def party_encryption_key(settings):
    if not (getattr(settings, "FIELD_ENCRYPTION_KEY", None) or os.environ.get("FIELD_ENCRYPTION_KEY")):
        settings.FIELD_ENCRYPTION_KEY = base64.b64encode(b"benchmark-tests-only-key-32-byte").decode()


@pytest.fixture
def seeded(db):
    out = io.StringIO()
    call_command("seed_benchmark", cases=CASES, seed=11, batch=1500, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def snapshot():
    tally = sorted(CaseTally.objects.filter(n__gt=0).values_list("village_id", "status", "risk", "n"))
    texts = dict(Dispute.objects.values_list("pk", "search_text"))
    towns = dict(Dispute.objects.values_list("pk", "town_id"))
    return tally, texts, towns


def test_denormalised_columns_are_what_a_rebuild_computes(seeded):
    assert Dispute.objects.count() == CASES
    before = snapshot()
    assert all(before[1].values()) and all(before[2].values())
    denorm.rebuild()
    assert snapshot() == before
    assert sum(n for *_, n in before[0]) == CASES


def test_party_fields_are_bound_to_their_rows_and_searchable_by_hash(seeded):
    party = Party.objects.first()
    assert re.fullmatch(r"1[3-9]\d{9}", party.phone)
    assert re.fullmatch(r"\d{17}[\dX]", party.id_number)
    assert party.address
    raw = Party.objects.filter(pk=party.pk).values_list("phone", flat=True).get()
    assert crypto.version_of(raw) == crypto.VERSION
    assert Party.objects.filter(id_hash=crypto.id_hash(party.id_number), pk=party.pk).exists()
    assert Party.objects.filter(phone_hash=crypto.id_hash(party.phone), pk=party.pk).exists()


def test_every_workflow_table_has_rows_and_their_events(seeded):
    for model in (Referral, Assignment, Duty, EarlyWarning, Supervision, Meeting, Review, Notification, Person):
        assert model.objects.exists(), model
    assert Duty.objects.count() == 3 * Assignment.objects.count()
    assert not Assignment.objects.exclude(dispute__tier__in=[Tier.TOWN, Tier.COUNTY]).exists()
    assert Referral.objects.filter(status=ReferralStatus.PENDING).exists()
    assert Referral.objects.filter(status=ReferralStatus.ACCEPTED, to_tier=Tier.COUNTY).exists()
    kinds = set(CaseEvent.objects.values_list("kind", flat=True))
    assert {EventKind.LOGGED, EventKind.REFERRED, EventKind.ACCEPTED, EventKind.ASSIGNED,
            EventKind.WARNING_RAISED} <= kinds
    now = timezone.now()
    open_cases = Dispute.objects.filter(status__in=OPEN_STATUSES)
    assert open_cases.filter(deadline__lt=now).exists()
    assert open_cases.filter(deadline__gte=now, deadline__lt=now + timezone.timedelta(days=3)).exists()


def test_the_benchmark_meeting_lists_exactly_300_cases(seeded):
    meeting = Meeting.objects.get(division_id=perf_meetings.BENCH_TOWN, status=MeetingStatus.OPEN)
    assert len(agenda.assemble(meeting).items) == perf_meetings.AGENDA_ITEMS
    assert f"300项议程）：id={meeting.pk}，/meetings/{meeting.pk}/" in seeded


def test_bench_town_sees_cases_with_referrals_assignments_and_warnings(seeded):
    user = perf_meetings.bench_town_user()
    visible = cases_visible_to(user)
    assert visible.filter(referrals__isnull=False).exists()
    assert visible.filter(assignments__isnull=False).exists()
    assert visible.filter(warnings__isnull=False).exists()
    assert Notification.objects.filter(recipient=user).exists()


def test_the_clock_is_left_as_if_swept_every_day_until_yesterday(seeded):
    """The seed writes the daily sweeps' marks (perf.backlog): a sweep now handles only what fell due in the last
    day, not years of deadlines one transaction each, so `benchmark --sweep` measures a day's sweep."""
    from cases.services.supervision import sweep
    from perf import backlog

    now = timezone.now()
    long_overdue = Dispute.objects.filter(status__in=OPEN_STATUSES, deadline__lt=now - 2 * backlog.FRESH)
    late_supervisions = Supervision.objects.filter(due_at__lt=now - 2 * backlog.FRESH)
    assert long_overdue.count() > 100 and late_supervisions.exists()  # the seed has a real backlog to stand for
    report = sweep(now=now)
    fresh = set(Dispute.objects.filter(status__in=OPEN_STATUSES, deadline__gte=now - 2 * backlog.FRESH)
                .values_list("number", flat=True))
    assert set(report.overdue) <= fresh and len(report.overdue) < long_overdue.count() / 10
    assert not late_supervisions.filter(status="escalated").exists()
    assert "overdue_marks" in seeded and "supervisions_closed" in seeded
