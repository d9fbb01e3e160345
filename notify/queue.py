"""What is in whose queue for one case, derived from the case records, and kept in step with the notifications.

Each *source* looks at one kind of work on the case (a referral waiting for 签收, an open supervision, a 四定 due
soon …) and names the items and their recipients. `sync_case` runs after every recorded change of the case, in its
transaction: it creates the notifications that are missing and marks done those whose work has gone. So every
queue item has exactly one open notification per recipient, and finishing the work clears it. Add a source to
`SOURCES` for a new kind of work.
"""

import datetime
import functools
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Prefetch
from django.urls import reverse
from django.utils import timezone

from cases import policy
from cases.models import (
    OPEN_STATUSES,
    Agreement,
    AgreementForm,
    Assignment,
    CaseMediator,
    Duty,
    FollowUp,
    Referral,
    ReferralKind,
    ReferralStatus,
    Status,
    Supervision,
    SupervisionAction,
    SupervisionActionKind,
    SupervisionStatus,
    Tier,
    WarningLevel,
)
from cases.rules.deadlines import CONFIRMATION_REMIND_DAYS, confirmation_deadline
from core.clocks import SOON_DAYS, days_left
from org.jurisdiction import COUNTY_CODE
from org.models import TOWN_ROLES, VILLAGE_ROLES, Membership, Role

from .delivery import plan as delivery
from .models import Notification, NotificationKind

WORK_KINDS = (SupervisionActionKind.REMIND, SupervisionActionKind.NOTICE, SupervisionActionKind.REPLY)


@dataclass(frozen=True)
class Item:
    kind: str
    key: str
    text: str
    recipients: frozenset  # user ids
    urgent: bool = False  # a red warning: its SMS goes out in quiet hours too (notify.delivery.rules)


class Facts:
    """The case's records the sources read, each loaded once per sync (a handful of queries whatever the case)."""

    def __init__(self, case):
        self.case = case
        self._people = {}

    @functools.cached_property
    def referrals(self):
        return list(Referral.objects.filter(dispute=self.case).select_related("from_division", "to_division",
                                                                               "to_unit").order_by("created_at", "id"))

    @functools.cached_property
    def assignment(self):
        return (Assignment.objects.filter(dispute=self.case, active=True)
                .select_related("lead_leader", "responsible_person")
                .prefetch_related(Prefetch("duties", Duty.objects.select_related("person"))).first())

    @functools.cached_property
    def open_supervisions(self):
        # has_work: whether the 纪委 recorded 催办/通知书/回复 on it, so `supervision_work` costs no query without.
        work = SupervisionAction.objects.filter(supervision=OuterRef("pk"), kind__in=WORK_KINDS)
        return list(Supervision.objects.filter(dispute=self.case, status=SupervisionStatus.OPEN)
                    .annotate(has_work=Exists(work)))

    @functools.cached_property
    def supervision_work(self):
        """The 纪委's 催办, 督办通知书 and 回复 on the case's open supervisions, oldest first (one query)."""
        busy = [s.pk for s in self.open_supervisions if s.has_work]
        if not busy:
            return []
        return list(SupervisionAction.objects.filter(supervision__in=busy, kind__in=WORK_KINDS)
                    .order_by("created_at", "id"))

    @functools.cached_property
    def open_warnings(self):
        return list(self.case.warnings.filter(status="open"))

    @functools.cached_property
    def pending_extensions(self):
        return list(self.case.extensions.filter(status="pending"))

    def members(self, division_code, roles) -> frozenset:
        key = (division_code, frozenset(roles))
        if key not in self._people:
            self._people[key] = frozenset(Membership.objects.filter(division_id=division_code, role__in=roles)
                                          .values_list("user_id", flat=True))
        return self._people[key]

    def unit_staff(self, unit_id) -> frozenset:
        key = ("unit", unit_id)
        if key not in self._people:
            self._people[key] = frozenset(Membership.objects.filter(unit_id=unit_id, role=Role.UNIT_STAFF)
                                          .values_list("user_id", flat=True))
        return self._people[key]

    def holders(self) -> frozenset:
        """The people of the tier holding the case (and of the unit it was moved to)."""
        case = self.case
        division = COUNTY_CODE if case.tier == Tier.COUNTY else case.holder_division_id
        people = self.members(division, tier_roles(case.tier))
        return people | self.unit_staff(case.holder_unit_id) if case.holder_unit_id else people

    def assignees(self) -> frozenset:
        """The accounts of the active 四定's people (包案领导, 责任人, 三包 holders); people without one get nothing."""
        a = self.assignment
        return frozenset(policy.assignee_user_ids(a)) if a else frozenset()


def tier_roles(tier) -> frozenset:
    return {Tier.VILLAGE: VILLAGE_ROLES, Tier.TOWN: TOWN_ROLES, Tier.COUNTY: frozenset({Role.COUNTY_CENTRE})}[tier]


# --- sources: (facts) -> items -------------------------------------------------------------------------------------


def referrals(f):
    """A referral waiting for 签收; the last one sent back, until the tier it came from acts again."""
    case = f.case
    hops = [r for r in f.referrals if r.kind == ReferralKind.REFER]
    for r in hops:
        if r.status == ReferralStatus.PENDING:
            yield Item(NotificationKind.REFERRAL, f"referral:{r.pk}",
                       f"{case.number} 待签收：{r.from_division.short_name} → {r.to_division.short_name}，{case.title}",
                       f.members(r.to_division_id, tier_roles(r.to_tier)))
    last = hops[-1] if hops else None
    if last is None or last.status != ReferralStatus.RETURNED or case.status not in OPEN_STATUSES:
        return
    if case.events.filter(at__gt=last.decided_at, actor__membership__division_id=last.from_division_id).exists():
        return
    yield Item(NotificationKind.RETURNED, f"returned:{last.pk}", f"{case.number} 被退回：{last.decision_note[:80]}",
               f.members(last.from_division_id, tier_roles(last.from_tier)))


def transfers(f):
    """A unit's 新移交 waiting for its 签收; a feedback waiting for the transferring tier's 审核; a transfer the unit
    sent back, until the tier re-routes the case."""
    case = f.case
    rows = [r for r in f.referrals if r.kind == ReferralKind.TRANSFER]
    for r in rows:
        if r.ended_at is None and r.status == ReferralStatus.PENDING:
            by = f"，请在{timezone.localtime(r.sign_by):%m月%d日%H:%M}前签收" if r.sign_by else ""
            yield Item(NotificationKind.TRANSFER, f"transfer:{r.pk}", f"{case.number} 新移交{by}：{case.title}",
                       f.unit_staff(r.to_unit_id))
        if r.awaiting_review:
            yield Item(NotificationKind.FEEDBACK, f"feedback:{r.pk}:{r.feedback_at:%Y%m%d%H%M%S}",
                       f"{case.number} {r.to_unit}已提交办理反馈，待审核：{case.title}",
                       f.members(r.from_division_id, tier_roles(r.from_tier)))
    last = rows[-1] if rows else None
    if (last is not None and last.status == ReferralStatus.RETURNED and case.holder_unit_id is None
            and case.status in OPEN_STATUSES):
        yield Item(NotificationKind.TRANSFER_RETURNED, f"transfer_returned:{last.pk}",
                   f"{case.number} {last.to_unit}退回移交，请另行交办：{last.decision_note[:60]}",
                   f.members(last.from_division_id, tier_roles(last.from_tier)))


def supervisions(f):
    """An open 督办: the holders and the 四定's people must finish by its deadline; the supervising 纪委 follows it."""
    for s in f.open_supervisions:
        yield Item(NotificationKind.SUPERVISION, f"supervision:{s.pk}",
                   f"{f.case.number} 已被纪委督办，须在{timezone.localtime(s.due_at):%m月%d日}前办结：{f.case.title}",
                   f.holders() | f.assignees() | f.members(s.division_id, frozenset({Role.DISCIPLINE})))


def supervision_work(f):
    """纪委催办 and 督办通知书 on an open 督办, for the 四定's 包案领导 and 责任人 (the holding tier's people when the
    case has no 四定), until a 回复 is recorded after it (a notice: a reply to that notice)."""
    if not f.supervision_work:
        return
    people = f.assignees() or f.holders()
    replies = [a for a in f.supervision_work if a.kind == SupervisionActionKind.REPLY]
    answered = {a.reply_to_id for a in replies}
    case = f.case
    for a in f.supervision_work:
        if a.kind == SupervisionActionKind.REMIND:
            if any(r.supervision_id == a.supervision_id and (r.created_at, r.pk) > (a.created_at, a.pk)
                   for r in replies):
                continue
            yield Item(NotificationKind.SUPERVISION, f"supervision_remind:{a.pk}",
                       f"纪委催办：{case.number} {a.text[:80]}", people)
        elif a.kind == SupervisionActionKind.NOTICE and a.pk not in answered:
            yield Item(NotificationKind.SUPERVISION, f"supervision_notice:{a.pk}",
                       f"纪委督办通知书{a.number}：{case.number} 请于{a.reply_by:%m月%d日}前书面回复：{case.title}",
                       people)


def assignments_due(f):
    """My 四定 due within SOON_DAYS days, or overdue, while the case is open."""
    a, case = f.assignment, f.case
    if a is None or case.status not in OPEN_STATUSES:
        return
    days = days_left(a.deadline)
    if days > SOON_DAYS:
        return
    if days < 0:
        yield Item(NotificationKind.ASSIGNMENT_OVERDUE, f"assignment:{a.pk}:overdue",
                   f"{case.number} 包案已超期{-days}天：{case.title}", f.assignees())
    else:
        when = "今日到期" if days == 0 else f"剩{days}天"
        yield Item(NotificationKind.ASSIGNMENT_DUE, f"assignment:{a.pk}:due", f"{case.number} 包案{when}：{case.title}",
                   f.assignees())


def duties_due(f):
    """A 三包 duty not yet done, due within SOON_DAYS days or overdue, in its holder's queue (if they have an account)."""
    a, case = f.assignment, f.case
    if a is None or case.status not in OPEN_STATUSES:
        return
    today, last_day = timezone.localdate(), timezone.localtime(a.deadline).date()
    named = {a.lead_leader_id, a.responsible_person_id}
    for d in a.duties.all():
        if d.done_at or not d.person.user_id or (d.due_on - today).days > SOON_DAYS:
            continue
        if d.person_id in named and d.due_on == last_day:
            continue  # the 四定's own item (assignments_due) already says it
        late = (today - d.due_on).days
        when = f"已超期{late}天" if late > 0 else ("今日到期" if late == 0 else f"{d.due_on:%m月%d日}前完成")
        yield Item(NotificationKind.ASSIGNMENT_OVERDUE if late > 0 else NotificationKind.ASSIGNMENT_DUE,
                   f"duty:{d.pk}", f"{case.number} 三包“{d.get_kind_display()}”{when}：{case.title}",
                   frozenset({d.person.user_id}))


def extensions(f):
    for e in f.pending_extensions:
        yield Item(NotificationKind.EXTENSION, f"extension:{e.pk}",
                   f"{f.case.number} 申请延期{e.days}天，待审批：{f.case.title}",
                   f.members(e.approver_division_id, tier_roles(e.approver_tier)))


def warnings(f):
    """A warning delivered to the town leadership or the county centre, until its 批示/回复."""
    for w in f.open_warnings:
        if w.replied_at is None and w.recipient_division_id:
            roles = policy.warning_recipient_roles(w)
            what = "已签收，待回复" if w.signed_at else "待签收"
            yield Item(NotificationKind.WARNING, f"warning:{w.pk}",
                       f"{f.case.number} {w.get_level_display()}{what}，请在{timezone.localtime(w.respond_by):%m月%d日%H:%M}"
                       f"前批示/回复：{f.case.title}", f.members(w.recipient_division_id, roles),
                       urgent=w.level == WarningLevel.RED)


def mediator_or_holders(f) -> frozenset:
    """Who does the mediation file's follow-up work: the lead mediator's account, else the case holders."""
    lead = (CaseMediator.objects.filter(dispute=f.case, active=True, is_lead=True)
            .values_list("mediator__person__user_id", flat=True).first())
    return frozenset({lead}) if lead else f.holders()


def follow_ups(f):
    """回访 of the standing resolution that are due (化解后第7、30、90天, FollowUpDay) and not yet visited."""
    case = f.case
    if case.status not in (Status.RESOLVED, Status.CLOSED) or case.resolved_at is None:
        return
    due = list(FollowUp.objects.filter(dispute=case, resolution_at=case.resolved_at, visit__isnull=True,
                                       due_on__lte=timezone.localdate()).order_by("due_on"))
    if not due:
        return
    people = mediator_or_holders(f)
    for fu in due:
        yield Item(NotificationKind.ASSIGNMENT_DUE, f"follow_up:{fu.pk}",
                   f"回访到期：{case.number} 化解后第{fu.days}天回访（应于{fu.due_on:%m月%d日}）：{case.title}", people)


def confirmations(f):
    """A written agreement whose 司法确认 period reached day 20 with nothing recorded, until the period ends."""
    case = f.case
    if case.status not in (Status.RESOLVED, Status.CLOSED):
        return
    today = timezone.localdate()
    waiting = Agreement.objects.filter(dispute=case, form=AgreementForm.WRITTEN, confirmation_applied_on__isnull=True,
                                       effective_on__lte=today - datetime.timedelta(days=CONFIRMATION_REMIND_DAYS))
    for a in waiting:
        ends = confirmation_deadline(a.effective_on)
        if timezone.now() > ends:
            continue
        yield Item(NotificationKind.ASSIGNMENT_DUE, f"confirmation:{a.pk}",
                   f"司法确认提醒：{case.number} 调解协议如需司法确认，须在{timezone.localtime(ends):%m月%d日}前由双方"
                   f"共同向人民法院申请：{case.title}", mediator_or_holders(f))


SOURCES = [referrals, transfers, supervisions, supervision_work, assignments_due, duties_due, extensions, warnings,
           follow_ups, confirmations]


# --- keeping the notifications in step -----------------------------------------------------------------------------


def wanted(case) -> dict:
    """{(user id, key): Item} of every open queue item of the case."""
    facts = Facts(case)
    return {(uid, item.key): item for source in SOURCES for item in source(facts) for uid in item.recipients}


@transaction.atomic
def sync_case(case) -> tuple[int, int]:
    """Create the missing notifications of `case`, mark done those whose work is gone. Returns (created, done)."""
    want = wanted(case)
    have = {(n.recipient_id, n.key): n.pk for n in
            Notification.objects.filter(dispute=case, done_at__isnull=True).only("id", "recipient_id", "key")}
    gone = [pk for k, pk in have.items() if k not in want]
    if gone:
        Notification.objects.filter(pk__in=gone).update(done_at=timezone.now())
    url = reverse("cases:detail", args=[case.number])
    fresh = []
    for (uid, key), item in want.items():
        if (uid, key) in have:
            continue
        try:
            with transaction.atomic():
                fresh.append((Notification.objects.create(recipient_id=uid, kind=item.kind, dispute_id=case.pk,
                                                          key=key, text=item.text[:200], url=url), item))
        except IntegrityError:  # a concurrent change of the same case created it first
            pass
    delivery.plan(fresh)  # SMS / WeCom / e-mail of the new ones, enqueued in this transaction
    return len(fresh), len(gone)


def on_change(*, case, **_):
    sync_case(case)


def open_for(user):
    return Notification.objects.filter(recipient=user, done_at__isnull=True)


def unread_count(user) -> int:
    return open_for(user).filter(read_at__isnull=True).count()


def mark_read(user, pk=None) -> int:
    qs = open_for(user).filter(read_at__isnull=True)
    if pk is not None:
        qs = qs.filter(pk=pk)
    return qs.update(read_at=timezone.now())


