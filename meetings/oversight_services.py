"""All writes of the 督导组's records (issue 11 #3): visits, 督导意见 and answers, spot-check samples and phone-backs.

Keyword-only arguments, one transaction each, `Refused` with a Chinese message (nothing saved then), permissions
from cases.policy, one audit row (Action.MEETING_WRITE) per write. A sample is drawn once: the seed
(`secrets.randbits`) and the candidate ids are stored, so `oversight.draw_ids` reproduces it; it is never redrawn
or deleted.
"""

import datetime
import secrets

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

import audit
from audit.models import Action
from cases import policy
from cases.models import Status
from cases.selectors import cases_visible_to
from core.errors import Forbidden, Refused
from org.jurisdiction import subtree_q
from org.models import Division, Level, Role
from org.selectors import membership_of

from .models import Attendance, AttendeeKind, Meeting, MeetingStatus
from .oversight import (
    OversightOpinion,
    OversightVisit,
    SampleStatus,
    SpotCheckItem,
    SpotCheckSample,
    VisitStatus,
    draw_ids,
)
from .selectors import Week, meeting_of_week

MAX_SAMPLE = 50
SEED_BITS = 63  # fits a signed 64-bit column
ANSWER_NEEDED = "请填写答复内容。督导意见须由召集单位作出答复。"


def _oversee(actor):
    if not policy.can_oversee(actor):
        raise Forbidden("只有督导组可以进行此项督导工作。")


def _text(value, what, max_length):
    value = (value or "").strip()
    if not value:
        raise Refused(f"请填写{what}。")
    if len(value) > max_length:
        raise Refused(f"{what}不能超过{max_length}字。")
    return value


def _name(user):
    return (user.get_full_name() or user.username)[:32]


def _audit(actor, obj, label, detail):
    audit.record(None, action=Action.MEETING_WRITE, obj=obj, user=actor, label=label[:100], detail=detail)


def supervisors():
    """The 督导组's accounts (members offered for a visit)."""
    return get_user_model().objects.filter(membership__role=Role.SUPERVISOR, is_active=True).order_by("username")


# --- visits --------------------------------------------------------------------------------------------------------


@transaction.atomic
def plan_visit(*, actor, division: Division, planned_on: datetime.date, purpose: str, members) -> OversightVisit:
    """计划督导: a village's or town's meeting of the week of `planned_on`, with the members who go."""
    _oversee(actor)
    if division.level not in (Level.VILLAGE, Level.TOWNSHIP):
        raise Refused("请选择要督导例会的村（社区）或镇街。", field="division")
    if not Division.objects.filter(subtree_q("code", _scope(actor)), code=division.code).exists():
        raise Refused("该区划不在督导组的督导范围内。", field="division")
    members = list(members)
    allowed = set(supervisors().values_list("pk", flat=True))
    if not members or any(m.pk not in allowed for m in members):
        raise Refused("请从督导组成员中选择参加督导的人员。", field="members")
    week = Week.of(planned_on)
    visit = OversightVisit.objects.create(division=division, iso_year=week.year, iso_week=week.week,
                                          planned_on=planned_on, purpose=_text(purpose, "督导内容", 1000),
                                          created_by=actor)
    visit.members.set(members)
    _audit(actor, visit, str(visit), f"计划督导：{division.name} {week}，成员{len(members)}人")
    return visit


def _scope(actor) -> Division:
    return membership_of(actor).division


@transaction.atomic
def record_visit(*, actor, visit: OversightVisit, findings: str = "") -> OversightVisit:
    """The visit took place: the members sit in on that week's meeting (列席, AttendeeKind.OBSERVER), which must be
    open (its minutes are frozen at closing)."""
    _oversee(actor)
    visit = OversightVisit.objects.select_for_update().get(pk=visit.pk)
    if visit.status == VisitStatus.DONE:
        raise Refused("该次督导已记录。")
    meeting = meeting_of_week(visit.division, Week(visit.iso_year, visit.iso_week))
    if meeting is None:
        raise Refused(f"{visit.division.name}{visit.iso_year}年第{visit.iso_week}周的例会尚未召开，无法记录列席。")
    if meeting.status != MeetingStatus.OPEN:
        raise Refused("该次例会已闭会，会议纪要已定稿，督导组列席须在例会进行中记录。")
    present = set(meeting.attendance.filter(kind=AttendeeKind.OBSERVER).values_list("user_id", flat=True))
    for member in visit.members.all().order_by("username"):
        if member.pk not in present:
            Attendance.objects.create(meeting=meeting, kind=AttendeeKind.OBSERVER, name=_name(member), user=member,
                                      role_title="督导组成员", unit="督导组")
    visit.status, visit.meeting, visit.recorded_at = VisitStatus.DONE, meeting, timezone.now()
    visit.findings = (findings or "").strip()[:4000]
    visit.save(update_fields=["status", "meeting", "recorded_at", "findings"])
    _audit(actor, meeting, f"{meeting}", f"督导组列席例会（{visit.members.count()}人）")
    return visit


# --- 督导意见 -------------------------------------------------------------------------------------------------------


@transaction.atomic
def give_opinion(*, actor, text: str, meeting: Meeting | None = None, dispute=None) -> OversightOpinion:
    """督导意见 on a meeting, a case, or a case at a meeting (the case must be visible to the 督导组)."""
    _oversee(actor)
    if meeting is None and dispute is None:
        raise Refused("请选择督导意见针对的例会或案件。")
    if dispute is not None and not cases_visible_to(actor).filter(pk=dispute.pk).exists():
        raise Refused("未找到该案件。")
    opinion = OversightOpinion.objects.create(meeting=meeting, dispute=dispute, by=actor,
                                              text=_text(text, "督导意见", 2000))
    target = meeting or dispute
    _audit(actor, target, str(target), f"提出督导意见：{opinion.text[:60]}")
    return opinion


@transaction.atomic
def answer_opinion(*, actor, opinion: OversightOpinion, answer: str) -> OversightOpinion:
    """The convener's answer (required, once)."""
    opinion = (OversightOpinion.objects.select_for_update(of=("self",)).select_related("meeting", "dispute")
               .get(pk=opinion.pk))
    if not policy.can_answer_opinion(actor, opinion):
        raise Forbidden("只有例会召集单位（案件承办层级）的人员可以答复督导意见。")
    if not opinion.is_open:
        raise Refused("该督导意见已答复。")
    answer = (answer or "").strip()
    if not answer:
        raise Refused(ANSWER_NEEDED, field="answer")
    if len(answer) > 2000:
        raise Refused("答复不能超过2000字。", field="answer")
    opinion.answer, opinion.answered_by, opinion.answered_at = answer, actor, timezone.now()
    opinion.save(update_fields=["answer", "answered_by", "answered_at"])
    target = opinion.meeting or opinion.dispute
    _audit(actor, target, str(target), f"答复督导意见：{answer[:60]}")
    return opinion


# --- 抽查回访 -------------------------------------------------------------------------------------------------------


def _candidates(actor, town: Division, start: datetime.date, end: datetime.date):
    """Closed (已结案) cases of the town's villages closed within [start, end], ids in ascending order."""
    tz = timezone.get_current_timezone()
    lo = datetime.datetime.combine(start, datetime.time.min, tzinfo=tz)
    hi = datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
    return list(cases_visible_to(actor).filter(village__parent=town, status=Status.CLOSED, closed_at__gte=lo,
                                               closed_at__lt=hi).order_by("pk").values_list("pk", flat=True))


@transaction.atomic
def draw_sample(*, actor, town: Division, start: datetime.date, end: datetime.date, size: int,
                seed: int | None = None) -> SpotCheckSample:
    """Draw N closed cases of a town closed in the period, once: a town's sample of an overlapping period is refused
    (no redraw until it looks good). `seed` is for tests; users get `secrets.randbits`."""
    _oversee(actor)
    if town.level != Level.TOWNSHIP:
        raise Refused("请选择镇街。", field="town")
    if end < start:
        raise Refused("结束日期不能早于开始日期。", field="end")
    if end > timezone.localdate():
        raise Refused("结案日期不能晚于今天。", field="end")
    if not 1 <= size <= MAX_SAMPLE:
        raise Refused(f"抽取件数须在1至{MAX_SAMPLE}件之间。", field="size")
    Division.objects.select_for_update().filter(code=town.code).first()  # one draw per town at a time
    earlier = SpotCheckSample.objects.filter(town=town, period_start__lte=end, period_end__gte=start).first()
    if earlier:
        raise Refused(
            f"{town.name}已抽取{earlier.period_start:%Y-%m-%d}至{earlier.period_end:%Y-%m-%d}的样本（第{earlier.pk}号），"
            "抽查样本一经抽取不能重抽，期间也不能重叠。")
    pool = _candidates(actor, town, start, end)
    if not pool:
        raise Refused(f"{town.name}在该期间没有已结案的案件，无法抽取。")
    seed = secrets.randbits(SEED_BITS) if seed is None else seed
    sample = SpotCheckSample.objects.create(town=town, period_start=start, period_end=end, size=size, seed=seed,
                                            candidate_ids=pool, drawn_by=actor)
    ids = draw_ids(seed, pool, size)
    SpotCheckItem.objects.bulk_create(
        SpotCheckItem(sample=sample, dispute_id=pk, position=i) for i, pk in enumerate(ids, start=1))
    _audit(actor, town, f"{town.name}抽查回访",
           f"抽取第{sample.pk}号样本：{len(ids)}/{len(pool)}件，种子{seed}")
    return sample


def redraw_sample(*, actor, sample: SpotCheckSample):
    """Never: a drawn sample stands (the refusal users see)."""
    raise Refused("抽查样本一经抽取不能重抽或删除，请按已抽取的案件回访。")


delete_sample = redraw_sample


def _tri(value):
    return None if value in (None, "") else bool(value)


@transaction.atomic
def record_phone_back(*, actor, item: SpotCheckItem, reached: bool, satisfied=None, agreement_kept=None,
                      recurred=None, note: str = "") -> SpotCheckItem:
    """电话回访 result of one sampled case (editable while the sample is 回访中)."""
    _oversee(actor)
    item = SpotCheckItem.objects.select_for_update(of=("self",)).select_related("sample", "dispute").get(pk=item.pk)
    if item.sample.status != SampleStatus.OPEN:
        raise Refused("该样本的回访已完成，结果不能再修改。")
    if reached:
        if satisfied is None or agreement_kept is None or recurred is None:
            raise Refused("电话接通时请填写是否满意、协议是否履行、纠纷是否反复。", field="satisfied")
    else:
        satisfied = agreement_kept = recurred = None
        if not (note or "").strip():
            raise Refused("未接通时请在回访记录中说明情况（如拨打次数、时间）。", field="note")
    item.reached, item.satisfied, item.agreement_kept, item.recurred = (
        bool(reached), _tri(satisfied), _tri(agreement_kept), _tri(recurred))
    item.note = (note or "").strip()[:2000]
    item.called_by, item.called_at = actor, timezone.now()
    item.save()
    _audit(actor, item.dispute, item.dispute.number,
           f"抽查回访（第{item.sample_id}号样本）：{'接通' if reached else '未接通'}")
    return item


@transaction.atomic
def close_sample(*, actor, sample: SpotCheckSample) -> SpotCheckSample:
    """回访完成: every drawn case has a result; the 督导组's reveal on these cases ends."""
    _oversee(actor)
    sample = SpotCheckSample.objects.select_for_update().get(pk=sample.pk)
    if sample.status != SampleStatus.OPEN:
        raise Refused("该样本的回访已完成。")
    left = sample.items.filter(called_at__isnull=True).count()
    if left:
        raise Refused(f"还有{left}件案件未回访，不能完成。")
    sample.status, sample.closed_at = SampleStatus.CLOSED, timezone.now()
    sample.save(update_fields=["status", "closed_at"])
    _audit(actor, sample.town, f"{sample.town.name}抽查回访", f"第{sample.pk}号样本回访完成")
    return sample
