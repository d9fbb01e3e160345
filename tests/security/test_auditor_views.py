"""The auditor's log page and CSV export: filters, keyset pages, fixed query count, the export logs itself."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import Action, AuditEntry, Outcome

pytestmark = pytest.mark.django_db


def add_rows(n, **fields):
    base = {"username": "someone", "action": Action.LOGIN, "outcome": Outcome.SUCCESS, "at": timezone.now()}
    base.update(fields)
    AuditEntry.objects.bulk_create([AuditEntry(**base) for _ in range(n)])


def listed(response):
    return response.context["page"].rows


@pytest.mark.parametrize("who", ["secretary_a", "county_user", "sysadmin", "unit_user"])
def test_everyone_but_the_auditor_gets_403(client, request, who):
    user = request.getfixturevalue(who)
    client.force_login(user)
    assert client.get(reverse("audit:list")).status_code == 403
    assert client.get(reverse("audit:export")).status_code == 403
    assert not AuditEntry.objects.filter(action=Action.EXPORT).exists()
    assert AuditEntry.objects.filter(action=Action.ACCESS_DENIED, user=user).count() == 2


def test_filters_by_date_user_action_and_outcome(client, auditor):
    local = timezone.get_current_timezone()
    day = datetime.datetime(2026, 3, 2, 23, 30, tzinfo=local)  # late evening, Beijing time
    add_rows(3, username="sec_a", action=Action.LOGIN_FAILED, outcome=Outcome.FAILURE, at=day)
    add_rows(2, username="sec_a", action=Action.LOGIN, at=day)
    add_rows(4, username="town_x", action=Action.LOGIN, at=day + datetime.timedelta(hours=1))  # next local day
    client.force_login(auditor)
    url = reverse("audit:list")
    assert len(listed(client.get(url, {"username": "sec_a"}))) == 5
    assert len(listed(client.get(url, {"username": "sec_a", "outcome": "failure"}))) == 3
    assert len(listed(client.get(url, {"action": "login", "date_from": "2026-03-02", "date_to": "2026-03-02"}))) == 2
    assert len(listed(client.get(url, {"date_from": "2026-03-03", "date_to": "2026-03-03"}))) == 4
    page = client.get(url, {"action": "login_failed"})
    assert "登录失败" in page.content.decode()


def test_keyset_pages_walk_the_whole_log_without_gaps(client, auditor, settings):
    settings.AUDIT_PAGE_SIZE = 10
    add_rows(25, username="bulk")
    client.force_login(auditor)
    url = reverse("audit:list")
    seen, params = [], {"username": "bulk"}
    while True:
        response = client.get(url, params)
        page = response.context["page"]
        seen += [e.id for e in page.rows]
        if not page.older_than:
            break
        params = {"username": "bulk", "before": page.older_than}
    assert len(seen) == 25 == len(set(seen)) and seen == sorted(seen, reverse=True)
    last = client.get(url, params).context["page"]
    assert last.newer_than == seen[20]
    back = client.get(url, {"username": "bulk", "after": last.newer_than}).context["page"]  # "← 较新" from page 3
    assert [e.id for e in back.rows] == seen[10:20]
    assert client.get(url, {"before": "junk"}).status_code == 200


def test_list_query_count_does_not_grow_with_the_log(client, auditor, django_assert_max_num_queries):
    client.force_login(auditor)
    add_rows(20)
    client.get(reverse("audit:list"))
    add_rows(500, username="many", action=Action.ACCESS_DENIED, outcome=Outcome.FAILURE)
    with django_assert_max_num_queries(4):  # session, user, membership, one page of rows
        response = client.get(reverse("audit:list"), {"outcome": "failure"})
    assert len(listed(response)) == 50


def test_export_writes_csv_and_logs_itself(client, auditor):
    add_rows(3, username="sec_a", action=Action.PII_VIEW, object_label="JX-2026-000001", detail="查看身份证号")
    add_rows(1, username="=HYPERLINK(\"http://evil\")", action=Action.LOGIN_FAILED, outcome=Outcome.FAILURE)
    client.force_login(auditor)
    response = client.get(reverse("audit:export"), {"action": "pii_view"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:3] == ["时间", "用户名", "角色"] and len(rows) == 4
    assert all(r[5] == "查看个人信息明文" for r in rows[1:])
    [export] = AuditEntry.objects.filter(action=Action.EXPORT)
    assert export.username == "auditor" and "操作=pii_view" in export.detail

    everything = b"".join(client.get(reverse("audit:export")).streaming_content).decode("utf-8")
    assert "'=HYPERLINK" in everything and ",=HYPERLINK" not in everything  # no formula injection
    assert AuditEntry.objects.filter(action=Action.EXPORT).count() == 2


def test_no_page_edits_or_deletes_entries(client, auditor):
    add_rows(1)
    entry = AuditEntry.objects.first()
    client.force_login(auditor)
    for method in ("post", "put", "delete"):
        response = getattr(client, method)(reverse("audit:list"), {"id": entry.pk})
        assert response.status_code == 405
    assert AuditEntry.objects.filter(pk=entry.pk, username="someone").exists()
    assert client.get(f"/admin/audit/auditentry/{entry.pk}/delete/").status_code in (302, 404)
