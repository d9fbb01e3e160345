"""`manage.py sweep_deadlines`: 黄牌, 红牌, 纪委督办 and its escalation — each exactly once, even run twice at once."""

import contextlib
import datetime
import importlib
import logging
import os
import subprocess
import sys
import threading
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.core.management import CommandError, call_command
from django.db import connection, connections
from django.utils import timezone

from cases.models import (
    CaseEvent,
    ClockMark,
    ClockMarkKind,
    DeadlineRule,
    Dispute,
    EventKind,
    Status,
    Supervision,
    SupervisionStatus,
    Tier,
)
from cases.rules.deadlines import end_of_day, package_covers
from cases.services import supervision as sup
from org.models import Unit
from tests.conftest import COUNTY, TOWN_X, TOWN_Y, VILLAGE_A, VILLAGE_C

D = datetime.date
# A fixed clock: Monday 2026-10-12 10:00 Shanghai. Supervision: +15 calendar days = Tue 10-27.
NOW = timezone.make_aware(datetime.datetime(2026, 10, 12, 10, 0))
SUPERVISION_DUE = end_of_day(D(2026, 10, 27))
ROOT = Path(__file__).resolve().parents[2]


def kinds(case, kind):
    return CaseEvent.objects.filter(dispute=case, kind=kind)


@pytest.fixture
def case_due(make_case, secretary_a):
    """An open case at `village` and `tier` whose deadline is `deadline`."""

    def make(deadline, *, village=VILLAGE_A, tier=Tier.VILLAGE, status=Status.IN_PROGRESS, **fields):
        case = make_case(secretary_a, village, tier=tier, status=status, **fields)
        Dispute.objects.filter(pk=case.pk).update(deadline=deadline)
        case.refresh_from_db()
        return case

    return make


# ---------------------------------------------------------------------------------------------------------------
# 黄牌
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_due_soon_is_recorded_once_per_case_and_deadline(case_due):
    soon = case_due(end_of_day(D(2026, 10, 14)))  # village rule warns 2 days ahead: from 10-12 00:00
    not_yet = case_due(end_of_day(D(2026, 10, 15)))
    report = sup.sweep(now=NOW)
    assert report.due_soon == [soon.number]
    assert ClockMark.objects.filter(dispute=soon, kind=ClockMarkKind.DUE_SOON, deadline=soon.deadline).count() == 1
    event = kinds(soon, EventKind.DUE_SOON).get()
    assert event.actor.username == "system" and event.actor.first_name == "系统"
    assert not event.actor.has_usable_password()
    assert "还剩2天" in event.note
    assert not kinds(not_yet, EventKind.DUE_SOON).exists()
    assert not kinds(soon, EventKind.OVERDUE).exists()

    again = sup.sweep(now=NOW + datetime.timedelta(hours=1))
    assert again.total == 0
    assert kinds(soon, EventKind.DUE_SOON).count() == 1
    # A new deadline (e.g. extended) is a new clock: it gets its own yellow card.
    Dispute.objects.filter(pk=soon.pk).update(deadline=end_of_day(D(2026, 10, 13)))
    assert sup.sweep(now=NOW).due_soon == [soon.number]
    assert kinds(soon, EventKind.DUE_SOON).count() == 2


@pytest.mark.django_db
def test_due_soon_uses_the_warn_days_of_the_cases_rule(case_due):
    # Due Thu 10-15: the county rule warns 3 days ahead (from 10-12 00:00), the village rule only 2.
    county = case_due(end_of_day(D(2026, 10, 15)), tier=Tier.COUNTY)
    village = case_due(end_of_day(D(2026, 10, 15)))
    assert sup.sweep(now=NOW).due_soon == [county.number]
    DeadlineRule.objects.filter(purpose="settle", tier="village").update(warn_before_days=5)
    assert sup.sweep(now=NOW).due_soon == [village.number]


# ---------------------------------------------------------------------------------------------------------------
# 红牌 and 纪委督办
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_overdue_records_the_red_card_and_opens_supervision_once(case_due):
    missed = end_of_day(D(2026, 10, 11))
    case = case_due(missed)
    report = sup.sweep(now=NOW)
    assert report.overdue == report.supervisions_opened == [case.number]
    supervision = Supervision.objects.get(dispute=case)
    assert supervision.missed_deadline == missed
    assert supervision.due_at == SUPERVISION_DUE
    assert supervision.division_id == TOWN_X  # the township of the case's village
    assert supervision.status == SupervisionStatus.OPEN
    assert kinds(case, EventKind.OVERDUE).count() == 1
    assert kinds(case, EventKind.SUPERVISION_OPENED).count() == 1
    assert "2026-10-27" in kinds(case, EventKind.SUPERVISION_OPENED).get().note
    assert not kinds(case, EventKind.DUE_SOON).exists()  # already late: no yellow card
    assert ClockMark.objects.filter(dispute=case, kind=ClockMarkKind.OVERDUE, deadline=missed).count() == 1

    assert sup.sweep(now=NOW + datetime.timedelta(minutes=5)).total == 0
    assert Supervision.objects.filter(dispute=case).count() == 1
    assert kinds(case, EventKind.OVERDUE).count() == 1
    # The case is still open, so it still counts as overdue — derived, nothing was flagged on the case.
    case.refresh_from_db()
    assert case.status == Status.IN_PROGRESS and case.tier == Tier.VILLAGE


@pytest.mark.django_db
def test_a_second_missed_deadline_opens_a_second_supervision(case_due):
    case = case_due(end_of_day(D(2026, 10, 1)))
    sup.sweep(now=NOW)
    Dispute.objects.filter(pk=case.pk).update(deadline=end_of_day(D(2026, 10, 9)))
    assert sup.sweep(now=NOW).supervisions_opened == [case.number]
    assert Supervision.objects.filter(dispute=case).count() == 2


@pytest.mark.django_db
def test_the_supervising_division_follows_the_tier(case_due):
    town_case = case_due(end_of_day(D(2026, 10, 9)), village=VILLAGE_C, tier=Tier.TOWN)
    county_case = case_due(end_of_day(D(2026, 10, 9)), tier=Tier.COUNTY)
    sup.sweep(now=NOW)
    assert Supervision.objects.get(dispute=town_case).division_id == TOWN_Y
    assert Supervision.objects.get(dispute=county_case).division_id == COUNTY


@pytest.mark.django_db
def test_closed_cases_and_cases_without_deadline_are_left_alone(case_due, make_case, secretary_a):
    resolved = case_due(end_of_day(D(2026, 10, 1)), status=Status.RESOLVED)
    rejected = case_due(end_of_day(D(2026, 10, 1)), status=Status.REJECTED)
    no_deadline = make_case(secretary_a, VILLAGE_A)
    before = {case.pk: CaseEvent.objects.filter(dispute=case).count() for case in (resolved, rejected, no_deadline)}
    assert sup.sweep(now=NOW).total == 0
    for case in (resolved, rejected, no_deadline):
        assert CaseEvent.objects.filter(dispute=case).count() == before[case.pk]
    assert not Supervision.objects.exists() and not ClockMark.objects.exists()


@pytest.mark.django_db
def test_a_mark_already_taken_by_another_run_writes_nothing(case_due):
    """The losing side of a race: its ClockMark insert hits `clockmark_once` and it backs off cleanly."""
    case = case_due(end_of_day(D(2026, 10, 11)))
    ClockMark.objects.create(dispute=case, kind=ClockMarkKind.OVERDUE, deadline=case.deadline)
    assert not sup.mark_overdue(case_id=case.pk, deadline=case.deadline, actor=sup.system_actor(), now=NOW)
    assert not kinds(case, EventKind.OVERDUE).exists() and not Supervision.objects.exists()
    # Same for a supervision opened by other means: the red card is recorded, no second supervision.
    case = case_due(end_of_day(D(2026, 10, 11)))  # another case: a mark is never deleted (PostgreSQL refuses)
    Supervision.objects.create(dispute=case, missed_deadline=case.deadline, due_at=SUPERVISION_DUE,
                               division_id=TOWN_X)
    assert sup.mark_overdue(case_id=case.pk, deadline=case.deadline, actor=sup.system_actor(), now=NOW)
    assert sup.open_supervision(case_id=case.pk, deadline=case.deadline, actor=sup.system_actor(), now=NOW) is None
    assert kinds(case, EventKind.OVERDUE).count() == 1
    assert not kinds(case, EventKind.SUPERVISION_OPENED).exists()
    assert Supervision.objects.filter(dispute=case).count() == 1


@pytest.mark.skipif(package_covers(2027), reason="chinesecalendar now covers 2027")
@pytest.mark.django_db
def test_supervision_running_into_an_uncovered_year_counts_weekends_and_warns_once(case_due, caplog):
    cases = [case_due(end_of_day(D(2026, 12, 18))) for _ in range(3)]
    caplog.clear()  # registering them may warn too, when the suite runs in a year whose holidays are not entered
    with caplog.at_level(logging.WARNING, logger="cases.rules.deadlines"):
        sup.sweep(now=timezone.make_aware(datetime.datetime(2026, 12, 21, 9, 0)))
    # Mon 12-21 + 15 = Tue 2027-01-05, a weekday: kept (2027 holidays unknown, weekends only).
    assert {s.due_at for s in Supervision.objects.filter(dispute__in=cases)} == {end_of_day(D(2027, 1, 5))}
    warnings = [r.getMessage() for r in caplog.records if r.name == "cases.rules.deadlines"]
    assert len(warnings) == 1 and "2027年节假日数据未录入，时限按周末推算" in warnings[0]


# ---------------------------------------------------------------------------------------------------------------
# 督办逾期 → 提级到县
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_overdue_supervision_raises_the_case_to_the_county_once(case_due):
    case = case_due(end_of_day(D(2026, 10, 9)), village=VILLAGE_C, tier=Tier.TOWN, status=Status.REFERRED)
    Dispute.objects.filter(pk=case.pk).update(holder_unit=Unit.objects.get(division_id=TOWN_Y, kind="justice"))
    sup.sweep(now=NOW)
    supervision = Supervision.objects.get(dispute=case)
    later = SUPERVISION_DUE + datetime.timedelta(minutes=1)
    report = sup.sweep(now=later)
    assert report.escalated == [case.number]
    supervision.refresh_from_db()
    assert supervision.status == SupervisionStatus.ESCALATED
    assert ClockMark.objects.filter(dispute=case, kind=ClockMarkKind.SUPERVISION_OVERDUE,
                                    deadline=SUPERVISION_DUE).count() == 1
    before_version = case.version
    case.refresh_from_db()
    assert (case.tier, case.holder_division_id, case.holder_unit_id, case.status) == (
        Tier.COUNTY, COUNTY, None, Status.IN_PROGRESS)
    assert case.version == before_version + 1
    event = kinds(case, EventKind.SUPERVISION_OVERDUE).get()
    assert (event.field, event.old_value, event.new_value) == ("tier", "town", "county")
    assert (event.old_display, event.new_display) == ("镇街", "县")
    assert sup.sweep(now=later + datetime.timedelta(minutes=5)).total == 0
    assert kinds(case, EventKind.SUPERVISION_OVERDUE).count() == 1


@pytest.mark.django_db
def test_an_overdue_supervision_at_the_county_is_only_recorded(case_due):
    case = case_due(end_of_day(D(2026, 10, 9)), tier=Tier.COUNTY)
    sup.sweep(now=NOW)
    assert sup.sweep(now=SUPERVISION_DUE + datetime.timedelta(seconds=2)).escalated == [case.number]
    case.refresh_from_db()
    assert case.tier == Tier.COUNTY and case.holder_division_id == COUNTY
    assert kinds(case, EventKind.SUPERVISION_OVERDUE).count() == 1


@pytest.mark.django_db
def test_supervisions_of_resolved_cases_or_already_closed_are_not_escalated(case_due, town_x):
    resolved = case_due(end_of_day(D(2026, 10, 9)))
    done = case_due(end_of_day(D(2026, 10, 9)))
    sup.sweep(now=NOW)
    Dispute.objects.filter(pk=resolved.pk).update(status=Status.RESOLVED)
    sup.close_supervision(actor=town_x, supervision=Supervision.objects.get(dispute=done), note="已办结")
    assert sup.sweep(now=SUPERVISION_DUE + datetime.timedelta(days=1)).total == 0
    assert Supervision.objects.get(dispute=resolved).status == SupervisionStatus.OPEN
    resolved.refresh_from_db()
    assert resolved.tier == Tier.VILLAGE


@pytest.mark.django_db
def test_the_sweep_reads_in_batches(case_due, django_assert_max_num_queries):
    """A repeat sweep costs the same few queries with 3 or 30 cases: no query per case, none per day."""

    def repeat_cost(n):
        for _ in range(n):
            case_due(end_of_day(D(2026, 10, 9)))
            case_due(end_of_day(D(2026, 10, 13)))
        sup.sweep(now=NOW)
        with CaptureQueries() as ctx:
            assert sup.sweep(now=NOW).total == 0
        return len(ctx)

    small = repeat_cost(3)
    large = repeat_cost(27)
    # system user, rules, overdue and due-soon candidates, supervisions, warning replies, and the mediation file's
    # due 回访 and 司法确认 reminders (services.mediation.remind: one query each)
    assert small == large <= 8
    # A first sweep writes per case, but a bounded number of queries per case (red card and supervision: each a
    # locked case, a once-only mark, the record with its timeline and audit rows, and the 待办 queue kept in step,
    # whose new items read their recipients' delivery preferences once: notify.delivery.plan).
    for _ in range(10):
        case_due(end_of_day(D(2026, 10, 10)))
    with django_assert_max_num_queries(8 + 10 * 39):
        assert len(sup.sweep(now=NOW).supervisions_opened) == 10


class CaptureQueries:
    def __enter__(self):
        from django.test.utils import CaptureQueriesContext

        self.ctx = CaptureQueriesContext(connection)
        self.ctx.__enter__()
        return self

    def __exit__(self, *exc):
        self.ctx.__exit__(*exc)

    def __len__(self):
        return len(self.ctx.captured_queries)


# ---------------------------------------------------------------------------------------------------------------
# The command
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_command_reports_in_chinese_and_is_idempotent(case_due):
    now = timezone.now()
    late = case_due(now - datetime.timedelta(days=1))
    soon = case_due(now + datetime.timedelta(hours=1))
    out = StringIO()
    call_command("sweep_deadlines", stdout=out)
    text = out.getvalue()
    assert f"逾期（红牌） 1 件：{late.number}" in text
    assert f"开启纪委督办 1 件：{late.number}" in text
    assert f"临期提醒（黄牌） 1 件：{soon.number}" in text
    out = StringIO()
    call_command("sweep_deadlines", stdout=out)
    assert "没有需要记录的事项" in out.getvalue()
    assert Supervision.objects.count() == 1


@pytest.mark.django_db
def test_the_command_refuses_bad_arguments():
    with pytest.raises(CommandError, match="参数错误"):
        call_command("sweep_deadlines", "extra")
    result = subprocess.run(
        [sys.executable, "manage.py", "sweep_deadlines", "--bogus"], cwd=ROOT, capture_output=True, text=True, check=False,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"}, timeout=60,
    )
    assert result.returncode == 2
    assert "参数错误" in result.stderr and "--bogus" in result.stderr
    assert not Supervision.objects.exists()


# ---------------------------------------------------------------------------------------------------------------
# Two copies at once (PostgreSQL: SQLite serialises writers, so there is no race to test)
# ---------------------------------------------------------------------------------------------------------------


def _restore_reference_data():
    """Divisions, units and the seeded deadline and escalation rules: a transactional test's flush deletes them."""
    with open(os.devnull, "w") as null:
        call_command("load_divisions", verbosity=0, stdout=null)
        call_command("seed_reference", stdout=null)
    importlib.import_module("cases.migrations.0004_default_deadline_rules").seed(django_apps, None)
    importlib.import_module("cases.migrations.0005_default_escalation_rules").seed(django_apps, None)


@pytest.fixture(scope="module")
def reference_data_after_flush(django_db_setup, django_db_blocker):
    """Module scope, so it is torn down after the transactional test's flush: later tests find the rows again."""
    yield
    with django_db_blocker.unblock():
        _restore_reference_data()


def _command_output(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def _run_twice_at_once(target) -> list:
    """Run `target` in two threads released together; their results."""
    barrier = threading.Barrier(2)
    errors, results = [], []

    def run():
        try:
            connection.ensure_connection()  # connect first, so both copies really start together
            barrier.wait(timeout=30)
            results.append(target())
        except Exception as e:  # noqa: BLE001 - reported by the assertion below
            errors.append(e)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    return results


def _held_at_first_write(monkeypatch, name):
    """Make each copy wait, after reading its candidates and before its first write, until the other copy has read
    too: both then hold the same candidate list and really race for every case."""
    barrier, seen = threading.Barrier(2), threading.local()
    original = getattr(sup, name)

    def wrapper(**kwargs):
        if not getattr(seen, "done", False):
            seen.done = True
            barrier.wait(timeout=30)
        return original(**kwargs)

    monkeypatch.setattr(sup, name, wrapper)


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="concurrency test needs PostgreSQL: SQLite serialises all writers, there is no race")
@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_once_record_everything_exactly_once(reference_data_after_flush, make_case, make_user,
                                                           monkeypatch):
    _restore_reference_data()
    from org.models import Role

    secretary = make_user(Role.VILLAGE_SECRETARY, VILLAGE_A)
    missed = timezone.now() - datetime.timedelta(days=2)
    cases = [make_case(secretary, VILLAGE_A, status=Status.IN_PROGRESS) for _ in range(30)]
    Dispute.objects.filter(pk__in=[c.pk for c in cases]).update(deadline=missed)
    numbers = sorted(c.number for c in cases)
    started = set(Dispute.objects.filter(pk__in=[c.pk for c in cases]).values_list("version", flat=True))

    _held_at_first_write(monkeypatch, "mark_overdue")
    # Two nodes' commands normally take turns (advisory lock, tests/deploy/test_sweep_lock_pg.py); the sweep must
    # stay exact even when they do not (a node of an older release), so both copies skip the lock here.
    from cases.management.commands import sweep_deadlines as command

    monkeypatch.setattr(command, "single_node", lambda name: contextlib.nullcontext(True))
    outputs = _run_twice_at_once(lambda: _command_output("sweep_deadlines"))
    assert Supervision.objects.count() == 30
    assert Supervision.objects.values("dispute").distinct().count() == 30
    assert CaseEvent.objects.filter(kind=EventKind.OVERDUE).count() == 30
    assert CaseEvent.objects.filter(kind=EventKind.SUPERVISION_OPENED).count() == 30
    assert ClockMark.objects.filter(kind=ClockMarkKind.OVERDUE).count() == 30
    # Each case is reported by exactly one of the two copies.
    reported = [n for out in outputs for line in out.splitlines() if line.startswith("开启纪委督办")
                for n in line.split("：", 1)[1].split("、")]
    assert sorted(reported) == numbers

    # Both copies again, with every supervision past its own deadline: one escalation per case.
    Supervision.objects.update(due_at=timezone.now() - datetime.timedelta(minutes=1))
    _held_at_first_write(monkeypatch, "escalate_supervision")
    reports = _run_twice_at_once(sup.sweep)
    assert sorted(reports[0].escalated + reports[1].escalated) == numbers
    assert Supervision.objects.filter(status=SupervisionStatus.ESCALATED).count() == 30
    assert CaseEvent.objects.filter(kind=EventKind.SUPERVISION_OVERDUE).count() == 30
    assert ClockMark.objects.filter(kind=ClockMarkKind.SUPERVISION_OVERDUE).count() == 30
    assert Dispute.objects.filter(tier=Tier.COUNTY, holder_division_id=COUNTY).count() == 30
    assert set(Dispute.objects.values_list("version", flat=True)) == {v + 1 for v in started}  # escalated once
