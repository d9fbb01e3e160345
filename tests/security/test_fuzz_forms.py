"""Fuzzing (hypothesis): every form and filter answers arbitrary input without a 500, and a refused submission
writes nothing (no partial saves).

The field names are read from each page's own HTML, so a new form field is fuzzed without touching this file.
"""

import re

import pytest
from django.apps import apps
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases import services as case_services
from tests.conftest import VILLAGE_A

NAME_RE = re.compile(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"')
SKIP = {"csrfmiddlewaretoken"}

# Values a phone user, a copy-paste accident or an attacker might send.
nasty = st.one_of(
    st.text(max_size=40),
    st.text(alphabet="0123456789-Xx /.:", max_size=25),
    st.sampled_from(["", " ", "0", "-1", "99999999999999999999", "2026-02-30", "9999-12-31", "1900-01-01",
                     "<script>alert(1)</script>", "' OR 1=1 --", "\x00", "纠" * 5000, "a" * 300, "on", "true",
                     "red", "village", "success", "handle", "group_petition", "1", "2", "37082919900101123X"]),
)


def fields_of(client, url):
    body = client.get(url).content.decode()
    return sorted({n for n in NAME_RE.findall(body) if n not in SKIP})


def counts():
    """Rows in every model of our apps: a refused submission must leave all of them unchanged."""
    return {m._meta.label: m.objects.count() for app in ("cases", "meetings", "org")
            for m in apps.get_app_config(app).get_models()}


def fuzz_post(client, url, names, data, *, success_codes=(302,)):
    before = counts()
    response = client.post(url, data)
    assert response.status_code < 500, (url, data)
    if response.status_code not in success_codes:
        assert counts() == before, (url, response.status_code, data)
    return response


FUZZ = settings(max_examples=25, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def payloads(names):
    return st.fixed_dictionaries({}, optional={n: nasty for n in names}).flatmap(
        lambda d: st.just(d) | st.builds(lambda extra: {**d, **extra}, st.dictionaries(st.text(max_size=8), nasty,
                                                                                          max_size=3)))


@pytest.mark.django_db
def test_dispute_registration_form(client, secretary_a):
    client.force_login(secretary_a)
    url = reverse("cases:create")
    names = fields_of(client, url)
    assert "title" in names and "parties-0-name" in names

    @FUZZ
    @given(payloads(names))
    def run(data):
        fuzz_post(client, url, names, data)

    run()


@pytest.mark.django_db
def test_dispute_edit_form(client, secretary_a, make_case):
    case = make_case(secretary_a, VILLAGE_A)
    client.force_login(secretary_a)
    url = reverse("cases:edit", args=[case.number])
    names = fields_of(client, url)

    @FUZZ
    @given(payloads(names))
    def run(data):
        fuzz_post(client, url, names, data, success_codes=(302, 409))

    run()


@pytest.mark.django_db
def test_case_list_filters(client, town_x, make_case, secretary_a):
    make_case(secretary_a, VILLAGE_A)
    client.force_login(town_x)
    url = reverse("cases:list")
    names = fields_of(client, url) + ["page"]

    @FUZZ
    @given(payloads(names))
    def run(params):
        params = {k.replace("\x00", ""): v.replace("\x00", "") for k, v in params.items()}  # NUL: test_nul_bytes.py
        assert client.get(url, params).status_code == 200, params

    run()


ACTION_CASES = {
    # action: (who acts, how to prepare the case)
    "start": ("secretary_a", "logged"), "refer": ("secretary_a", "logged"), "reject": ("secretary_a", "logged"),
    "resolve": ("secretary_a", "in_progress"), "duty": ("secretary_a", "in_progress"),
    "accept": ("town_x", "referred"), "return": ("town_x", "referred"), "warn": ("town_x", "referred"),
    "assign": ("town_x", "at_town"), "transfer": ("town_x", "at_town"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("action", ACTION_CASES)
def test_case_action_forms(client, action, make_case, secretary_a, town_x):
    who, prep = ACTION_CASES[action]
    actor = {"secretary_a": secretary_a, "town_x": town_x}[who]
    case = make_case(secretary_a, VILLAGE_A)
    if prep in ("in_progress",):
        case_services.start_handling(actor=secretary_a, dispute=case)
    if prep in ("referred", "at_town"):
        case_services.refer_up(actor=secretary_a, dispute=case, reason="提请")
    if prep == "at_town":
        case_services.accept_referral(actor=town_x, dispute=case)
    client.force_login(actor)
    url = reverse("cases:act", args=[case.number, action])
    names = fields_of(client, url)

    @FUZZ
    @given(payloads(names))
    def run(data):
        fuzz_post(client, url, names, data)

    run()


@pytest.mark.django_db
def test_meeting_open_and_review_forms(client, secretary_a, make_case):
    make_case(secretary_a, VILLAGE_A)
    client.force_login(secretary_a)
    url = reverse("meetings:open")
    names = fields_of(client, url)

    @FUZZ
    @given(payloads(names))
    def run(data):
        fuzz_post(client, url, names, data)

    run()


@pytest.mark.django_db
def test_login_form(client, secretary_a):
    url = reverse("login")

    @FUZZ
    @given(st.fixed_dictionaries({"username": nasty, "password": nasty}))
    def run(data):
        assert client.post(url, data).status_code < 500

    run()
