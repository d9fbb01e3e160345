"""Demo accounts and ~300 realistic disputes over the last 12 weeks, walked through the services at their own dates
(DEMO ONLY; fictitious people; cases/demo_walk.py).

Runs only on a demo database: with DEBUG on, or with `--demo-database NAME` naming the configured database. It never
touches an existing account (password, flags, post): those are reported as skipped. Every account it creates is
an audit row. Idempotent (`make run` calls it each time): disputes are only generated when the demo has none yet.
"""

import datetime
import logging
import random

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

import audit
from audit.models import Action
from cases import demo_walk, services
from cases.models import Dispute, Extension, Status, Tier
from cases.rules.deadlines import calendar_gaps, gap_message
from cases.services import sweep
from org.demo_accounts import DEMO_PASSWORD, DEMO_PENDING_GRANTS, DEMO_PEOPLE, DEMO_USERS
from org.models import Division, Level, Membership, MembershipRequest, Person, Role, Unit

DEMO_VILLAGES = ["370829001209", "370829001212", "370829101200"]
# status, tier of the holder, weight
OUTCOMES = [
    (Status.LOGGED, Tier.VILLAGE, 18), (Status.IN_PROGRESS, Tier.VILLAGE, 16), (Status.REFERRED, Tier.VILLAGE, 7),
    (Status.IN_PROGRESS, Tier.TOWN, 9), (Status.REFERRED, Tier.TOWN, 3), (Status.IN_PROGRESS, Tier.COUNTY, 4),
    (Status.RESOLVED, Tier.VILLAGE, 22), (Status.CLOSED, Tier.VILLAGE, 15), (Status.REJECTED, Tier.VILLAGE, 2),
    (Status.RESOLVED, Tier.TOWN, 4),
]


def refusal(*, debug: bool, configured: str, named: str | None) -> str | None:
    """Why seed_demo must not run against this database, or None."""
    if named is not None:
        if named != configured:
            return (f"已拒绝运行：--demo-database 写的是“{named}”，而当前配置的数据库是“{configured}”，两者不一致。"
                    "演示数据只能写入演示库，请核对 DATABASE_URL。")
        return None
    if not debug:
        return ("已拒绝运行：当前未开启 DEBUG，可能是生产环境。seed_demo 会创建使用公开演示密码的账号，只能用于演示库；"
                f"如确认当前数据库“{configured}”就是演示库，请加上 --demo-database {configured}。")
    return None


class Command(BaseCommand):
    help = ("创建演示账号和约300条演示纠纷（仅供演示，人员信息均为虚构）。可重复执行；已有账号不作任何修改。"
            "只在 DEBUG 开启或用 --demo-database 写明当前数据库名时运行。")

    def add_arguments(self, parser):
        parser.add_argument("--cases", type=int, default=300, help="演示纠纷条数（默认300）")
        parser.add_argument("--seed", type=int, default=829, help="随机种子，保证每次生成相同数据")
        parser.add_argument("--demo-database", metavar="NAME", default=None,
                            help="关闭 DEBUG 时必填：当前配置的数据库名（DATABASE_URL 中的库名），确认这是演示库")

    def handle(self, *args, cases, seed, demo_database, **options):
        configured = str(settings.DATABASES["default"]["NAME"])
        why = refusal(debug=settings.DEBUG, configured=configured, named=demo_database)
        if why:
            raise CommandError(why)
        if cases < 0 or cases > 20000:
            raise CommandError("--cases 应在 0 到 20000 之间。")
        if not Division.objects.filter(code="370829000000").exists():
            raise CommandError("尚未导入区划，请先运行 manage.py load_divisions。")
        call_command("seed_reference", stdout=self.stdout)
        users, created, skipped = self.seed_users()
        self.seed_people()
        if Dispute.objects.filter(created_by__in=users.values()).exists():
            self.stdout.write("演示纠纷已存在，跳过生成。")
        else:
            calendar_log = logging.getLogger("cases.rules.deadlines")
            level, calendar_log.level = calendar_log.level, logging.ERROR  # one line below instead of one per deadline
            try:
                n = self.seed_disputes(users, cases, random.Random(seed))
            finally:
                calendar_log.setLevel(level)
            self.stdout.write(self.style.SUCCESS(f"已生成演示纠纷 {n} 条。"))
            gaps = calendar_gaps(timezone.localdate(), timezone.localdate() + datetime.timedelta(days=120))
            if gaps:
                self.stdout.write(self.style.WARNING(gap_message(gaps) + "（演示时限已按周末推算）"))
        if skipped:
            self.stdout.write(f"已存在的账号 {len(skipped)} 个，未修改其密码、权限和岗位（跳过）：{'、'.join(skipped)}")
        if created:
            self.stdout.write(self.style.WARNING(
                f"已创建演示账号 {len(created)} 个（仅供演示）：{'、'.join(created)}；统一密码：{DEMO_PASSWORD}"
            ))

    @transaction.atomic
    def seed_users(self):
        """Create the demo accounts that do not exist yet (each one an audit row); leave existing ones alone."""
        User = get_user_model()
        users, created, skipped = {}, [], []
        for username, full_name, code, role, unit_name, title in DEMO_USERS:
            user = User.objects.filter(username=username).first()
            if user is not None:
                users[username] = user
                skipped.append(username)
                continue
            division = Division.objects.get(code=code)
            unit = Unit.objects.get(name=unit_name) if unit_name else None
            admin = role == Role.ADMIN
            user = User(username=username, first_name=full_name, is_staff=admin, is_superuser=admin)
            user.set_password(DEMO_PASSWORD)
            user.save()
            Membership.objects.create(user=user, division=division, role=role, unit=unit, title=title)
            post = f"{division.name} · {Role(role).label}" + (f" · {unit.name}" if unit else "")
            audit.record(None, action=Action.ACCOUNT_CHANGE, obj=user, label=username,
                         detail=f"演示数据：创建账号，岗位 {post}" + ("，可进入后台管理" if admin else "")
                                + "，使用公开的演示密码（仅供演示）")
            users[username] = user
            created.append(username)
        for username, full_name, code, role, unit_name, title, requested_by in DEMO_PENDING_GRANTS:
            if User.objects.filter(username=username).exists():
                skipped.append(username)
                continue
            division = Division.objects.get(code=code)
            unit = Unit.objects.get(name=unit_name) if unit_name else None
            user = User(username=username, first_name=full_name)
            user.set_password(DEMO_PASSWORD)
            user.save()
            audit.record(None, action=Action.ACCOUNT_CHANGE, obj=user, label=username,
                         detail="演示数据：创建账号，尚无岗位，使用公开的演示密码（仅供演示）")
            requester = User.objects.filter(username=requested_by).first()
            grant = MembershipRequest.objects.create(user=user, division=division, role=role, unit=unit, title=title,
                                                     requested_by=requester)
            audit.record(None, action=Action.ROLE_CHANGE, obj=user, label=username, user=requester,
                         detail=f"演示数据：申请设定岗位：{division.name} · {Role(role).label}"
                                f"（申请编号 {grant.pk}，待安全管理员审批后生效）")
            created.append(username)
        return users, created, skipped

    @transaction.atomic
    def seed_people(self):
        """The directory's people without an account (司法所、派出所 heads, 政法委员); existing ones are left alone."""
        made = 0
        for name, code, unit_name, post, phone in DEMO_PEOPLE:
            unit = Unit.objects.get(name=unit_name) if unit_name else None
            if not Person.objects.filter(name=name, division_id=code, user__isnull=True).exists():
                Person.objects.create(name=name, division_id=code, unit=unit, post=post, phone=phone)
                made += 1
        if made:
            self.stdout.write(f"已在人员库中登记无系统账号的人员 {made} 名（司法所、派出所负责人等）。")

    @transaction.atomic
    def seed_disputes(self, users, count, rng):
        """~`count` cases walked through the services at their own dates (cases/demo_walk.py), then one deadline
        sweep: referrals wait for 签收, units for their transfers, the county for a red warning, and every role
        with case work finds items in its 待办 on first login."""
        now = timezone.now()
        townships = ("370829001000", "370829101000")
        villages = list(Division.objects.filter(level=Level.VILLAGE, parent_id__in=townships).select_related("parent"))
        demo = [v for v in villages if v.code in DEMO_VILLAGES]
        others = rng.sample([v for v in villages if v.code not in DEMO_VILLAGES], k=min(24, len(villages) - 3))

        def note(user, detail):
            audit.record(None, action=Action.ACCOUNT_CHANGE, obj=user, label=user.username, detail=detail)

        secretaries = {"370829001209": users["liushan"], "370829001212": users["tangzhuang"],
                       "370829101200": users["dongzhifang"]}
        secretaries.update(demo_walk.stand_in_secretaries([v.code for v in others], note))
        cast = demo_walk.Cast(
            village=secretaries, town={"370829001000": users["jiaxiang_jd"], "370829101000": users["zhifang_zhen"]},
            town_staff={code: Person.objects.get(name=name, division_id=code, user__isnull=True)
                        for name, code, unit_name, *_ in DEMO_PEOPLE if unit_name and unit_name.endswith("司法所")},
            county=users["xian_zhongxin"], unit_staff=users["shetu_tiaojie"],
            land_unit=Unit.objects.get(name="县涉土纠纷人民调解委员会"),
        )
        shapes, weights = zip(*demo_walk.SHAPES)
        plans = []
        for i in range(count):
            village = demo[i % len(demo)] if i < count * 0.4 or not others else rng.choice(others)
            shape = rng.choices(shapes, weights=weights)[0]
            plans.append((demo_walk.created_for(shape, rng, now), shape, village))
        plans.sort(key=lambda plan: plan[0])  # numbers follow registration dates
        walked = [demo_walk.walk(shape, village=village, created=created, rng=rng, cast=cast, now=now)
                  for created, shape, village in plans]
        at_town = [c for c in walked if c.tier == Tier.TOWN and c.status == Status.IN_PROGRESS]
        if at_town:
            demo_walk.first_red_warning_to_the_county(cast, at_town[-1])
        at_village = [c for c in walked if c.tier == Tier.VILLAGE and c.status == Status.IN_PROGRESS
                      and c.deadline and c.deadline > now and not c.extensions.exists()]
        if at_village and not Extension.objects.filter(status="pending").exists():
            services.request_extension(actor=cast.village[at_village[-1].village_id], dispute=at_village[-1],
                                       reason="一方当事人在外务工，月底返乡后再组织调解")
        report = sweep(now=now)
        self.stdout.write(f"时限检查：临期{len(report.due_soon)}件，逾期{len(report.overdue)}件，"
                          f"开启督办{len(report.supervisions_opened)}件。")
        return len(walked)
