"""Demo accounts and ~300 realistic disputes over the last 12 weeks (DEMO ONLY; fictitious people).

Idempotent: accounts are updated in place; disputes are only generated when the demo has none yet.
"""

import datetime
import random

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from cases.demo_data import dispute_fields
from cases.models import CaseEvent, Dispute, EventKind, Party, Status, Tier
from cases.services.numbering import reserve_numbers
from org.demo_accounts import DEMO_PASSWORD, DEMO_USERS
from org.models import Division, Level, Membership, Unit

DEMO_VILLAGES = ["370829001209", "370829001212", "370829101200"]
# status, tier of the holder, weight
OUTCOMES = [
    (Status.LOGGED, Tier.VILLAGE, 18), (Status.IN_PROGRESS, Tier.VILLAGE, 16), (Status.REFERRED, Tier.VILLAGE, 7),
    (Status.IN_PROGRESS, Tier.TOWN, 9), (Status.REFERRED, Tier.TOWN, 3), (Status.IN_PROGRESS, Tier.COUNTY, 4),
    (Status.RESOLVED, Tier.VILLAGE, 22), (Status.CLOSED, Tier.VILLAGE, 15), (Status.REJECTED, Tier.VILLAGE, 2),
    (Status.RESOLVED, Tier.TOWN, 4),
]


class Command(BaseCommand):
    help = "创建演示账号和约300条演示纠纷（仅供演示，人员信息均为虚构）。可重复执行。"

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=300, help="演示纠纷条数（默认300）")
        parser.add_argument("--seed", type=int, default=829, help="随机种子，保证每次生成相同数据")

    def handle(self, *args, cases, seed, **options):
        if cases < 0 or cases > 20000:
            raise CommandError("--cases 应在 0 到 20000 之间。")
        if not Division.objects.filter(code="370829000000").exists():
            raise CommandError("尚未导入区划，请先运行 manage.py load_divisions。")
        call_command("seed_reference", stdout=self.stdout)
        users = self.seed_users()
        if Dispute.objects.filter(created_by__in=users.values()).exists():
            self.stdout.write("演示纠纷已存在，跳过生成。")
        else:
            n = self.seed_disputes(users, cases, random.Random(seed))
            self.stdout.write(self.style.SUCCESS(f"已生成演示纠纷 {n} 条。"))
        self.stdout.write(self.style.WARNING(
            f"演示账号（仅供演示）：{'、'.join(u[0] for u in DEMO_USERS)}；统一密码：{DEMO_PASSWORD}"
        ))

    @transaction.atomic
    def seed_users(self):
        User = get_user_model()
        users = {}
        for username, full_name, code, role, unit_name, title in DEMO_USERS:
            user, _ = User.objects.get_or_create(username=username)
            user.first_name = full_name
            user.is_staff = user.is_superuser = role == "admin"
            user.set_password(DEMO_PASSWORD)
            user.save()
            division = Division.objects.get(code=code)
            unit = Unit.objects.get(name=unit_name) if unit_name else None
            Membership.objects.update_or_create(
                user=user, defaults={"division": division, "role": role, "unit": unit, "title": title}
            )
            users[username] = user
        return users

    @transaction.atomic
    def seed_disputes(self, users, count, rng):
        county = Division.objects.get(code="370829000000")
        villages = list(Division.objects.filter(level=Level.VILLAGE).select_related("parent"))
        by_code = {v.code: v for v in villages}
        busy = [v for v in villages if v.code[:9] in ("370829001", "370829101")]
        now = timezone.now()
        writers = {"370829001209": users["liushan"], "370829001212": users["tangzhuang"],
                   "370829101200": users["dongzhifang"]}
        town_actor = {"370829001": users["jiaxiang_jd"], "370829101": users["zhifang_zhen"]}
        centre_unit = Unit.objects.get(name="县涉土纠纷人民调解委员会")
        plans = []
        for i in range(count):
            if i < 120:
                village = by_code[DEMO_VILLAGES[i % 3]]
            else:
                village = rng.choice(busy) if rng.random() < 0.6 else rng.choice(villages)
            created = now - datetime.timedelta(days=rng.uniform(0, 84))
            arose = (created - datetime.timedelta(days=rng.randrange(0, 10))).date()
            fields, parties = dispute_fields(rng, village.short_name, arose)
            status, tier = rng.choices([o[:2] for o in OUTCOMES], weights=[o[2] for o in OUTCOMES])[0]
            plans.append((village, created, fields, parties, status, tier))
        plans.sort(key=lambda p: p[1])
        numbers = reserve_numbers(now.year, len(plans))
        disputes, events, all_parties = [], [], []
        for number, (village, created, fields, parties, status, tier) in zip(numbers, plans):
            holder = {Tier.VILLAGE: village, Tier.TOWN: village.parent, Tier.COUNTY: county}[tier]
            actor = writers.get(village.code) or town_actor.get(village.code[:9]) or users["liushan"]
            open_ = status in (Status.LOGGED, Status.IN_PROGRESS, Status.REFERRED)
            d = Dispute(
                number=number, village=village, holder_division=holder, tier=tier, status=status,
                holder_unit=centre_unit if tier == Tier.COUNTY and rng.random() < 0.5 else None,
                deadline=created + datetime.timedelta(days=7 if tier != Tier.COUNTY else 21) if open_ else None,
                created_by=actor, **fields,
            )
            d.demo_created = created
            disputes.append(d)
            all_parties.append(parties)
        Dispute.objects.bulk_create(disputes)
        for d in disputes:
            d.created_at = d.demo_created
        Dispute.objects.bulk_update(disputes, ["created_at"], batch_size=500)
        for d, parties in zip(disputes, all_parties):
            Party.objects.bulk_create([Party(dispute=d, **p) for p in parties])
            events.append(CaseEvent(dispute=d, actor=d.created_by, kind=EventKind.LOGGED, new_value="已登记",
                                    note="（演示数据）登记于" + d.village.name))
            if d.status != Status.LOGGED:
                events.append(CaseEvent(
                    dispute=d, actor=d.created_by, kind=EventKind.STATUS_CHANGED, field="状态",
                    old_value="已登记", new_value=d.get_status_display(),
                    note=f"（演示数据）当前由{d.holder_unit or d.holder_division.name}办理",
                ))
        CaseEvent.objects.bulk_create(events)
        created_events = CaseEvent.objects.filter(dispute__in=disputes).order_by("id")
        by_dispute = {d.pk: d.demo_created for d in disputes}
        updated = []
        for e in created_events:
            e.at = by_dispute[e.dispute_id] + datetime.timedelta(hours=0 if e.kind == EventKind.LOGGED else 30)
            updated.append(e)
        CaseEvent.objects.bulk_update(updated, ["at"], batch_size=500)
        return len(disputes)
