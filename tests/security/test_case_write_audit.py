"""Every case write through the services leaves exactly one complete audit row (actor, role, division, object)."""

import pytest

from audit.models import AuditEntry
from cases import services
from cases import services as case_services
from core.errors import Refused
from tests.conftest import VILLAGE_A


def case_writes():
    return list(AuditEntry.objects.filter(action="case_write").order_by("id"))


@pytest.mark.django_db
def test_each_workflow_action_writes_one_complete_audit_row(make_case, secretary_a, town_x):
    case = make_case(secretary_a, VILLAGE_A)
    (logged,) = case_writes()
    assert (logged.user_id, logged.role, logged.division_code, logged.outcome) == (
        secretary_a.pk, "village_secretary", VILLAGE_A, "success")
    assert (logged.object_id, logged.object_label) == (str(case.pk), case.number)
    steps = [
        lambda: case_services.refer_up(actor=secretary_a, dispute=case, reason="调不动"),
        lambda: case_services.accept_referral(actor=town_x, dispute=case),
    ]
    for n, step in enumerate(steps, start=2):
        step()
        rows = case_writes()
        assert len(rows) == n
        assert rows[-1].detail and rows[-1].user_id is not None
    assert case_writes()[-1].user_id == town_x.pk and case_writes()[-1].division_code == "370829001000"


@pytest.mark.django_db
def test_refused_action_writes_no_case_audit_row(make_case, secretary_a, secretary_b):
    case = make_case(secretary_a, VILLAGE_A)
    with pytest.raises(Refused):
        case_services.resolve(actor=secretary_a, dispute=case, outcome="success")
    assert len(case_writes()) == 1  # only the registration


@pytest.mark.django_db
def test_an_edit_with_several_changes_is_one_audit_row(make_case, secretary_a):
    case = make_case(secretary_a, VILLAGE_A)
    services.update_dispute(actor=secretary_a, dispute=case, version=case.version,
                            fields={"title": "新", "place": "村西", "people_involved": 4}, risk="blue")
    assert len(case_writes()) == 2
