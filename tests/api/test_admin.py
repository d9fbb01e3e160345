"""The Chinese admin of external systems and tokens: a token and a callback secret are shown once; revoking works."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from api.models import ApiToken, ExternalSystem
from audit.models import Action, AuditEntry
from tests.api.conftest import work_order
from tests.conftest import TOWN_X

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(sysadmin):
    sysadmin.is_staff = sysadmin.is_superuser = True
    sysadmin.save()
    client = Client()
    client.force_login(sysadmin)
    return client


def _shown(response) -> str:
    return re.search(r'<code id="shown-once">([^<]+)</code>', response.content.decode()).group(1)


def test_a_system_and_a_token_made_in_the_admin_are_shown_once_and_work(admin_client, api_client):
    page = admin_client.get(reverse("admin:api_externalsystem_add"))
    assert "外部系统" in page.content.decode() and "结果回调地址" in page.content.decode()
    response = admin_client.post(reverse("admin:api_externalsystem_add"), {
        "name": "嘉祥街道网格平台", "code": "grid-x", "division": TOWN_X, "callback_url": ""})
    assert response.status_code == 200, response.content.decode()[:3000]
    secret = _shown(response)
    system = ExternalSystem.objects.get()
    assert system.callback_secret == secret and system.user.username == "api-grid-x"
    stored = ExternalSystem.objects.filter(pk=system.pk).values_list("callback_secret", flat=True).get()
    assert secret not in stored  # encrypted at rest
    assert secret not in admin_client.get(reverse("admin:api_externalsystem_change", args=[system.pk])).content.decode()

    response = admin_client.post(reverse("admin:api_apitoken_add"), {
        "system": system.pk, "label": "生产环境", "can_create": "on", "can_read": "on", "rate_per_minute": 60})
    assert response.status_code == 200
    token = _shown(response)
    assert "只在此处显示这一次" in response.content.decode()
    row = ApiToken.objects.get()
    assert token not in admin_client.get(reverse("admin:api_apitoken_change", args=[row.pk])).content.decode()
    listing = admin_client.get(reverse("admin:api_apitoken_changelist")).content.decode()
    assert token not in listing and "有效" in listing
    assert api_client(token).post("/api/v1/cases", work_order()).status_code == 201

    response = admin_client.post(reverse("admin:api_apitoken_changelist"), {
        "action": "revoke", "_selected_action": [row.pk]}, follow=True)
    assert "已吊销 1 个令牌" in response.content.decode() and "已吊销（" in response.content.decode()
    assert api_client(token).post("/api/v1/cases", work_order("WO-2")).status_code == 401
    details = list(AuditEntry.objects.filter(action=Action.ACCOUNT_CHANGE, detail__contains="接口").values_list(
        "detail", flat=True))
    assert any("新建外部系统" in d for d in details) and any("签发接口令牌" in d for d in details)
    assert any(d == "吊销接口令牌" for d in details)
    assert all(token not in e.detail and secret not in e.detail for e in AuditEntry.objects.all())


def test_tokens_and_systems_cannot_be_deleted_in_the_admin(admin_client, system_x, make_token):
    row, _ = make_token(system_x)
    assert admin_client.get(reverse("admin:api_apitoken_delete", args=[row.pk])).status_code == 403
    assert admin_client.get(reverse("admin:api_externalsystem_delete", args=[system_x.pk])).status_code == 403


def test_a_non_staff_user_cannot_open_the_api_admin(secretary_a):
    client = Client()
    client.force_login(secretary_a)
    response = client.get(reverse("admin:api_apitoken_changelist"))
    assert response.status_code == 302 and reverse("admin:login") in response["Location"]
