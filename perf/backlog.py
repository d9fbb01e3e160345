"""The seed's clock, as if the sweep had run every day (BENCHMARK ONLY, PostgreSQL).

A seeded county has years of deadlines that passed without a sweep: its first `sweep_deadlines` would mark some
95,000 overdue cases one transaction each (docs/deadlines.md) — a catch-up no live county ever runs. This writes
what the daily sweeps would have left behind up to one day ago, in four statements: the once-only clock marks for
overdue cases, due-soon cases and late replies to warnings, and the late supervisions closed (a supervision the
sweep escalated would have moved its case to the county; the seed keeps its tiers, so they are closed instead).
What fell due in the last day is left for the sweep, as in a county that swept yesterday: `benchmark --sweep`
then measures a day's sweep over the whole county.
"""

import datetime

from django.db import connection

from cases.models import OPEN_STATUSES, ClockMarkKind, SupervisionStatus, WarningStatus

FRESH = datetime.timedelta(days=1)  # what fell due since the last daily sweep
DUE_SOON_AHEAD = datetime.timedelta(days=2)  # yesterday's sweep already gave these their yellow card


def mark_as_swept(now: datetime.datetime) -> dict:
    """Write the clock marks and supervision closings of the daily sweeps up to `now - FRESH`; returns counts."""
    swept_until = now - FRESH
    params = {"open": list(OPEN_STATUSES), "until": swept_until, "now": now, "soon": now + DUE_SOON_AHEAD}
    made = {}
    with connection.cursor() as c:
        c.execute(f"""
            INSERT INTO cases_clockmark (kind, deadline, created_at, dispute_id)
            SELECT '{ClockMarkKind.OVERDUE}', deadline, deadline, id FROM cases_dispute
            WHERE status = ANY(%(open)s) AND deadline < %(until)s
            ON CONFLICT DO NOTHING""", params)
        made["overdue_marks"] = c.rowcount
        c.execute(f"""
            INSERT INTO cases_clockmark (kind, deadline, created_at, dispute_id)
            SELECT '{ClockMarkKind.DUE_SOON}', deadline, %(until)s, id FROM cases_dispute
            WHERE status = ANY(%(open)s) AND deadline >= %(now)s AND deadline < %(soon)s
            ON CONFLICT DO NOTHING""", params)
        made["due_soon_marks"] = c.rowcount
        c.execute(f"""
            INSERT INTO cases_clockmark (kind, deadline, created_at, dispute_id)
            SELECT '{ClockMarkKind.WARNING_OVERDUE}', respond_by, respond_by, dispute_id FROM cases_warning
            WHERE status = '{WarningStatus.OPEN}' AND replied_at IS NULL AND respond_by < %(until)s
            ON CONFLICT DO NOTHING""", params)
        made["warning_marks"] = c.rowcount
        c.execute(f"""
            UPDATE cases_supervision SET status = '{SupervisionStatus.DONE}', closed_at = due_at,
                   note = '（基准数据）督办已办结'
            WHERE status = '{SupervisionStatus.OPEN}' AND due_at < %(until)s""", params)
        made["supervisions_closed"] = c.rowcount
    return made
