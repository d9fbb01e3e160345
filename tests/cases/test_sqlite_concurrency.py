"""SQLite with two writers at once (issue 8, defect 9): the second 签收 of one referral is told "no pending referral",
never "database is locked" (a 500).

jiaxiang/settings.py opens SQLite in WAL mode with a busy timeout and `transaction_mode: IMMEDIATE`, so a write
transaction takes the write lock at BEGIN and the other one waits for it instead of failing when it tries to
upgrade a stale read. The test database is a file (settings: DATABASES TEST NAME, one per process; pytest-xdist adds
the worker's suffix): the default in-memory test database cannot be opened by a second thread's connection.
"""

import threading
import time

import pytest
from django.db import connection, connections

from cases import services as case_services
from cases.models import CaseEvent, EventKind, Referral, ReferralStatus, Status, Tier
from cases.services import referrals
from core.errors import Refused
from tests.conftest import VILLAGE_A

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite",
                                reason="SQLite's whole-database write lock; PostgreSQL locks rows "
                                       "(tests/cases/test_no_lost_updates_pg.py)")


@pytest.fixture(scope="module")
def reference_data_reload(django_db_setup, django_db_blocker):
    """The transactional test's flush empties the reference data the rest of the suite relies on: put it back."""
    yield
    from tests.cases.test_sweep_deadlines import _restore_reference_data

    with django_db_blocker.unblock():
        _restore_reference_data()


def test_the_test_database_is_a_file_in_wal_mode_with_immediate_transactions():
    settings_dict = connection.settings_dict
    assert not connection.is_in_memory_db(), settings_dict["NAME"]
    assert settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert settings_dict["OPTIONS"]["timeout"] >= 5


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_acceptances_one_succeeds_the_other_is_refused(
    make_case, secretary_a, town_x, monkeypatch, reference_data_reload
):
    case = make_case(secretary_a, VILLAGE_A)
    case_services.refer_up(actor=secretary_a, dispute=case, reason="双方情绪激动，需镇街出面")
    with connection.cursor() as cursor:
        assert cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal"

    # Both transactions read the case, then dawdle before writing: without immediate transactions both hold a read
    # snapshot when the first one writes, and the second one's write fails at once with "database is locked".
    original_check_state = referrals.check_state

    def slow_check_state(action, dispute):
        original_check_state(action, dispute)
        time.sleep(0.3)

    monkeypatch.setattr(referrals, "check_state", slow_check_state)
    barrier = threading.Barrier(2)
    outcomes = []

    def accept():
        try:
            barrier.wait()
            case_services.accept_referral(actor=town_x, dispute=case, note="同时签收")
            outcomes.append("ok")
        except Refused as refused:
            outcomes.append(refused)
        except Exception as exc:  # noqa: BLE001 - the test reports OperationalError ("database is locked") as such
            outcomes.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=accept) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert outcomes.count("ok") == 1, outcomes
    [other] = [o for o in outcomes if o != "ok"]
    assert isinstance(other, Refused), repr(other)
    assert "签收" in other.message
    case.refresh_from_db()
    assert (case.tier, case.status, case.version) == (Tier.TOWN, Status.IN_PROGRESS, 3)
    assert Referral.objects.get(dispute=case).status == ReferralStatus.ACCEPTED
    assert CaseEvent.objects.filter(dispute=case, kind=EventKind.ACCEPTED).count() == 1
