"""The seed's people directory, weekly meetings with their reviews, the benchmark meeting and bench_town's inbox
(BENCHMARK ONLY). PostgreSQL: written after the cases, in a few statements."""

import datetime

from django.contrib.auth import get_user_model
from django.utils import timezone

from cases.demo_data import person_name
from cases.models import OPEN_STATUSES, Dispute, Referral, ReferralKind, ReferralStatus, Status, Tier
from meetings import agenda
from meetings.models import Decision, Meeting, MeetingStatus, Review
from meetings.selectors import Week
from notify.models import Notification, NotificationKind
from org.models import Membership, Person, Role, Unit, UnitKind

from .copy import copy_rows

BENCH_TOWN = "370829001000"  # 嘉祥街道, the town of the benchmark account bench_town
AGENDA_ITEMS = 300
PEOPLE_PER_DIVISION = 30
POSTS = ["党委书记", "镇长", "政法委员", "司法所所长", "派出所所长", "综治办主任", "信访办主任", "副镇长"]


def bench_town_user():
    """bench_town, as `manage.py benchmark` creates it (bench_users): a town leader of 嘉祥街道."""
    user, created = get_user_model().objects.get_or_create(username="bench_town", defaults={"first_name": "基准测试"})
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    Membership.objects.update_or_create(
        user=user, defaults={"division_id": BENCH_TOWN, "role": Role.TOWN_LEADER, "unit": None, "title": "基准测试"})
    return user


def directory(rng, divisions) -> tuple[dict, dict]:
    """A few dozen fictitious people and one responsible unit per division: ({code: [Person pk]}, {code: Unit pk})."""
    people, units = {}, {}
    for d in divisions:
        unit = Unit.objects.filter(division_id=d.pk, active=True).order_by("pk").first()
        if unit is None:
            unit = Unit.objects.create(name=f"{d.name}综治中心"[:64], kind=UnitKind.ZONGZHI, division_id=d.pk)
        units[d.pk] = unit.pk
        existing = list(Person.objects.filter(division_id=d.pk, active=True).values_list("pk", flat=True))
        if len(existing) < PEOPLE_PER_DIVISION:
            Person.objects.bulk_create([
                Person(name=person_name(rng), post=rng.choice(POSTS), division_id=d.pk)
                for _ in range(PEOPLE_PER_DIVISION - len(existing))])
            existing = list(Person.objects.filter(division_id=d.pk, active=True).values_list("pk", flat=True))
        people[d.pk] = existing
    return people, units


def weekly_meetings(rng, towns, *, convener, now, weeks=4, per_meeting=20) -> dict:
    """A closed weekly meeting of every town for each of the last `weeks` weeks, each reviewing up to
    `per_meeting` of the town's open cases."""
    current = Week.of(timezone.localdate(now))
    meetings, reviews = 0, []
    for back in range(weeks, 0, -1):
        week = current.shift(-back)
        held = week.monday + datetime.timedelta(days=2)
        opened = timezone.make_aware(datetime.datetime.combine(held, datetime.time(9)))
        for town in towns:
            if Meeting.objects.filter(division_id=town.pk, iso_year=week.year, iso_week=week.week).exists():
                continue
            m = Meeting.objects.create(
                tier=Tier.TOWN, division_id=town.pk, iso_year=week.year, iso_week=week.week, held_on=held,
                place=f"{town.name}会议室", convener=convener, status=MeetingStatus.CLOSED,
                closed_at=opened + datetime.timedelta(hours=2), summary="（基准测试数据）")
            Meeting.objects.filter(pk=m.pk).update(opened_at=opened)
            meetings += 1
            ids = (Dispute.objects.filter(town_id=town.pk, tier=Tier.TOWN, holder_division_id=town.pk,
                                          status__in=OPEN_STATUSES, created_at__lt=opened)
                   .order_by("-created_at", "-id").values_list("pk", flat=True)[:per_meeting])
            at = opened + datetime.timedelta(minutes=30)
            reviews += [(m.pk, pk, "（基准测试数据）继续跟踪，落实四定责任。", Decision.CONTINUE.value, convener.pk, at)
                        for pk in ids]
    copy_rows(Review._meta.db_table, ["meeting_id", "dispute_id", "analysis", "decision", "decided_by_id",
                                      "decided_at"], reviews)
    return {"meetings": meetings, "reviews": len(reviews)}


def benchmark_meeting(*, now) -> tuple[Meeting, int]:
    """This week's open meeting of 嘉祥街道 with exactly AGENDA_ITEMS agenda items (meetings.agenda.assemble):
    the town's own open cases and waiting referrals (thinned by the seed to fewer), plus reviews already recorded
    at this meeting of the town's other cases, which put them on its agenda. Returns it and its item count."""
    user = bench_town_user()
    week = Week.of(timezone.localdate(now))
    meeting, _ = Meeting.objects.get_or_create(
        division_id=BENCH_TOWN, iso_year=week.year, iso_week=week.week,
        defaults={"tier": Tier.TOWN, "held_on": timezone.localdate(now), "place": "嘉祥街道会议室",
                  "convener": user, "status": MeetingStatus.OPEN})
    listed = {item.dispute.pk for item in agenda.assemble(meeting, now=now).items}
    missing = AGENDA_ITEMS - len(listed)
    if missing > 0:
        others = Dispute.objects.filter(town_id=BENCH_TOWN).exclude(pk__in=listed).order_by("-created_at", "-id")
        # The town's own earlier cases first, then its villages' (seen by the town when it reviews them).
        ids = list(others.filter(tier=Tier.TOWN).values_list("pk", flat=True)[:missing])
        ids += list(others.exclude(tier=Tier.TOWN).values_list("pk", flat=True)[:missing - len(ids)])
        Review.objects.bulk_create([
            Review(meeting=meeting, dispute_id=pk, analysis="（基准测试数据）已研判：继续跟踪。", decision=Decision.CONTINUE,
                   decided_by=user) for pk in ids])
        listed.update(ids)
    # Fewer when the town has fewer cases than that (a small seed).
    return meeting, len(listed)


def inbox(*, now, limit=40) -> int:
    """bench_town's 待办: the referrals waiting for the town's 签收."""
    user = bench_town_user()
    pending = (Referral.objects.filter(kind=ReferralKind.REFER, status=ReferralStatus.PENDING, to_division_id=BENCH_TOWN,
                                       dispute__status=Status.REFERRED)
               .select_related("dispute").order_by("-created_at")[:limit])
    rows = []
    for r in pending:
        key = f"referral:{r.pk}"
        if Notification.objects.filter(recipient=user, key=key, done_at__isnull=True).exists():
            continue
        rows.append(Notification(recipient=user, kind=NotificationKind.REFERRAL, dispute_id=r.dispute_id, key=key,
                                 text=f"待签收：{r.dispute.number} {r.dispute.title}"[:200],
                                 url=r.dispute.get_absolute_url()))
    Notification.objects.bulk_create(rows)
    return len(rows)
