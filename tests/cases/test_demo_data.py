"""The demo is coherent (issue 9): its cases were walked through the services, so every 已提请 case has its
pending referral, about one open case in ten to five is overdue, the units, the county and every working role
find items in their 待办 on first login."""

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from cases.models import Dispute, EarlyWarning, Extension, Referral, Status, Supervision
from notify.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings):
    settings.DEBUG = True
    call_command("seed_demo", "--cases", "160", stdout=io.StringIO())
    return {u.username: u for u in get_user_model().objects.all()}


def test_the_demo_is_made_of_real_records(demo):
    assert Dispute.objects.count() == 160
    for case in Dispute.objects.filter(status=Status.REFERRED):
        assert case.referrals.filter(kind="refer", status="pending").count() == 1, case.number
    open_cases = Dispute.objects.filter(status__in=("logged", "in_progress", "referred"))
    overdue = open_cases.filter(deadline__lt=timezone.now()).count()
    assert 0.05 <= overdue / open_cases.count() <= 0.25
    assert Referral.objects.filter(kind="transfer").exists()
    assert EarlyWarning.objects.filter(submitted_to="county", replied_at=None).exists()
    assert Extension.objects.filter(status="pending").exists()
    assert Supervision.objects.count() == open_cases.filter(deadline__lt=timezone.now()).exclude(
        supervisions=None).count() > 0
    for case in Dispute.objects.all()[:40]:
        assert case.events.filter(kind="logged").count() == 1


def test_every_working_role_has_todo_items_on_first_login(demo):
    for username in ("jiaxiang_jd", "jiaxiang_zzb", "zhifang_zhen", "xian_zhongxin", "shetu_tiaojie"):
        assert Notification.objects.filter(recipient=demo[username], done_at=None).exists(), username
