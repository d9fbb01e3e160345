"""A hand-computed fixture for the statistics (DESIGN.md §8): cases of village A registered and handled at known local
times through the services, then looked at on 2026-11-30 12:00.

November 2026 (the period P), village A:
    c1  11-03 resolved 调解成功 11-04 (on time)
    c2  11-05 resolved 部分达成 11-06
    c3  11-10 resolved 调解不成 11-11
    c4  11-12 started, never resolved; its 7-day deadline has passed by 11-30      -> 在办, 逾期
    c5  11-27 registered only (deadline in December)                               -> 在办
    c6  11-20 不予受理                                                             -> not in the cohort
    c7  11-08 resolved 调解成功 11-09, reopened 11-14, resolved 调解成功 again 11-16 -> 化解 once, 反复, on time
    c8  11-02 resolved 调解成功 11-25, long after its deadline                       -> 化解, late
    c9  11-13 deadline extended (town approves), resolved 调解成功 after the original deadline but before the new one
                                                                                   -> 化解, on time
    c12 11-18 resolved 调解成功 11-19, reopened 11-29 (open again)                   -> 在办, 反复, not 化解
October 2026:  c10 10-15 resolved 调解成功 11-02 (a November flow resolution of an October case)
November 2025: c11 2025-11-10 resolved 调解成功 2025-11-11
Village C (town Y): c13 11-06 resolved 调解成功 11-07 — outside town X and village A.

Hand-computed for P, village A (or town X: the same cases):
    收集研判 9 (c1 c2 c3 c4 c5 c7 c8 c9 c12), 化解 4 (c1 c7 c8 c9), 部分达成 1, 调解不成 1, 撤回 0, 在办 3 (c4 c5 c12),
    逾期 1 (c4), 反复 2 (c7 c12), 已办结 6 (c1 c2 c3 c7 c8 c9), 按时 5 (all but c8)
    化解率 4/9 = 44.4 %, 按时办结率 5/6 = 83.3 %, 本期化解 (flow) 5 (c1 c7 c8 c9 c10)
    环比 (October): 收集研判 1, 化解 1, 化解率 100.0 %;  同比 (November 2025): 1, 1, 100.0 %
County (c13 too): 收集研判 10, 化解 5.
"""

import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from cases import services
from cases.models import Dispute
from tests.conftest import TOWN_X, VILLAGE_A, VILLAGE_C

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 11, 30, 12, 0, tzinfo=TZ)


def at(month, day, hour=10, year=2026):
    return datetime.datetime(year, month, day, hour, 0, tzinfo=TZ)


@pytest.fixture
def november(db, make_case, secretary_a, secretary_c, town_x):
    made = {}

    def register(name, when, actor=secretary_a, village=VILLAGE_A):
        with time_machine.travel(when, tick=False):
            made[name] = make_case(actor, village, title=f"统计样例{name}",
                                   arose_on=(when - datetime.timedelta(days=1)).date())
        return made[name]

    def resolve(name, when, outcome="success", actor=secretary_a):
        with time_machine.travel(when, tick=False):
            case = Dispute.objects.get(pk=made[name].pk)
            if case.status == "logged":
                case = services.start_handling(actor=actor, dispute=case)
            note = "已告知当事人可向人民法院起诉" if outcome == "failed" else "达成协议"
            made[name] = services.resolve(actor=actor, dispute=case, outcome=outcome, note=note)

    def reopen(name, when):
        with time_machine.travel(when, tick=False):
            made[name] = services.reopen(actor=secretary_a, dispute=made[name], reason="双方再起争执")

    register("c1", at(11, 3))
    resolve("c1", at(11, 4))
    register("c2", at(11, 5))
    resolve("c2", at(11, 6), "partial")
    register("c3", at(11, 10))
    resolve("c3", at(11, 11), "failed")
    register("c4", at(11, 12))
    with time_machine.travel(at(11, 12, 11), tick=False):
        services.start_handling(actor=secretary_a, dispute=made["c4"])
    register("c5", at(11, 27))
    register("c6", at(11, 20))
    with time_machine.travel(at(11, 20, 11), tick=False):
        services.reject(actor=secretary_a, dispute=made["c6"], reason="已起诉至人民法院")
    register("c7", at(11, 8))
    resolve("c7", at(11, 9))
    reopen("c7", at(11, 14))
    resolve("c7", at(11, 16))
    register("c8", at(11, 2))
    with time_machine.travel(at(11, 2, 11), tick=False):
        services.start_handling(actor=secretary_a, dispute=made["c8"])
    resolve("c8", at(11, 25))
    register("c9", at(11, 13))
    with time_machine.travel(at(11, 13, 11), tick=False):
        case = services.start_handling(actor=secretary_a, dispute=made["c9"])
    original_deadline = case.deadline
    with time_machine.travel(at(11, 14), tick=False):
        services.request_extension(actor=secretary_a, dispute=case, reason="当事人外出务工，需等待返乡")
        services.decide_extension(actor=town_x, dispute=case, approve=True, note="同意")
    extended = Dispute.objects.get(pk=made["c9"].pk).deadline
    assert extended > original_deadline + datetime.timedelta(days=2)
    resolve("c9", original_deadline + datetime.timedelta(days=1))  # late by the first deadline, in time by the new
    register("c12", at(11, 18))
    resolve("c12", at(11, 19))
    reopen("c12", at(11, 29))
    register("c10", at(10, 15))
    resolve("c10", at(11, 2))
    register("c11", at(11, 10, year=2025))
    resolve("c11", at(11, 11, year=2025))
    register("c13", at(11, 6), actor=secretary_c, village=VILLAGE_C)
    resolve("c13", at(11, 7), actor=secretary_c)
    return {name: Dispute.objects.get(pk=case.pk) for name, case in made.items()}


__all__ = ["NOW", "TOWN_X", "VILLAGE_A", "at", "november"]
