"""The demo's cases, walked through the real services at their own dates (DEMO ONLY; used by `seed_demo`).

Every demo case is registered and moved by the people who would do it, with the clock set back to when they did
(time-machine), so the timeline, the referrals waiting for 签收, the 四定, the transfers, warnings, extensions and
the 待办 queue are what the system itself records — no row is written around the services. About one open case in
six is past its deadline; a final deadline sweep opens the supervisions those deserve.
"""

import datetime
from dataclasses import dataclass, field

import time_machine
from django.contrib.auth import get_user_model
from django.utils import timezone

from org.models import Division, Level, Membership, Role, Unit

from . import services
from .demo_data import dispute_fields
from .models import Outcome
from .rules.anonymise import anonymise, labels, leaks

DAY = datetime.timedelta(days=1)
# (what the case ends as, relative weight)
SHAPES = [
    ("v_logged", 10), ("v_progress", 14), ("v_referred", 6), ("v_rejected", 2), ("v_resolved", 24),
    ("v_closed", 16), ("t_progress", 9), ("t_referred", 3), ("t_resolved", 5), ("c_progress", 4), ("c_unit", 4),
    ("c_feedback", 2), ("v_returned", 1),
]
OPEN_SHAPES = {"v_logged", "v_progress", "v_referred", "t_progress", "t_referred", "c_progress", "c_unit",
               "c_feedback", "v_returned"}
OVERDUE_SHARE = 0.15  # of the open cases: past their deadline now


@dataclass
class Cast:
    village: dict  # village code -> its secretary
    town: dict  # township code -> its leader
    town_staff: dict  # township code -> the 司法所 head (a directory person without an account): the 四定's 责任人
    county: object
    unit_staff: object
    land_unit: Unit
    typical: list = field(default_factory=list)  # the cases the towns listed as 典型案例 (at most TYPICAL_MAX)


def stand_in_secretaries(codes, audit_record):
    """A secretary account for each demo village without one (cannot log in: an unusable password)."""
    User = get_user_model()
    made = {}
    for village in Division.objects.filter(code__in=codes, level=Level.VILLAGE):
        if Membership.objects.filter(division=village, role=Role.VILLAGE_SECRETARY).exists():
            continue
        user, created = User.objects.get_or_create(username=f"cun_{village.code}",
                                                   defaults={"first_name": f"{village.short_name}书记"})
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
            Membership.objects.create(user=user, division=village, role=Role.VILLAGE_SECRETARY,
                                      title=f"{village.short_name}党支部书记")
            audit_record(user, f"演示数据：创建{village.short_name}书记账号（不能登录，只用于生成演示纠纷）")
        made[village.code] = user
    return made


def _at(when):
    return time_machine.travel(when, tick=False)


def walk(shape, *, village, created, rng, cast: Cast, now):
    """Register one case at `created` and take it to `shape`, each step at its own time."""
    sec = cast.village[village.code]
    town = cast.town[village.parent_id]
    staff = cast.town_staff[village.parent_id]
    fields, parties = dispute_fields(rng, village.short_name, (created - DAY * rng.randrange(0, 8)).date())
    t = created

    def later(hours=None):
        nonlocal t
        t = min(t + datetime.timedelta(hours=hours or rng.uniform(3, 40)), now - datetime.timedelta(minutes=5))
        return t

    with _at(created):
        case = services.create_dispute(actor=sec, village=village, fields=fields, parties=parties)
    if shape == "v_logged":
        return case

    def step(fn, **kwargs):
        """`fn(**kwargs)` at the next moment of the walk; callables among the kwargs are evaluated then (so "today"
        is the walk's day, not the seeding day)."""
        with _at(later()):
            return fn(**{k: v() if callable(v) else v for k, v in kwargs.items()})

    if shape == "v_rejected":
        step(services.reject, actor=sec, dispute=case, reason="已向县人民法院起诉，不属人民调解受理范围")
        return case
    case = step(services.start_handling, actor=sec, dispute=case, note="村调委会组织双方调解")
    if shape in ("v_progress",):
        if rng.random() < 0.08:
            step(services.request_extension, actor=sec, dispute=case, reason="一方当事人在外务工，月底返乡后再调")
        return case
    if shape in ("v_resolved", "v_closed"):
        outcome = rng.choices([Outcome.SUCCESS, Outcome.PARTIAL, Outcome.FAILED], weights=[86, 8, 6])[0]
        note = {Outcome.FAILED: "已告知当事人可向县人民法院起诉"}.get(outcome, "双方签订调解协议")
        case = step(services.resolve, actor=sec, dispute=case, outcome=outcome, note=note)
        if shape == "v_closed":
            step(services.record_visit, actor=sec, dispute=case, visited_on=timezone.localdate,
                 agreement_kept=True, satisfaction=rng.choice(["satisfied", "satisfied", "basic"]),
                 relapse_signs=False, note="协议已履行，双方无争执")
            step(services.close_case, actor=sec, dispute=case, note="回访满意")
            _maybe_typical(case, parties, town, cast, later)
        return case
    step(services.refer_up, actor=sec, dispute=case, reason="多次调解未果，涉及多户，请镇街研判")
    if shape == "v_referred":
        return case
    if shape == "v_returned":
        step(services.return_referral, actor=town, dispute=case, reason="请村里先请五老和村法律顾问再调解一次")
        return case
    case = step(services.accept_referral, actor=town, dispute=case, note="列入本周研判例会")
    unit = Unit.objects.filter(division_id=village.parent_id, kind="justice").first()
    step(services.fix_assignment, actor=town, dispute=case, lead_leader=town, responsible_unit=unit,
         responsible_person=staff, measures="司法所牵头，村两委配合，一周内组织调解")
    if case.risk in ("red", "orange") and rng.random() < 0.6:
        step(services.raise_warning, actor=town, dispute=case, level="orange" if case.risk == "orange" else "red",
             triggers=["intensify"] if case.risk == "orange" else ["group_petition"], reasons="双方情绪激动，可能激化",
             submitted_to="town_joint", reassess_on=lambda: timezone.localdate() + DAY * 7)
    if shape == "t_progress":
        return case
    if shape == "t_resolved":
        # The 责任人 has no account: the town records the 包反馈 he gave at the meeting.
        step(services.record_duty, actor=town, dispute=case, kind="feedback", on_date=timezone.localdate,
             text=f"{staff.unit.name}{staff.name}反馈：已组织双方调解，签订协议")
        step(services.resolve, actor=town, dispute=case, outcome=Outcome.SUCCESS, note="双方签订调解协议")
        _maybe_typical(case, parties, town, cast, later)
        return case
    step(services.refer_up, actor=town, dispute=case, reason="涉及县直部门职责，镇街无法化解，提请县协调中心")
    if shape == "t_referred":
        return case
    case = step(services.accept_referral, actor=cast.county, dispute=case, note="县协调中心签收")
    if shape == "c_progress":
        return case
    if shape == "c_unit":  # transferred within the last hours: its 签收 is still in time
        t = max(t, now - datetime.timedelta(hours=rng.uniform(2, 8)))
    step(services.transfer_to_unit, actor=cast.county, dispute=case, unit=cast.land_unit,
         reason="属涉土纠纷，请县涉土纠纷人民调解委员会组织调解")
    if shape == "c_unit":
        return case
    step(services.accept_transfer, actor=cast.unit_staff, dispute=case, note="已安排专职调解员")
    step(services.file_feedback, actor=cast.unit_staff, dispute=case, outcome=Outcome.SUCCESS,
         text="现场勘界后双方签订调解协议，待协调中心审核")
    return case


def created_for(shape, rng, now):
    """When a case of this shape was registered: open ones mostly within their week, one in six long enough ago
    to be overdue now; finished ones over the last twelve weeks."""
    if shape in OPEN_SHAPES:
        steps = {"v_logged": 0, "v_progress": 1, "v_referred": 2, "v_returned": 3, "t_progress": 4,
                 "t_referred": 5, "c_progress": 6, "c_unit": 7, "c_feedback": 9}[shape]
        if shape != "v_logged" and rng.random() < OVERDUE_SHARE:
            return now - DAY * rng.uniform(9 + steps, 20 + steps)
        if shape.startswith("c_"):  # at the county and its units this week: the transfer's 签收 still in time
            return now - datetime.timedelta(hours=rng.uniform(6, 30) + 22 * steps)
        return now - DAY * rng.uniform(0.2, 4) - datetime.timedelta(hours=30 * steps)
    return now - DAY * rng.uniform(10, 84)


def first_red_warning_to_the_county(cast, case):
    """One red warning 报送 the county, unanswered: the county centre's 待办 shows it on first login."""
    town = cast.town[case.village.parent_id]
    return services.raise_warning(actor=town, dispute=case, level="red", triggers=["group_petition", "skip_level"],
                                  reasons="二十余户村民联名，扬言集体到县上访", submitted_to="county",
                                  reassess_on=timezone.localdate() + DAY * 3)


# 典型案例 of the demo: (a word of the case's title, 三治 tags, method tags, summary, experience); {a}/{b} are the
# parties' anonymised names (张某, 李某). The first settled case of each kind is listed by its town (TYPICAL_MAX).
TYPICAL_MAX = 4
TYPICAL_STORIES = [
    ("赡养", ["virtue", "self"], ["family", "elders"],
     "{a}之母年逾八旬，子女三人对赡养费分摊和轮流照料意见不一，老人多次到村委会哭诉，子女之间互相推诿。",
     "村调委会请村里德高望重的“五老”成员入户，先分别听取子女各自的难处，再召集家庭会议，从孝道亲情讲起，"
     "释明赡养义务不因分家或老人财产分配而免除。子女三人最终约定按月轮流照料、赡养费平均分担，并由村调委会见证签字。"
     "经验：赡养纠纷重在亲情感化，先疏导情绪、后讲法理，让子女在亲友面前作出承诺，履行率高。"),
    ("排水", ["self", "law"], ["on_site", "legal"],
     "{a}与邻居{b}两家院落相邻，{b}翻修院墙后雨水排向{a}家院内，双方多次口角并有推搡苗头。",
     "网格员发现后当天报告，村调委会会同镇司法所到现场查看排水走向，向双方释明《民法典》关于相邻关系“有利生产、"
     "方便生活、团结互助、公平合理”的规定，提出共同出资修建排水暗沟的方案。双方现场签订调解协议，一周内完工。"
     "经验：相邻纠纷要“早发现、到现场”，用看得见的方案代替争吵，把法律规定讲在前面。"),
    ("宅基地边界", ["law", "self"], ["on_site", "joint", "legal"],
     "{a}建房时与相邻户{b}对宅基地东西界址有争议，双方均称有老宅基证为凭，{b}阻止施工，矛盾有激化风险。",
     "镇街研判后落实四定，由自然资源所、司法所和村两委联合调处：调取两户宅基地档案和确权图纸现场放线，"
     "村法律顾问逐条解释宅基地使用权的确认依据。界址按档案确定后，{a}同意后退半米建房，{b}不再阻拦，双方签订书面协议。"
     "经验：涉地纠纷以档案和图纸说话，多部门联合现场调处，当场定界、当场签字，避免久拖成访。"),
    ("民间借贷", ["law"], ["legal", "back_to_back", "judicial"],
     "{a}称借给{b}现金用于石材加工，有借条，到期未还，多次催要无果，双方关系紧张。",
     "调解员采用背靠背方式分别做工作：向{b}释明借条的证明效力和逾期还款的法律后果，向{a}说明一次性还清的实际困难。"
     "双方最终同意分期还款，签订调解协议后共同向县人民法院申请司法确认，协议具有强制执行力。"
     "经验：借贷纠纷事实清楚的，以法律释明促成还款计划，并引导当事人申请司法确认，保障协议履行。"),
    ("承包地边界", ["self", "law"], ["on_site", "elders"],
     "{a}与{b}两家承包地相邻，{b}耕种时越界约半垄，{a}要求按确权图纸恢复地界，双方在地头发生争执。",
     "村调委会组织“五老”和网格员到田间地头，对照土地确权图纸现场丈量，重新埋设界桩。"
     "双方当场认可，{b}同意让出多种部分并补偿当季损失。经验：田间地头现场调解，群众看得明白、服气。"),
]


def _maybe_typical(case, parties, town, cast, later):
    """The town lists the first settled case of each story's kind as 典型案例 (DEMO ONLY), through the service."""
    if len(cast.typical) >= TYPICAL_MAX or case.outcome != Outcome.SUCCESS:
        return
    story = next((s for s in TYPICAL_STORIES if s[0] in case.title), None)
    if story is None or any(story[0] in c.title for c in cast.typical):
        return
    names = [p["name"] for p in parties]
    named = labels(names)
    a, b = named[names[0]], named[names[1]]
    word, governance, methods, summary, experience = story
    texts = {"title": anonymise(case.title, names), "summary": summary.format(a=a, b=b),
             "experience": experience.format(a=a, b=b)}
    if any(leaks(text, names) for text in texts.values()):  # a name that happens to be a word of the story
        return
    with _at(later(hours=30)):
        services.mark_typical(actor=town, dispute=case, self_gov_tags=governance, method_tags=methods, **texts)
    cast.typical.append(case)
