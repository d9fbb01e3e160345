"""A NUL byte (or another control character) in a path or a parameter never gives a 500 (issue 8, defect 5).

PostgreSQL refuses NUL in text, so `/cases/%00/` from a signed-in user once crashed the audit middleware (and the
probe went unrecorded). Now `core.middleware.NulByteMiddleware` answers 400 before any view runs, the refusal is
still an `access_denied` row, and `audit.record` escapes control characters in whatever it stores.
"""

import re
from urllib.parse import quote

import pytest
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver
from hypothesis import HealthCheck, given
from hypothesis import settings as fuzz_settings
from hypothesis import strategies as st

import audit
from audit.models import Action, AuditEntry
from cases import urls as case_urls
from tests.conftest import PASSWORD, VILLAGE_A

pytestmark = pytest.mark.django_db

NUL_PATHS = [
    "/cases/%00/",
    "/cases/{number}%00/edit/",
    "/cases/{number}/do/%00/",
    "/cases/{number}/%00",
    "/%00",
    "/nothing%00/",
    "/audit/%00/",
    "/cases/?q=%00",
    "/cases/?%00=1",
]


@pytest.fixture
def signed_in(client, secretary_a, make_case):
    case = make_case(secretary_a, VILLAGE_A)
    client.force_login(secretary_a)
    return client, case


@pytest.mark.parametrize("template", NUL_PATHS)
def test_a_nul_byte_in_the_path_or_query_answers_400_for_a_signed_in_user(signed_in, template):
    client, case = signed_in
    response = client.get(template.format(number=case.number))
    assert response.status_code == 400
    assert "请求无效" in response.content.decode()


@pytest.mark.parametrize("data", [{"title": "a\x00b"}, {"x\x00": "1"}])
def test_a_nul_byte_in_a_form_answers_400_and_changes_nothing(signed_in, data):
    client, case = signed_in
    response = client.post(f"/cases/{case.number}/edit/", data)
    assert response.status_code == 400
    case.refresh_from_db()
    assert case.version == 1


def test_a_nul_byte_in_a_login_name_answers_400(client):
    response = client.post("/login/", {"username": "sec_a\x00", "password": PASSWORD})
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("template", ["/cases/%01/", "/cases/{number}%1b/edit/", "/cases/%0d%0aX/", "/%7f%c2%9f/"])
def test_other_control_characters_answer_404_and_are_recorded_escaped(signed_in, secretary_a, template):
    client, case = signed_in
    path = template.format(number=case.number)
    assert client.get(path).status_code == 404
    row = AuditEntry.objects.filter(action=Action.ACCESS_DENIED, user_id=secretary_a.pk).latest("id")
    assert row.path == re.sub(r"%([0-9a-f]{2})", lambda m: f"\\x{m.group(1)}", path.replace("%c2", ""))
    assert not re.search(r"[\x00-\x1f\x7f-\x9f]", row.path)


def test_the_refused_nul_path_is_recorded_as_denied_access_with_the_path_escaped(signed_in, secretary_a):
    client, case = signed_in
    assert client.get(f"/cases/{case.number}%00/edit/").status_code == 400
    row = AuditEntry.objects.filter(action=Action.ACCESS_DENIED).latest("id")
    assert row.user_id == secretary_a.pk and row.username == "sec_a" and row.outcome == "failure"
    assert row.path == f"/cases/{case.number}\\x00/edit/"
    assert row.detail == "GET 请求含空字符（400）"


def test_an_anonymous_nul_probe_is_refused_but_not_recorded(client):
    assert client.get("/cases/%00/").status_code == 400
    assert not AuditEntry.objects.filter(action=Action.ACCESS_DENIED).exists()


def test_without_the_guard_the_audit_middleware_still_records_a_nul_path(signed_in, secretary_a, settings):
    """Defence in depth: were the middleware missing, the 404 of a NUL path is recorded (escaped), not a 500."""
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != "core.middleware.NulByteMiddleware"]
    client, case = signed_in
    assert client.get("/cases/%00/").status_code == 404
    row = AuditEntry.objects.filter(action=Action.ACCESS_DENIED).latest("id")
    assert row.path == "/cases/\\x00/" and row.user_id == secretary_a.pk


def test_record_escapes_control_characters_in_path_username_and_detail(secretary_a):
    request = RequestFactory().get("/cases/\x00\x1b[31m/")
    request.user = secretary_a
    row = audit.record(request, action=Action.LOGIN_FAILED, username="x\x00\ny", detail="第一行\n第二行\t\x00\r",
                       label="\x07")
    row = AuditEntry.objects.get(pk=row.pk)
    assert row.path == "/cases/\\x00\\x1b[31m/"
    assert row.detail == "第一行\n第二行\t\\x00\\x0d"
    assert row.object_label == "\\x07"
    named = AuditEntry.objects.get(pk=audit.record(None, action=Action.LOGIN_FAILED, username="x\x00\ny").pk)
    assert named.username == "x\\x00\\x0ay"


# --- Fuzz: every URL pattern of the cases app, with random text (control characters included) appended ---------------


def concrete_urls(case):
    """One real URL per pattern of cases/urls.py (case numbers, ids and actions filled in)."""
    fill = {"number": case.number, "action": "start", "party_id": str(case.parties.first().pk), "pk": "1",
            "step": "session", "doc": "agreement"}
    urls = []
    for prefix, patterns in (("/cases/", case_urls.urlpatterns), ("/warnings/", case_urls.warning_patterns[0]),
                             ("/supervision/", case_urls.supervision_patterns[0])):
        for pattern in patterns:
            assert isinstance(pattern, URLPattern) and not isinstance(pattern, URLResolver)
            route = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: fill[m.group(1)], str(pattern.pattern))
            urls.append(prefix + route)
    return urls


PIECES = st.sampled_from(["\x00", "\x01", "\x08", "\t", "\n", "\r", "\x1b", "\x7f", "\x85", "\x9f", "%00", "%", "/",
                          "..", "?", "#", "\\", "\u2028", "\ufeff"])
SUFFIX = st.lists(st.one_of(PIECES, st.characters(codec="utf-8")), max_size=12).map("".join)


def test_each_cases_url_with_a_nul_byte_appended_answers_400(signed_in):
    client, case = signed_in
    urls = concrete_urls(case)
    assert len(urls) >= 12
    for url in urls:
        for probe in (url + "%00", url.rstrip("/") + "%00/", url + "?x=%00"):
            assert client.get(probe).status_code == 400, probe


def test_fuzzed_paths_of_the_cases_app_never_give_a_500(signed_in, secretary_a):
    client, case = signed_in
    urls = concrete_urls(case)

    @fuzz_settings(max_examples=60, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(url=st.sampled_from(urls), suffix=SUFFIX, before_slash=st.booleans())
    def run(url, suffix, before_slash):
        path = (url.rstrip("/") + quote(suffix, safe="") + "/") if before_slash else url + quote(suffix, safe="")
        response = client.get(path)
        assert response.status_code < 500, path
        if "\x00" in suffix:
            assert response.status_code == 400, path

    run()
    paths = AuditEntry.objects.filter(action=Action.ACCESS_DENIED).values_list("path", flat=True)
    assert paths and not any(re.search(r"[\x00-\x1f\x7f-\x9f]", p) for p in paths)
