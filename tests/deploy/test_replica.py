"""The read-replica router (jiaxiang/db_router.py) with two aliases on one server: `replica` mirrors the test
database. Statistics and exports read case content through `replica`; every write, every permission/session read
and every other page stay on `default`; nothing goes to `replica` unless REPLICA_READS is on."""

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEntry
from cases.models import Dispute
from core.replica import reports_from_replica
from jiaxiang.db_router import ReplicaRouter, is_report_view
from org.models import Membership
from tests.conftest import VILLAGE_A

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


@pytest.fixture
def replica_on(settings, reference_data):
    settings.REPLICA_READS = True


@pytest.fixture
def town_with_cases(reference_data, make_case, secretary_a, town_x):
    for _ in range(3):
        make_case(secretary_a, VILLAGE_A)
    return town_x


def tables(queries):
    return " ".join(q["sql"] for q in queries)


def through_both(client, url):
    with CaptureQueriesContext(connections["default"]) as primary, \
            CaptureQueriesContext(connections["replica"]) as replica:
        response = client.get(url)
    return response, tables(primary.captured_queries), tables(replica.captured_queries)


@pytest.mark.parametrize("url_name", ["stats:dashboard", "stats:export", "cases:export"])
def test_statistics_and_exports_read_cases_from_the_replica(replica_on, client, town_with_cases, url_name):
    client.force_login(town_with_cases)
    response, primary, replica = through_both(client, reverse(url_name))
    assert response.status_code == 200
    assert '"cases_dispute"' in replica
    assert '"cases_dispute"' not in primary  # the case content came from the replica only
    assert '"django_session"' in primary and '"org_membership"' in primary  # who is asking: from the primary
    assert '"django_session"' not in replica and '"org_membership"' not in replica


def test_the_export_audit_row_is_written_to_the_primary(replica_on, client, town_with_cases):
    client.force_login(town_with_cases)
    before = AuditEntry.objects.count()
    _, primary, replica = through_both(client, reverse("cases:export"))
    assert 'INSERT INTO "audit_auditentry"' in primary and "INSERT" not in replica
    assert AuditEntry.objects.count() == before + 1


def test_ordinary_pages_never_touch_the_replica(replica_on, client, town_with_cases):
    client.force_login(town_with_cases)
    case = Dispute.objects.first()
    for url in (reverse("cases:list"), reverse("cases:detail", args=[case.number]), reverse("home")):
        response, primary, replica = through_both(client, url)
        assert response.status_code == 200 and replica == "", url
        assert '"cases_dispute"' in primary


def test_without_replica_reads_reports_use_the_primary(settings, client, town_with_cases):
    settings.REPLICA_READS = False  # the default when REPLICA_DATABASE_URL is not set
    client.force_login(town_with_cases)
    response, primary, replica = through_both(client, reverse("stats:dashboard"))
    assert response.status_code == 200 and replica == "" and '"cases_dispute"' in primary


def test_router_rules(replica_on):
    router = ReplicaRouter()
    assert router.db_for_read(Dispute) == "default"  # outside a report
    with reports_from_replica():
        assert router.db_for_read(Dispute) == "replica"
        assert router.db_for_read(Membership) == "default"  # permissions never lag
        assert router.db_for_write(Dispute) == "default"
        assert list(Dispute.objects.values_list("pk", flat=True)) == list(
            Dispute.objects.using("default").values_list("pk", flat=True))
    assert router.db_for_read(Dispute) == "default"  # the block ends cleanly
    assert router.allow_migrate("default", "cases") and not router.allow_migrate("replica", "cases")
    assert is_report_view("stats:ranking") and is_report_view("cases:export") and not is_report_view("cases:list")


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="read-only sessions are PostgreSQL's")
def test_the_replica_connection_is_read_only(replica_on, town_with_cases):
    from django.db import InternalError, ProgrammingError

    with pytest.raises((InternalError, ProgrammingError), match="read-only"):
        Dispute.objects.using("replica").filter(pk=Dispute.objects.first().pk).update(title="改")
