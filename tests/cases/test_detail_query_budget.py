"""The case page (cases:detail) runs a fixed, small number of queries for every role that reads it, however long
the case's history: parties, timeline, 四定 with 三包 duties, 三包 records, hops, warnings, visits, supervisions,
extensions, attachments and the citizen's rating."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cases import selectors, services
from cases.models import Attachment, CitizenRating, Dispute, Supervision, WarningStatus
from org.models import Role, Unit
from org.people import person_for
from tests.conftest import TOWN_X, VILLAGE_A, party_row

DETAIL_BUDGET = 8
TOWN_UNIT = "嘉祥街道司法所"
ROLES = ("secretary_a", "town_x", "county_user")


def fresh(case):
    return Dispute.objects.get(pk=case.pk)


def long_history(make_case, sec, town, staff, unit_staff, *, rounds=3):
    """A village case with a long history, walked through the services as users would: parties, an extension,
    a referral to the town, then `rounds` times 四定 with duties, 三包 records, a warning raised, reassessed and
    lifted, transfers (one replaced), resolution, 回访, 结案 and a relapse. It ends in progress at the town with an
    open warning, a pending transfer, a pending extension and an open 纪委督办, so every clock runs."""
    today = timezone.localdate()
    parties = [party_row(f"当事人{i}", "applicant" if i % 2 else "respondent", id_number="") for i in range(6)]
    case = make_case(sec, VILLAGE_A, parties=parties)
    case = services.start_handling(actor=sec, dispute=case)
    services.request_extension(actor=sec, dispute=case, reason="当事人外出务工")
    services.decide_extension(actor=town, dispute=fresh(case), approve=True, note="同意")
    services.refer_up(actor=sec, dispute=fresh(case), reason="村级调解未果")
    case = services.accept_referral(actor=town, dispute=fresh(case))
    unit = Unit.objects.get(name=TOWN_UNIT)
    for i in range(rounds):
        due = today + datetime.timedelta(days=5)
        services.fix_assignment(
            actor=town, dispute=fresh(case), lead_leader=town, responsible_unit=unit, responsible_person=staff,
            measures=f"第{i + 1}轮：司法所牵头调解",
            duties={"handle": (person_for(staff), due), "track": (person_for(town), due),
                    "feedback": (person_for(staff), due)},
        )
        for kind in ("handle", "track", "feedback"):
            services.record_duty(actor=staff, dispute=fresh(case), kind=kind, on_date=today, text=f"{kind}记录{i}")
        w = services.raise_warning(actor=town, dispute=fresh(case), level="yellow", triggers=["intensify"],
                                   reasons="情绪激动", submitted_to="town_joint",
                                   reassess_on=today + datetime.timedelta(days=3))
        services.reassess_warning(actor=town, dispute=fresh(case), warning_id=w.pk, level="orange",
                                  reassess_on=today + datetime.timedelta(days=2), note="升级")
        services.close_warning(actor=town, dispute=fresh(case), warning_id=w.pk, note="风险消除")
        services.transfer_to_unit(actor=town, dispute=fresh(case), unit=unit, reason=f"第{i + 1}轮移交")
        services.return_transfer(actor=unit_staff, dispute=fresh(case), reason="不属本单位")
        case = services.resolve(actor=town, dispute=fresh(case), outcome="success", note="达成协议")
        services.record_visit(actor=town, dispute=case, visited_on=today, agreement_kept=True,
                              satisfaction="satisfied", relapse_signs=False, note=f"回访{i}")
        case = services.close_case(actor=town, dispute=fresh(case))
        case = services.reopen(actor=town, dispute=case, reason=f"第{i + 1}次反复")
        case = fresh(case)
    services.fix_assignment(actor=town, dispute=fresh(case), lead_leader=town, responsible_unit=unit,
                            responsible_person=staff, measures="最后一轮",
                            duties={"handle": (person_for(staff), today + datetime.timedelta(days=5))})
    services.raise_warning(actor=town, dispute=fresh(case), level="red", triggers=["intensify"], reasons="再次激化",
                           submitted_to="town_joint", reassess_on=today + datetime.timedelta(days=3))
    services.transfer_to_unit(actor=town, dispute=fresh(case), unit=unit, reason="最后移交")
    services.request_extension(actor=town, dispute=fresh(case), reason="需要更多时间")
    case = fresh(case)
    now = timezone.now()
    Supervision.objects.bulk_create([
        Supervision(dispute=case, missed_deadline=now - datetime.timedelta(days=d), due_at=now + datetime.timedelta(days=d),
                    status="open" if d == 1 else "closed", division_id=TOWN_X, note=f"督办{d}")
        for d in range(1, 4)
    ])
    Attachment.objects.bulk_create([
        Attachment(dispute=case, kind="photo", original_name=f"现场{i}.jpg", stored_name=f"{i:032x}",
                   content_type="image/jpeg", size=1000 + i, sha256="0" * 64, uploaded_by=sec)
        for i in range(4)
    ])
    CitizenRating.objects.create(dispute=case, satisfaction="satisfied", comment="满意")
    assert case.warnings.filter(status=WarningStatus.OPEN).exists()
    return case


def detail_queries(client, user, case):
    client.force_login(user)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(case.get_absolute_url())
    assert response.status_code == 200
    return ctx.captured_queries, response.content.decode()


@pytest.fixture
def staff_x(make_user):
    return make_user(Role.TOWN_STAFF, TOWN_X, username="staff_x")


@pytest.fixture
def unit_staff_x(make_user):
    return make_user(Role.UNIT_STAFF, TOWN_X, unit_name=TOWN_UNIT, username="unit_x")


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_the_case_page_costs_the_same_few_queries_with_a_long_history_as_without(
        request, client, make_case, secretary_a, town_x, county_user, staff_x, unit_staff_x, role):
    user = request.getfixturevalue(role)
    new_case = make_case(secretary_a, VILLAGE_A)
    small, _ = detail_queries(client, user, new_case)
    case = long_history(make_case, secretary_a, town_x, staff_x, unit_staff_x)
    large, body = detail_queries(client, user, case)
    # The long page does show the history (else the count would prove nothing).
    for shown in ("四定（4）", "三包记录（9）", "提请与移交（5）", "预警（4）", "回访（3）", "纪委督办（3）", "附件（4）",
                  "当事人（6）", "群众评价", "延期申请待审批", "嘉祥街道司法所签收"):
        assert shown in body, shown
    assert len(large) == len(small) <= DETAIL_BUDGET, "\n".join(q["sql"] for q in large)


def _state(obj, related):
    """Every column of `obj` and, recursively, of the related rows `related` cached on it."""
    values = tuple(getattr(obj, f.attname) for f in obj._meta.concrete_fields)
    return values, {name: None if getattr(obj, name) is None else _state(getattr(obj, name), sub)
                    for name, sub in related.items()}


def _paths(related, prefix=""):
    for name, sub in related.items():
        yield prefix + name
        yield from _paths(sub, f"{prefix}{name}__")


@pytest.mark.django_db
def test_the_lists_loaded_with_the_case_are_the_rows_the_orm_reads(client, make_case, secretary_a, town_x, staff_x,
                                                                   unit_staff_x):
    """Dates, times, booleans, JSON and encrypted values come back as a normal read gives them, in the same
    order, with the same related rows (core.json_rows)."""
    person = person_for(staff_x)
    person.phone = "13900001111"  # an encrypted column among the related rows
    person.save()
    case = long_history(make_case, secretary_a, town_x, staff_x, unit_staff_x)
    loaded = selectors.get_case_for_user(town_x, case.number, with_records=True)
    records = selectors.case_workflow_records(loaded)
    lists = {**records, "attachments": selectors.attachments_of(loaded),
             "citizen_ratings": selectors.citizen_ratings_of(loaded)}
    for name, spec in selectors.PAGE_ROWS.items():
        if name == "duties":
            continue
        expected = spec.model.objects.filter(dispute=case).select_related(*_paths(spec.related)).order_by(*spec.order)
        assert [_state(o, spec.related) for o in lists[name]] == [_state(o, spec.related) for o in expected], name
        assert lists[name], name
    duties = selectors.PAGE_ROWS["duties"]
    for a in records["assignments"]:
        expected = a.duties.model.objects.filter(assignment_id=a.pk).select_related("person").order_by(*duties.order)
        assert [_state(d, duties.related) for d in a.duties.all()] == [_state(d, duties.related) for d in expected]
    assert any(d.person.phone == "13900001111" for a in records["assignments"] for d in a.duties.all())
    assert any(w.triggers == ["intensify"] for w in records["warnings"])
