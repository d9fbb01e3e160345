"""The citizen's rating (issue 13 #4, docs/citizen.md): from the public page, POST with CSRF, only after 结案, once
per case (a second attempt refused politely, also by the database), rate-limited, personal data in the comment
hidden, shown to the case holder on the case page."""

import pytest
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from audit.models import AuditEntry
from cases.models import CitizenCode, CitizenRating, Status
from cases.services import citizen
from tests.cases.test_citizen_public import PARTIES, leaks
from tests.conftest import VILLAGE_A


@pytest.fixture(autouse=True)
def fresh_limits():
    cache.clear()
    yield
    cache.clear()


def rate_url(case):
    return reverse("public:rate", args=[CitizenCode.objects.get(dispute=case).code])


@pytest.mark.django_db
@pytest.mark.parametrize("status", [Status.LOGGED, Status.IN_PROGRESS, Status.RESOLVED, Status.REJECTED])
def test_no_rating_before_closing(client, make_case, secretary_a, status):
    case = make_case(secretary_a, VILLAGE_A, status=status)
    page = client.get(reverse("public:status", args=[CitizenCode.objects.get(dispute=case).code])).content.decode()
    assert 'id="rating-form"' not in page
    response = client.post(rate_url(case), {"satisfaction": "satisfied"})
    assert response.status_code == 400 and "结案后才能评价" in response.content.decode()
    assert not CitizenRating.objects.exists()


@pytest.mark.django_db
def test_a_closed_case_is_rated_once_and_a_second_attempt_is_refused_politely(make_case, secretary_a):
    case = make_case(secretary_a, VILLAGE_A, status=Status.CLOSED)
    client = Client(enforce_csrf_checks=True)
    page = client.get(reverse("public:status", args=[CitizenCode.objects.get(dispute=case).code]))
    assert 'id="rating-form"' in page.content.decode()
    token = client.cookies["csrftoken"].value
    assert client.post(rate_url(case), {"satisfaction": "basic"}).status_code == 403  # no CSRF token: refused
    # As a browser sends it: with the page's own Origin (a no-referrer policy would make it "null" and CSRF refuse).
    response = client.post(rate_url(case), {"satisfaction": "basic", "comment": "调解员很耐心",
                                            "csrfmiddlewaretoken": token}, HTTP_ORIGIN="http://testserver")
    assert response.status_code == 302
    rating = CitizenRating.objects.get()
    assert (rating.dispute_id, rating.satisfaction, rating.comment) == (case.pk, "basic", "调解员很耐心")
    after = client.get(response["Location"]).content.decode()
    assert "您已评价：<b>基本满意</b>" in after and 'id="rating-form"' not in after
    again = client.post(rate_url(case), {"satisfaction": "unsatisfied", "csrfmiddlewaretoken": token})
    assert again.status_code == 409 and "只能评价一次" in again.content.decode()
    assert CitizenRating.objects.get().satisfaction == "basic"
    entry = AuditEntry.objects.get(action="case_write", detail__startswith="群众评价")
    assert entry.object_label == case.number and entry.user_id is None and "（查询码略）" in entry.path


@pytest.mark.django_db
def test_the_database_holds_once_per_case(make_case, secretary_a):
    case = make_case(secretary_a, VILLAGE_A, status=Status.CLOSED)
    citizen.rate_case(dispute=case, satisfaction="satisfied")
    with pytest.raises(citizen.AlreadyRated):
        citizen.rate_case(dispute=case, satisfaction="unsatisfied")
    with pytest.raises(IntegrityError), transaction.atomic():
        CitizenRating.objects.create(dispute=case, satisfaction="unsatisfied")


@pytest.mark.django_db
@pytest.mark.parametrize("data, message", [
    ({}, "请选择满意、基本满意或不满意"),
    ({"satisfaction": "great"}, "请选择满意、基本满意或不满意"),
    ({"satisfaction": "satisfied", "comment": "好" * 301}, "意见建议不能超过300字"),
])
def test_bad_input_is_a_chinese_error_at_the_field_and_saves_nothing(client, make_case, secretary_a, data, message):
    case = make_case(secretary_a, VILLAGE_A, status=Status.CLOSED)
    response = client.post(rate_url(case), data)
    body = response.content.decode()
    assert response.status_code == 400 and message in body and 'id="error-summary"' in body
    assert not CitizenRating.objects.exists()


@pytest.mark.django_db
def test_personal_data_typed_into_the_comment_is_hidden(client, make_case, secretary_a):
    case = make_case(secretary_a, VILLAGE_A, status=Status.CLOSED, parties=PARTIES)
    comment = "赵六已赔钱，王五满意。有事打13812345678，身份证370829198506150038，住东街88号。"
    assert client.post(rate_url(case), {"satisfaction": "satisfied", "comment": comment}).status_code == 302
    stored = CitizenRating.objects.get().comment
    # A street name alone stays (rules.anonymise: names, ID numbers, phones and house numbers go).
    assert [x for x in leaks(stored, case) if x != "东街"] == [] and "88号" not in stored
    assert "赵某" in stored and "王某" in stored and "（电话略）" in stored and "（身份证号略）" in stored


@pytest.mark.django_db
def test_ratings_are_rate_limited_per_address(client, make_case, secretary_a, settings):
    settings.CITIZEN_RATINGS_PER_WINDOW = 2
    case = make_case(secretary_a, VILLAGE_A, status=Status.CLOSED)
    codes = [rate_url(case)] * 2
    assert [client.post(u, {}, REMOTE_ADDR="10.9.9.9").status_code for u in codes] == [400, 400]
    limited = client.post(codes[0], {"satisfaction": "satisfied"}, REMOTE_ADDR="10.9.9.9")
    assert limited.status_code == 429 and "查询过于频繁" in limited.content.decode()
    assert not CitizenRating.objects.exists()
    assert client.post(codes[0], {"satisfaction": "satisfied"}, REMOTE_ADDR="10.9.9.10").status_code == 302


@pytest.mark.django_db
def test_the_rating_is_shown_on_the_case_page_to_its_holder(client, make_case, secretary_a, secretary_b):
    case = make_case(secretary_a, VILLAGE_A, status=Status.CLOSED)
    client.force_login(secretary_a)
    assert "当事人尚未评价" in client.get(case.get_absolute_url()).content.decode()
    citizen.rate_case(dispute=case, satisfaction="unsatisfied", comment="回访太晚")
    body = client.get(case.get_absolute_url()).content.decode()
    assert "群众评价" in body and "不满意" in body and "回访太晚" in body
    client.force_login(secretary_b)
    assert client.get(case.get_absolute_url()).status_code == 404


@pytest.mark.django_db
def test_on_postgresql_ratings_are_never_rewritten_and_codes_never_deleted(make_case, secretary_a):
    from django.db import DatabaseError, connection

    if connection.vendor != "postgresql":
        pytest.skip("triggers exist on PostgreSQL only (migration cases/0021_citizen_receipt)")
    case = make_case(secretary_a, VILLAGE_A, status=Status.CLOSED)
    citizen.rate_case(dispute=case, satisfaction="unsatisfied")
    for statement in ("UPDATE cases_citizenrating SET satisfaction = 'satisfied'",
                      "DELETE FROM cases_citizenrating", "DELETE FROM cases_citizencode"):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    assert CitizenRating.objects.get().satisfaction == "unsatisfied"
    assert CitizenCode.objects.filter(dispute=case).exists()
