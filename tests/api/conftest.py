"""External systems and tokens for the API tests: a grid platform of town X (嘉祥街道) and one of town Y (纸坊镇)."""

import datetime

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from api import services
from org.models import Division
from tests.conftest import TOWN_X, TOWN_Y, VILLAGE_A, VILLAGE_C


@pytest.fixture(autouse=True)
def _fresh_rate_counters():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def make_system(db):
    def make(division_code=TOWN_X, *, code="grid-x", name="嘉祥街道网格平台", callback_url=""):
        system, secret = services.create_system(actor=None, name=name, code=code,
                                                division=Division.objects.get(code=division_code),
                                                callback_url=callback_url)
        system.shown_secret = secret
        return system

    return make


@pytest.fixture
def make_token(db):
    def make(system, **scopes):
        row, token = services.issue_token(actor=None, system=system, **scopes)
        return row, token

    return make


@pytest.fixture
def system_x(make_system):
    return make_system()


@pytest.fixture
def system_y(make_system):
    return make_system(TOWN_Y, code="grid-y", name="纸坊镇网格平台")


@pytest.fixture
def token_x(system_x, make_token):
    return make_token(system_x)[1]


@pytest.fixture
def token_y(system_y, make_token):
    return make_token(system_y)[1]


class ApiClient:
    """The test client with a bearer token and JSON bodies."""

    def __init__(self, token=None):
        self.client = Client(raise_request_exception=False)
        self.token = token

    def _headers(self):
        return {"HTTP_AUTHORIZATION": f"Bearer {self.token}"} if self.token else {}

    def post(self, path, body, **extra):
        import json

        return self.client.post(path, json.dumps(body, ensure_ascii=False), content_type="application/json",
                                **self._headers(), **extra)

    def get(self, path, **extra):
        return self.client.get(path, **self._headers(), **extra)


@pytest.fixture
def api_client():
    return ApiClient


def work_order(work_order_id="WO-2026-0001", village=VILLAGE_A, **over):
    body = {
        "work_order_id": work_order_id, "title": "王某与赵某邻里噪音纠纷", "category": "neighbour", "risk": "yellow",
        "people_involved": 2, "arose_on": (timezone.localdate() - datetime.timedelta(days=2)).isoformat(),
        "village": village, "place": "3组", "description": "12345热线转来：夜间噪音扰民，双方多次争吵。",
        "parties": [
            {"name": "王某", "sex": "M", "role": "applicant", "phone": "13812345678"},
            {"name": "赵某", "sex": "F", "role": "respondent"},
        ],
    }
    body.update(over)
    return body


VILLAGE_IN_Y = VILLAGE_C
