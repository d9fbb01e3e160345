"""PostgreSQL guarantees: concurrent identical actions make one effect; cases, parties and events are never deleted."""

import threading

import pytest
from django.db import DatabaseError, connection, connections, transaction

from cases import services as case_services
from cases.models import CaseEvent, Dispute, Party, Referral
from core.errors import Refused
from tests.conftest import VILLAGE_A

pg_only = pytest.mark.skipif(connection.vendor != "postgresql",
                             reason="row locks and triggers are PostgreSQL guarantees; SQLite serialises writers")


@pg_only
@pytest.mark.django_db
def test_deleting_a_case_party_or_event_is_refused_by_the_database(make_case, secretary_a):
    case = make_case(secretary_a, VILLAGE_A)
    for table in ("cases_party", "cases_caseevent", "cases_dispute"):
        with pytest.raises(DatabaseError, match="不得删除"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
    assert Dispute.objects.filter(pk=case.pk).exists()
    assert Party.objects.filter(dispute=case).count() == 2
    assert CaseEvent.objects.filter(dispute=case).count() == 1


@pg_only
@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_referrals_make_one_referral_and_one_event(make_case, secretary_a, reference_data_reload):
    case = make_case(secretary_a, VILLAGE_A)
    barrier = threading.Barrier(8)
    outcomes = []

    def refer():
        try:
            barrier.wait()
            case_services.refer_up(actor=secretary_a, dispute=case, reason="同时提交")
            outcomes.append("ok")
        except Refused as exc:
            outcomes.append(str(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=refer) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 1, outcomes
    assert all("已提请" in o for o in outcomes if o != "ok")
    assert Referral.objects.filter(dispute=case).count() == 1
    assert CaseEvent.objects.filter(dispute=case, kind="referred").count() == 1
    case.refresh_from_db()
    assert case.status == "referred" and case.version == 2


@pytest.fixture(scope="module")
def reference_data_reload(django_db_setup, django_db_blocker):
    """The transactional test's flush empties the reference data the rest of the suite relies on: put it back.

    Module scope, so this runs after the flush (a function fixture would be torn down before it)."""
    yield
    from tests.cases.test_sweep_deadlines import _restore_reference_data

    with django_db_blocker.unblock():
        _restore_reference_data()
