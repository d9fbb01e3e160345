"""人民调解 figures (issue 12 #8) on a hand-computed fixture: cases of village A registered in November 2026 and
mediated through the services, looked at on 2026-11-30 12:00.

    m1  2 sessions (med_a), written 12,000, 已履行, 司法确认 applied and 确认有效, 调解成功; visit 满意
    m2  1 session (med_a), oral 500, 未到期, 调解成功; visit 不满意
    m3  1 session (王老伯 leads), written 3,000, 未履行, applied and 驳回, 部分达成; visit 基本满意
    m4  no session (med_a leads), written 8,000, 调解成功, reopened; then oral 6,000, 部分履行, 调解成功 again
    m5  registered only
    mc  village C (town Y): a session and a written 99,999 — outside village A
    mo  village A, registered in October: a session and an agreement — outside the period

Hand-computed for November, village A:
    调解次数 4 (m1 2, m2 1, m3 1); 调解成功数 2 (m1 m2: m3 is 部分达成, m4 had no session)
    协议金额 21,500 (12,000 + 500 + 3,000 + 6,000: m4 counts its current agreement only)
    书面 2 (m1 m3), 口头 2 (m2 m4); 司法确认申请 2 (m1 m3), 确认 1 (m1)
    履行率 1/3 = 33.3 % (已履行 m1 ÷ known m1 m3 m4; m2 未到期 is left out); 回访满意率 2/3 = 66.7 %
    调解员: med_a leads m1 m2 m4 (3 cases, 3 sessions, 3 successes); 王老伯 leads m3 (1 case, 1 session, 0)
"""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from cases import services
from cases.models import Dispute, Mediator
from cases.selectors import cases_visible_to
from cases.services import mediation as svc
from org.models import Division, Person, Role
from org.people import person_for
from stats import figures
from stats.periods import Period
from tests.conftest import VILLAGE_A, VILLAGE_C

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime.datetime(2026, 11, 30, 12, 0, tzinfo=TZ)
NOV = Period(datetime.date(2026, 11, 1), datetime.date(2026, 11, 30))


def at(month, day, hour=10):
    return datetime.datetime(2026, month, day, hour, 0, tzinfo=TZ)


def agreement(form, amount, **extra):
    today = datetime.date(2026, 11, 1)  # replaced below by the travel date
    data = {"form": form, "terms": "约定条款", "effective_on": today, "amount_agreed": amount}
    if form == "written":
        data.update(facts="争议事实", performance_manner="现金支付", performance_deadline=datetime.date(2026, 12, 31))
    return {**data, **extra}


@pytest.fixture
def mediated(db, make_case, make_user, secretary_a, secretary_c):
    med_a = Mediator.objects.create(person=person_for(make_user(Role.GRID_WORKER, VILLAGE_A, username="med_a")),
                                    committee_division=Division.objects.get(code=VILLAGE_A), kind="full_time")
    elder = Mediator.objects.create(person=Person.objects.create(name="王老伯", division_id=VILLAGE_A),
                                    committee_division_id=VILLAGE_A, kind="elder")
    med_c = Mediator.objects.create(person=Person.objects.create(name="丙调解员", division_id=VILLAGE_C),
                                    committee_division_id=VILLAGE_C, kind="part_time")

    def case(when, actor=secretary_a, village=VILLAGE_A, lead=med_a, sessions=0, form=None, amount=None,
             outcome="success", performance=None, confirmation=None, visit=None):
        with time_machine.travel(when, tick=False):
            c = make_case(actor, village, status="in_progress", arose_on=when.date() - datetime.timedelta(days=1))
            svc.name_mediators(actor=actor, dispute=c, lead=lead)
            for _ in range(sessions):
                svc.record_session(actor=actor, dispute=c, held_on=when.date(), place="调解室", form="on_site",
                                   mediators=[lead], attendees="双方", record="笔录")
            a = None
            if form:
                a = svc.record_agreement(actor=actor, dispute=c, **agreement(form, amount, effective_on=when.date()))
            c = services.resolve(actor=actor, dispute=c, outcome=outcome)
            if performance:
                svc.record_performance(actor=actor, dispute=c, agreement=a, performance=performance,
                                       on_date=when.date())
            if confirmation:
                svc.record_confirmation(actor=actor, dispute=c, agreement=a, court="嘉祥县人民法院",
                                        applied_on=when.date(), result=confirmation, decided_on=when.date())
            if visit:
                services.record_visit(actor=actor, dispute=c, visited_on=when.date(), agreement_kept=True,
                                      satisfaction=visit, relapse_signs=False)
        return Dispute.objects.get(pk=c.pk)

    case(at(11, 3), sessions=2, form="written", amount=12000, performance="performed", confirmation="valid",
         visit="satisfied")
    case(at(11, 4), sessions=1, form="oral", amount=500, visit="unsatisfied")
    case(at(11, 5), lead=elder, sessions=1, form="written", amount=3000, outcome="partial",
         performance="not_performed", confirmation="rejected", visit="basic")
    m4 = case(at(11, 6), form="written", amount=8000)
    with time_machine.travel(at(11, 10), tick=False):
        m4 = services.reopen(actor=secretary_a, dispute=m4, reason="未履行，再起争执")
        a = svc.record_agreement(actor=secretary_a, dispute=m4, **agreement("oral", 6000,
                                                                            effective_on=at(11, 10).date()))
        m4 = services.resolve(actor=secretary_a, dispute=m4, outcome="success")
        svc.record_performance(actor=secretary_a, dispute=m4, agreement=a, performance="partly",
                               on_date=at(11, 10).date())
    with time_machine.travel(at(11, 7), tick=False):
        make_case(secretary_a, VILLAGE_A, arose_on=at(11, 6).date())  # m5: registered only
    case(at(11, 8), actor=secretary_c, village=VILLAGE_C, lead=med_c, sessions=1, form="written", amount=99999)
    case(at(10, 20), sessions=1, form="written", amount=7777)  # October
    return {"med_a": med_a, "elder": elder}


def test_the_mediation_figures_of_november(mediated, secretary_a):
    with time_machine.travel(NOW, tick=False):
        m = figures.mediation_summary(cases_visible_to(secretary_a), NOV)
    assert (m["sessions"], m["mediated_successes"]) == (4, 2)
    assert m["amount"] == Decimal("21500.00")
    assert (m["written"], m["oral"], m["applications"], m["confirmed"]) == (2, 2, 2, 1)
    assert (m["performed"], m["performance_known"], m["performance_rate"]) == (1, 3, Decimal("33.3"))
    assert (m["satisfied"], m["visits"], m["satisfaction_rate"]) == (2, 3, Decimal("66.7"))


def test_the_mediators_workload(mediated, secretary_a):
    with time_machine.travel(NOW, tick=False):
        rows = figures.mediator_workload(cases_visible_to(secretary_a), NOV)
    assert rows == [
        {"name": "med_a", "kind": "专职", "cases": 3, "sessions": 3, "successes": 3},
        {"name": "王老伯", "kind": "五老", "cases": 1, "sessions": 1, "successes": 0},
    ]


def test_the_county_counts_village_c_too(mediated, make_user):
    from tests.conftest import COUNTY

    county = make_user(Role.COUNTY_CENTRE, COUNTY)
    with time_machine.travel(NOW, tick=False):
        m = figures.mediation_summary(cases_visible_to(county), NOV)
    assert (m["sessions"], m["amount"], m["written"]) == (5, Decimal("121499.00"), 3)


def test_an_empty_period_has_no_rates(db, secretary_a):
    m = figures.mediation_summary(cases_visible_to(secretary_a), NOV)
    assert (m["sessions"], m["amount"], m["performance_rate"], m["satisfaction_rate"]) == (0, 0, None, None)


def test_the_dashboard_shows_the_block(mediated, client, secretary_a):
    client.force_login(secretary_a)
    with time_machine.travel(NOW, tick=False):
        page = client.get(reverse("stats:dashboard") + "?period=custom&from=2026-11-01&to=2026-11-30")
    body = page.content.decode()
    assert page.status_code == 200
    assert "人民调解" in body and "21500.00" in body and "33.3" in body and "王老伯" in body
