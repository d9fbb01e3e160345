"""The PostgreSQL path of `manage.py seed_benchmark`: cases, parties, timeline and workflow records by COPY.

A batch is drawn by `seed_benchmark.Generator.draw` (the same cases on every database); here it becomes rows:
keys reserved from the sequences first (`perf.copy.reserve_ids`), so a party's encrypted fields are bound to their
own row at once (docs/pii.md) and records reference their case; `town_id` and `search_text` are written as the
model and the triggers would (cases/denorm.py), with the party search triggers off for the party COPY (they would
rewrite every case of the batch). The tally triggers stay on: one grouped upsert per dispute COPY.

Workflow records for the cases that reached the town or county, or are open and serious:
referrals (village → town, town → county, with their statuses), 四定 with its three 三包 duties (people of the
town's directory), early warnings on open red/orange cases, supervisions on some overdue town/county cases, and a
timeline event for each of these. All people are fictitious.
"""

import base64
import datetime
import os
import queue
import threading

from django.db import connection, transaction

from cases import denorm
from cases.models import (
    OPEN_STATUSES,
    Assignment,
    CaseEvent,
    Dispute,
    Duty,
    DutyKind,
    EarlyWarning,
    EventKind,
    Party,
    Referral,
    ReferralKind,
    ReferralStatus,
    Risk,
    Status,
    Supervision,
    SupervisionStatus,
    Tier,
    WarningStatus,
    WarningTarget,
)
from core import crypto
from core.fields import encrypted_fields

from .copy import copy_text, format_rows, reserve_ids

HOUR = datetime.timedelta(hours=1)
DAY = datetime.timedelta(days=1)

DISPUTE_COLUMNS = [
    "id", "number", "title", "category", "subcategory_id", "source", "risk", "people_involved", "arose_on",
    "village_id", "place", "description", "status", "tier", "holder_division_id", "holder_unit_id", "deadline",
    "created_by_id", "created_at", "updated_at", "version", "outcome", "outcome_note", "resolved_at", "closed_at",
    "reopen_count", "first_resolved_at", "first_resolved_on_time", "town_id", "search_text",
]
PARTY_COLUMNS = ["id", "dispute_id", "role", "name", "sex", "id_number", "phone", "address", "id_hash", "phone_hash",
                 "village_id"]
EVENT_COLUMNS = ["dispute_id", "kind", "actor_id", "at", "field", "old_value", "new_value", "note", "meeting_id"]
REFERRAL_COLUMNS = ["dispute_id", "kind", "from_tier", "from_division_id", "to_tier", "to_division_id", "to_unit_id",
                    "reason", "deadline", "status", "decision_note", "decided_by_id", "decided_at", "meeting_id",
                    "created_by_id", "created_at", "mode", "sign_by", "feedback", "feedback_outcome", "feedback_at",
                    "review_note", "reviewed_at", "ended_at"]
ASSIGNMENT_COLUMNS = ["id", "dispute_id", "tier", "lead_leader_id", "responsible_unit_id", "responsible_person_id",
                      "measures", "deadline", "active", "meeting_id", "created_by_id", "created_at"]
DUTY_COLUMNS = ["assignment_id", "kind", "person_id", "due_on", "done_at"]
WARNING_COLUMNS = ["dispute_id", "level", "triggers", "reasons", "submitted_to", "reassess_on", "status", "tier",
                   "division_id", "meeting_id", "raised_by_id", "raised_at", "closed_at", "close_note",
                   "recipient_tier", "recipient_division_id", "respond_by", "signed_by_id", "signed_at", "reply",
                   "replied_by_id", "replied_at"]
SUPERVISION_COLUMNS = ["dispute_id", "missed_deadline", "due_at", "status", "division_id", "opened_at", "closed_at",
                       "note"]
MEASURES = ["组织双方当面调解，释法明理，一周内形成初步方案。", "联合司法所、派出所现场核实，逐户走访听取意见。",
            "请村两委协助，邀请双方亲属参与调解，稳控情绪。", "查阅原始材料，会同相关部门提出处理意见。"]
REASONS = ["涉及人数较多，村级调解未果，提请镇街协调。", "双方分歧较大，需上级统筹相关部门处理。",
           "涉及多个部门职责，超出本级处理能力。"]


class CopyWriter:
    """Writes drawn batches by COPY. `people` are (name, sex, id_number, phone, id_hash, phone_hash)."""

    def __init__(self, *, county_id, creator_id, now, directory, units, rng):
        self.county_id, self.creator_id, self.now, self.rng = county_id, creator_id, now, rng
        self.directory = directory  # division code -> [Person pk]: the town's (or the county's) 人员库
        self.units = units  # division code -> Unit pk for 四定's 责任单位
        self.fields = [f.name for f in encrypted_fields(Party)]
        assert self.fields == ["id_number", "phone", "address"], self.fields
        ring = crypto.keyring()
        aead, header = ring.aeads[0][1], bytes([crypto.VERSION, ring.primary_id])
        urandom, b64, nonce_bytes = os.urandom, base64.b64encode, crypto.NONCE_BYTES

        def seal(plaintext: str, *, aad: str) -> str:
            """crypto.encrypt_bound with the key looked up once per run instead of once per value (the seed test
            decrypts what this writes)."""
            nonce = urandom(nonce_bytes)
            return b64(header + nonce + aead.encrypt(nonce, plaintext.encode(), aad.encode())).decode("ascii")

        self.seal = seal
        self.sink = run_jobs  # or a Pipeline's `put`: COPY in a second thread while the next batch is drawn

    def write(self, cases: list[dict]) -> dict:
        n = len(cases)
        ids = reserve_ids(Dispute._meta.db_table, n)
        n_parties = sum(len(c["parties"]) for c in cases)
        party_ids = iter(reserve_ids(Party._meta.db_table, n_parties))
        seal, label = self.seal, Party._meta.label
        dispute_rows, party_rows, events = [], [], []
        for pk, c in zip(ids, cases):
            c["id"] = pk
            ps = c["parties"]
            c["search_text"] = " ".join([c["number"], c["title"], *(p["name"] for p in ps)]).lower()
            for p in ps:
                ppk = next(party_ids)
                person = p["person"]
                party_rows.append((
                    ppk, pk, p["role"], p["name"], p["sex"],
                    seal(person[2], aad=f"{label}.id_number:{ppk}"),
                    seal(person[3], aad=f"{label}.phone:{ppk}"),
                    seal(p["address"], aad=f"{label}.address:{ppk}"),
                    person[4], person[5], None,
                ))
            dispute_rows.append(tuple(c[k] for k in DISPUTE_COLUMNS))
            events.append((pk, EventKind.LOGGED.value, self.creator_id, c["created_at"], "", "", Status.LOGGED.label,
                           f"（基准测试数据）登记于{c['village_name']}，当事人{len(ps)}人：" + "、".join(p["name"] for p in ps),
                           None))
        jobs = [Job(Dispute._meta.db_table, DISPUTE_COLUMNS, dispute_rows),
                Job(Party._meta.db_table, PARTY_COLUMNS, party_rows, without=denorm.PARTY_SEARCH_TRIGGERS)]
        counts = {"disputes": n, "parties": len(party_rows)}
        counts.update(self.workflow(cases, events, jobs))
        jobs.append(Job(CaseEvent._meta.db_table, EVENT_COLUMNS, sorted(events, key=_event_order)))
        counts["events"] = jobs[-1].n
        self.sink(jobs)
        return counts

    # --- workflow records -----------------------------------------------------------------------------------------

    def workflow(self, cases, events, jobs) -> dict:
        rng, now, me, county = self.rng, self.now, self.creator_id, self.county_id
        referrals, assignments, duties, warnings, supervisions = [], [], [], [], []
        with_assignment = []
        for c in cases:
            pk, status, tier, at = c["id"], c["status"], c["tier"], c["created_at"]
            village, town = c["village_id"], c["town_id"]
            t = at + HOUR * rng.uniform(2, 48)
            if status == Status.LOGGED:
                continue
            events.append((pk, EventKind.STARTED.value, me, min(t, now), "", "", "", "（基准测试数据）开始调处", None))
            t += HOUR * rng.uniform(2, 72)
            # 提请 village → town: pending when the case still waits at the village, else accepted.
            if tier != Tier.VILLAGE or status == Status.REFERRED:
                pending = tier == Tier.VILLAGE
                t = min(t, now)
                decided = None if pending else min(t + HOUR * rng.uniform(1, 30), now)
                referrals.append(self._referral(pk, Tier.VILLAGE, village, Tier.TOWN, town, t, decided))
                events.append((pk, EventKind.REFERRED.value, me, t, "", "", "", "（基准测试数据）提请镇街", None))
                if decided:
                    events.append((pk, EventKind.ACCEPTED.value, me, decided, "", "", "", "（基准测试数据）镇街签收",
                                   None))
                    t = decided
            if tier == Tier.COUNTY or (tier == Tier.TOWN and status == Status.REFERRED):
                pending = tier == Tier.TOWN
                t = min(t + HOUR * rng.uniform(24, 200), now)
                decided = None if pending else min(t + HOUR * rng.uniform(1, 30), now)
                referrals.append(self._referral(pk, Tier.TOWN, town, Tier.COUNTY, county, t, decided))
                events.append((pk, EventKind.REFERRED.value, me, t, "", "", "", "（基准测试数据）提请县级", None))
                if decided:
                    events.append((pk, EventKind.ACCEPTED.value, me, decided, "", "", "", "（基准测试数据）县级签收",
                                   None))
                    t = decided
            if tier != Tier.VILLAGE:
                holder = county if tier == Tier.COUNTY else town
                people = self.directory.get(holder) or self.directory[town]
                t = min(t + HOUR * rng.uniform(1, 24), now)
                with_assignment.append((c, holder, people, t))
                events.append((pk, EventKind.ASSIGNED.value, me, t, "", "", "", "（基准测试数据）落实四定", None))
                is_open = status in OPEN_STATUSES
                if is_open and c["risk"] in (Risk.RED, Risk.ORANGE):
                    raised = min(t + HOUR, now)
                    warnings.append(self._warning(pk, c["risk"], tier, holder, raised))
                    events.append((pk, EventKind.WARNING_RAISED.value, me, raised, "", "", "",
                                   "（基准测试数据）发出预警", None))
                deadline = c["deadline"]
                if is_open and deadline < now and rng.random() < 0.4:
                    opened = min(deadline + HOUR, now)
                    supervisions.append((pk, deadline, deadline + 7 * DAY, SupervisionStatus.OPEN.value, county,
                                         opened, None, "（基准测试数据）逾期未办结，请抓紧办理并书面回复。"))
            if status in (Status.RESOLVED, Status.CLOSED) and c["resolved_at"]:
                events.append((pk, EventKind.RESOLVED.value, me, c["resolved_at"], "", "", "", "（基准测试数据）化解",
                               None))
            if c["closed_at"]:
                kind = EventKind.CLOSED if status == Status.CLOSED else EventKind.REJECTED
                events.append((pk, kind.value, me, c["closed_at"], "", "", "", "（基准测试数据）结案", None))
        ids = reserve_ids(Assignment._meta.db_table, len(with_assignment))
        for apk, (c, holder, people, t) in zip(ids, with_assignment):
            lead, person = rng.sample(people, 2)
            assignments.append((apk, c["id"], c["tier"], lead, self.units[holder], person, rng.choice(MEASURES),
                                c["deadline"], True, None, me, t))
            done = c["resolved_at"]
            for kind in (DutyKind.HANDLE, DutyKind.TRACK, DutyKind.FEEDBACK):
                duties.append((apk, kind.value, rng.choice(people), c["deadline"].date(), done))
        counts = {}
        for key, model, columns, rows in [
            ("referrals", Referral, REFERRAL_COLUMNS, referrals),
            ("assignments", Assignment, ASSIGNMENT_COLUMNS, assignments),
            ("duties", Duty, DUTY_COLUMNS, duties),
            ("warnings", EarlyWarning, WARNING_COLUMNS, warnings),
            ("supervisions", Supervision, SUPERVISION_COLUMNS, supervisions),
        ]:
            jobs.append(Job(model._meta.db_table, columns, rows))
            counts[key] = jobs[-1].n
        return counts

    def _referral(self, pk, from_tier, from_div, to_tier, to_div, at, decided):
        status = ReferralStatus.ACCEPTED if decided else ReferralStatus.PENDING
        return (pk, ReferralKind.REFER.value, from_tier, from_div, to_tier, to_div, None, self.rng.choice(REASONS),
                at + 3 * DAY, status.value, "同意签收" if decided else "", self.creator_id if decided else None,
                decided, None, self.creator_id, at, "", None, "", "", None, "", None, None)

    def _warning(self, pk, risk, tier, division, at):
        level = "red" if risk == Risk.RED else "orange"
        hours = 24 if level == "red" else 72
        return (pk, level, '["intensify"]', "（基准测试数据）矛盾有激化苗头，需重点稳控。", WarningTarget.COUNTY.value,
                (at + 7 * DAY).date(), WarningStatus.OPEN.value, tier, division, None, self.creator_id, at, None, "",
                Tier.COUNTY.value, self.county_id, at + hours * HOUR, None, None, "", None, None)


class Job:
    """One COPY: the rows already formatted (`perf.copy.format_rows`); `without`: triggers switched off for it."""

    def __init__(self, table, columns, rows, without=()):
        self.table, self.columns, self.without = table, columns, without
        self.body, self.n = format_rows(rows)


def run_jobs(jobs: list[Job]) -> None:
    """Run one batch's COPYs in the current transaction (one per batch: the caller's atomic block)."""
    with transaction.atomic(), connection.cursor() as cursor:
        # Foreign keys are checked at each statement, not at commit: ALTER TABLE … ENABLE TRIGGER refuses to run
        # while the party COPY's deferred checks are pending.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for job in jobs:
            if not job.n:
                continue
            for name in job.without:
                cursor.execute(f"ALTER TABLE {job.table} DISABLE TRIGGER {name}")
            try:
                copy_text(job.table, job.columns, job.body, job.n)
            finally:
                for name in job.without:
                    cursor.execute(f"ALTER TABLE {job.table} ENABLE TRIGGER {name}")


class Pipeline:
    """A writer thread with its own database connection: batch k is COPYed (one transaction) while the main thread
    draws and formats batch k+1, so Python and PostgreSQL use both cores. Only outside a transaction (the thread
    must see the committed divisions and users)."""

    def __init__(self, depth=2):
        self.queue = queue.Queue(maxsize=depth)
        self.error = None
        self.thread = threading.Thread(target=self._run, name="seed-copy", daemon=True)
        self.thread.start()

    def _run(self):
        try:
            while (jobs := self.queue.get()) is not None:
                if self.error is None:
                    try:
                        run_jobs(jobs)
                    except BaseException as exc:  # reported by put()/close() in the main thread
                        self.error = exc
        finally:
            connection.close()

    def put(self, jobs):
        if self.error is not None:
            raise self.error
        self.queue.put(jobs)

    def close(self):
        self.queue.put(None)
        self.thread.join()
        if self.error is not None:
            raise self.error


def _event_order(e):
    return e[3]

