"""The demo runs with DEBUG on; it still answers 404/500 with the project's Chinese pages, not Django's English
technical pages (core.middleware.FriendlyErrorPagesMiddleware)."""

import pytest
from django.test import override_settings
from django.urls import path

from tests.conftest import VILLAGE_A


def boom(request):
    raise RuntimeError("demo failure")


urlpatterns = [path("boom/", boom)]


@pytest.mark.django_db
def test_debug_404_is_our_chinese_page(client, secretary_a, settings):
    settings.DEBUG = True
    client.force_login(secretary_a)
    for url in ("/no-such-page/", "/cases/JX-2026-999999/"):
        response = client.get(url)
        body = response.content.decode()
        assert response.status_code == 404 and "未找到" in body and "Page not found" not in body, url


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__)
def test_debug_500_is_our_chinese_page(settings):
    from django.test import Client

    settings.DEBUG = True
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    assert response.status_code == 500 and "系统出错了" in response.content.decode()
    assert "Traceback" not in response.content.decode()


@pytest.mark.django_db
def test_a_developer_can_switch_them_off(client, secretary_a, settings, make_case):
    settings.DEBUG, settings.FRIENDLY_ERROR_PAGES = True, False
    client.force_login(secretary_a)
    assert "Page not found" in client.get("/no-such-page/").content.decode()
    assert make_case(secretary_a, VILLAGE_A)  # the cast works as ever
