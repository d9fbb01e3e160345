"""The audit log: what is recorded, from which address, and that nothing can change it afterwards."""

import pytest
from django.db import DatabaseError, connection, transaction
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse

import audit
from audit.ip import client_ip
from audit.models import Action, AuditEntry, Outcome
from org.models import Role
from tests.conftest import PASSWORD, VILLAGE_A, VILLAGE_C

pytestmark = pytest.mark.django_db


def entries(action):
    return list(AuditEntry.objects.filter(action=action).order_by("id"))


# --- Client address ---------------------------------------------------------------------------------------------------


def request_from(remote, forwarded=None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_client_ip_is_the_peer_when_no_proxy_is_trusted(settings):
    settings.TRUSTED_PROXIES = []
    assert client_ip(request_from("203.0.113.7", "1.2.3.4")) == "203.0.113.7"


def test_forwarded_for_from_an_untrusted_peer_is_ignored(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.5"]
    assert client_ip(request_from("203.0.113.7", "1.2.3.4")) == "203.0.113.7"


def test_behind_a_trusted_proxy_the_right_most_untrusted_address_is_the_client(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.5", "10.0.1.0/24"]
    # The client wrote "1.2.3.4" itself; the outer proxy 10.0.1.9 appended the real peer 198.51.100.20; the inner
    # proxy 10.0.0.5 appended 10.0.1.9 and connected to us.
    req = request_from("10.0.0.5", "1.2.3.4, 198.51.100.20, 10.0.1.9")
    assert client_ip(req) == "198.51.100.20"
    assert client_ip(request_from("10.0.0.5", "198.51.100.20")) == "198.51.100.20"


def test_garbage_or_only_proxies_in_forwarded_for_fall_back_to_the_peer(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.5"]
    assert client_ip(request_from("10.0.0.5", "1.2.3.4, not-an-ip")) == "10.0.0.5"
    assert client_ip(request_from("10.0.0.5", "10.0.0.5")) == "10.0.0.5"
    assert client_ip(request_from("10.0.0.5")) == "10.0.0.5"


def test_login_records_the_unspoofable_address(client, secretary_a, settings):
    settings.TRUSTED_PROXIES = []
    client.post(reverse("login"), {"username": "sec_a", "password": PASSWORD}, HTTP_X_FORWARDED_FOR="6.6.6.6")
    [row] = entries(Action.LOGIN)
    assert row.ip == "127.0.0.1"


# --- What is recorded -------------------------------------------------------------------------------------------------


def test_login_failed_login_and_logout_are_recorded(client, secretary_a):
    client.post(reverse("login"), {"username": "sec_a", "password": "wrong-Passw0rd"})
    client.post(reverse("login"), {"username": "nobody", "password": "wrong-Passw0rd"})
    response = client.post(reverse("login"), {"username": "sec_a", "password": PASSWORD})
    assert response.status_code == 302
    client.post(reverse("logout"))

    failed = entries(Action.LOGIN_FAILED)
    assert [(r.username, r.user_id, r.outcome) for r in failed] == [
        ("sec_a", None, Outcome.FAILURE), ("nobody", None, Outcome.FAILURE)]
    [login] = entries(Action.LOGIN)
    assert (login.user_id, login.username, login.role, login.division_code) == (
        secretary_a.pk, "sec_a", Role.VILLAGE_SECRETARY, VILLAGE_A)
    [logout] = entries(Action.LOGOUT)
    assert logout.user_id == secretary_a.pk
    assert "wrong" not in " ".join(r.detail for r in AuditEntry.objects.all())  # passwords never reach the log


def test_403_and_404_of_signed_in_users_are_recorded_as_access_denied(client, make_case, secretary_a, secretary_c,
                                                                       auditor):
    case = make_case(secretary_a, VILLAGE_A)
    client.force_login(secretary_c)
    assert client.get(case.get_absolute_url()).status_code == 404
    client.force_login(auditor)
    assert client.get(reverse("cases:create")).status_code == 403

    rows = entries(Action.ACCESS_DENIED)
    assert [(r.username, r.outcome, r.path) for r in rows] == [
        ("sec_c", Outcome.FAILURE, case.get_absolute_url()), ("auditor", Outcome.FAILURE, reverse("cases:create"))]
    assert "404" in rows[0].detail and "403" in rows[1].detail
    assert rows[0].division_code == VILLAGE_C


def test_anonymous_and_static_misses_are_not_recorded(client, secretary_a):
    client.get("/no-such-page/")
    client.force_login(secretary_a)
    client.get("/static/no-such-file.css")
    client.get("/favicon.ico")
    assert not entries(Action.ACCESS_DENIED)


def test_record_from_a_service_takes_actor_and_stores_no_names(make_case, secretary_a):
    case = make_case(secretary_a, VILLAGE_A)
    row = audit.record(None, action="case_write", obj=case, user=secretary_a, detail="化解")
    assert (row.object_type, row.object_id, row.object_label) == ("cases.dispute", str(case.pk), case.number)
    assert "张三" not in row.object_label  # the title names the parties; only the number is kept
    assert row.username == "sec_a" and row.ip is None


def test_record_inside_a_request_gets_the_address_without_the_request(secretary_a):
    """A service called from a view records the client address through the middleware's context."""
    from audit.middleware import AuditMiddleware

    seen = {}

    def view(request):
        seen["row"] = audit.record(action="export", label="测试", user=request.user)
        return HttpResponse("ok")

    req = RequestFactory().get("/x/", REMOTE_ADDR="198.51.100.3")
    req.user = secretary_a
    AuditMiddleware(view)(req)
    assert seen["row"].ip == "198.51.100.3" and seen["row"].path == "/x/"


def test_record_refuses_unknown_actions():
    with pytest.raises(ValueError):
        audit.record(None, action="tea_break")


# --- Append-only ------------------------------------------------------------------------------------------------------


def test_entries_cannot_be_changed_or_deleted_through_django(secretary_a):
    row = audit.record(None, action=Action.EXPORT, user=secretary_a, label="x")
    row.detail = "改写"
    with pytest.raises(PermissionError):
        row.save()
    with pytest.raises(PermissionError):
        row.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=row.pk).update(detail="改写")
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=row.pk).delete()
    assert AuditEntry.objects.get(pk=row.pk).detail == ""


def test_deleting_an_account_keeps_its_audit_rows(secretary_a):
    row = audit.record(None, action=Action.EXPORT, user=secretary_a, label="x")
    secretary_a.delete()
    row = AuditEntry.objects.get(pk=row.pk)
    assert row.username == "sec_a" and row.user_id is not None


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="the append-only trigger exists on PostgreSQL only; "
                    "SQLite (development) relies on the model and queryset guards tested above")
def test_postgres_trigger_refuses_update_and_delete_even_in_raw_sql(secretary_a):
    row = audit.record(None, action=Action.EXPORT, user=secretary_a, label="x")
    for sql in ("UPDATE audit_auditentry SET detail = 'x' WHERE id = %s", "DELETE FROM audit_auditentry WHERE id = %s"):
        with pytest.raises(DatabaseError, match="审计日志只允许追加"), transaction.atomic(), connection.cursor() as cur:
            cur.execute(sql, [row.pk])
    assert AuditEntry.objects.filter(pk=row.pk, detail="").exists()
