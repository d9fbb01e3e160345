"""Delivery of 待办 by SMS, 企业微信 group robot and e-mail (issue 13 point 2; docs/jobs.md).

Jobs run synchronously here (tests/conftest.py: the immediate backend, at the commit of the transaction that
enqueued them — `django_capture_on_commit_callbacks(execute=True)` is that commit); providers are fakes on
127.0.0.1 (tests/notify/delivery_fakes.py). The database backend and a real worker: tests/notify/test_jobs*.py."""

import datetime
import email

import pytest
import time_machine
from django.db import IntegrityError, transaction
from django.utils import timezone

from cases import services
from cases.models import Status, Tier
from notify.delivery import send
from notify.models import Channel, Delivery, DeliveryAttempt, DeliveryStatus, Notification, Preference, Robot
from org.models import Role, Unit
from tests.conftest import TOWN_X, VILLAGE_A
from tests.notify.delivery_fakes import KEY_ID, SECRET, FakeAliyunSms, FakeSmtp, FakeWeCom

pytestmark = pytest.mark.django_db
TZ = datetime.timezone(datetime.timedelta(hours=8))
UNIT = "嘉祥街道司法所"


class Boom(Exception):
    pass


def give_phone(user, number):
    person = user.person
    person.phone = number
    person.save()
    return user


@pytest.fixture
def aliyun(settings):
    """SMS through the 阿里云 adapter to a fake SendSms that fails its first two requests."""
    with FakeAliyunSms(0, fail=2) as fake:
        settings.SMS_PROVIDER = "aliyun"
        settings.ALIYUN_SMS_ENDPOINT = fake.url + "/"
        settings.ALIYUN_SMS_ACCESS_KEY_ID, settings.ALIYUN_SMS_ACCESS_KEY_SECRET = KEY_ID, SECRET
        settings.ALIYUN_SMS_SIGN_NAME = "嘉祥县平安办"
        settings.SMS_TEMPLATE_CODE, settings.SMS_URGENT_TEMPLATE_CODE = "SMS_100001", "SMS_100002"
        yield fake


@pytest.fixture
def referred(make_case, secretary_a, town_x):
    """A village case referred to town X, whose leader has a phone: the referral lands in his queue."""
    give_phone(town_x, "13800001111")
    return make_case(secretary_a, VILLAGE_A, title="宅基地边界纠纷")


def later(**delta):
    return time_machine.travel(timezone.now() + datetime.timedelta(**delta), tick=False)


def test_a_rolled_back_notification_is_never_delivered_a_committed_one_once_despite_two_failures(
        aliyun, referred, secretary_a, town_x, django_capture_on_commit_callbacks):
    # Rolled back: the notification, its delivery and its job go with the transaction; the fake hears nothing.
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(Boom), transaction.atomic():
            services.refer_up(actor=secretary_a, dispute=referred, reason="多次调解未果")
            assert Delivery.objects.filter(channel=Channel.SMS).count() == 1
            raise Boom
    assert not Notification.objects.filter(recipient=town_x).exists()
    assert not Delivery.objects.exists() and aliyun.requests == []

    # Committed: tried at once (fails), again after the back-off (fails), a third time (succeeds) — sent once.
    with django_capture_on_commit_callbacks(execute=True):
        services.refer_up(actor=secretary_a, dispute=referred, reason="多次调解未果")
    (delivery,) = Delivery.objects.filter(notification__recipient=town_x)
    assert (delivery.channel, delivery.status, delivery.attempts) == (Channel.SMS, DeliveryStatus.PENDING, 1)
    assert send.deliver_due() == {}  # the retry is not due before its back-off
    for wait in (31, 160):  # 30 s after the first failure, 2 min after the second
        with later(seconds=wait):
            send.deliver_due()
    with later(hours=3):
        assert send.deliver_due() == {}  # nothing left to do: a sent delivery is never sent again
        assert send.deliver(delivery.pk) == "skipped"
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.destination) == (DeliveryStatus.SENT, 3, "138****1111")
    assert len(aliyun.requests) == 3 and len(aliyun.delivered) == 1
    sms = aliyun.delivered[0]
    assert (sms["PhoneNumbers"], sms["TemplateCode"], sms["OutId"]) == ("13800001111", "SMS_100001", delivery.key)
    assert referred.number in sms["TemplateParam"] and "待签收的提请" in sms["TemplateParam"]

    # The delivery log: all three attempts with the provider's answers.
    tries = list(delivery.tries.order_by("number"))
    assert [(t.number, t.ok) for t in tries] == [(1, False), (2, False), (3, True)]
    assert "isp.SYSTEM_ERROR" in tries[0].answer and "HTTP 500" in tries[1].answer
    assert '"Code": "OK"' in tries[2].answer and "BizId" in tries[2].answer


@pytest.mark.default_quiet_hours
def test_quiet_hours_hold_a_yellow_due_soon_sms_and_let_a_red_warning_through(
        aliyun, make_case, secretary_a, town_x, county_user, make_user, django_capture_on_commit_callbacks):
    aliyun.fail = 0
    staff_x = give_phone(make_user(Role.TOWN_STAFF, TOWN_X, username="staff_x"), "13900002222")
    give_phone(county_user, "13700003333")
    with time_machine.travel(datetime.datetime(2026, 12, 2, 23, 30, tzinfo=TZ), tick=False):
        case = make_case(secretary_a, VILLAGE_A, tier=Tier.TOWN, status=Status.IN_PROGRESS, title="土地流转纠纷")
        with django_capture_on_commit_callbacks(execute=True):
            # 四定 due in two days: the 责任人's 包案即将到期 (黄牌) — a yellow due-soon item.
            services.fix_assignment(actor=town_x, dispute=case, lead_leader=town_x, responsible_person=staff_x,
                                    responsible_unit=Unit.objects.get(name=UNIT), measures="司法所牵头调处",
                                    deadline=timezone.now() + datetime.timedelta(days=2))
            services.raise_warning(actor=town_x, dispute=case, level="red", triggers=["group_petition"],
                                   reasons="二十余户联名，扬言到县上访", submitted_to="county",
                                   reassess_on=timezone.localdate() + datetime.timedelta(days=2))
        due_soon = Delivery.objects.get(notification__recipient=staff_x, notification__kind="assignment_due")
        red = Delivery.objects.get(notification__recipient=county_user, notification__kind="warning")
        assert red.urgent and not due_soon.urgent
        red.refresh_from_db()
        assert red.status == DeliveryStatus.SENT  # at 23:30: the red warning goes out
        assert [r["PhoneNumbers"] for r in aliyun.delivered] == ["13700003333"]
        assert aliyun.delivered[0]["TemplateCode"] == "SMS_100002"  # the urgent template
        due_soon.refresh_from_db()
        assert (due_soon.status, due_soon.attempts) == (DeliveryStatus.PENDING, 0)
        assert due_soon.next_attempt_at == datetime.datetime(2026, 12, 3, 7, 0, tzinfo=TZ)
        assert "免打扰" in due_soon.note
    with time_machine.travel(datetime.datetime(2026, 12, 3, 6, 59, tzinfo=TZ), tick=False):
        send.deliver_due()
        assert len(aliyun.delivered) == 1  # still quiet
    with time_machine.travel(datetime.datetime(2026, 12, 3, 7, 0, 5, tzinfo=TZ), tick=False):
        send.deliver_due()
    due_soon.refresh_from_db()
    assert due_soon.status == DeliveryStatus.SENT
    assert [r["PhoneNumbers"] for r in aliyun.delivered] == ["13700003333", "13900002222"]


def test_a_channel_that_is_down_loses_nothing_and_catches_up(
        settings, referred, secretary_a, town_x, django_capture_on_commit_callbacks):
    with FakeAliyunSms(0) as fake:  # only to learn a free port of our range; closed again before the case
        url = fake.url
    settings.SMS_PROVIDER, settings.ALIYUN_SMS_ENDPOINT = "aliyun", url + "/"
    settings.ALIYUN_SMS_ACCESS_KEY_ID, settings.ALIYUN_SMS_ACCESS_KEY_SECRET = KEY_ID, SECRET
    settings.ALIYUN_SMS_SIGN_NAME, settings.SMS_TEMPLATE_CODE = "嘉祥县平安办", "SMS_100001"
    with django_capture_on_commit_callbacks(execute=True):
        services.refer_up(actor=secretary_a, dispute=referred, reason="多次调解未果")
    with later(seconds=31):
        send.deliver_due()
    (delivery,) = Delivery.objects.all()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 2)
    assert "ConnectionRefused" in delivery.tries.first().answer or "URLError" in delivery.tries.first().answer
    with FakeAliyunSms(0) as fake, later(minutes=5):
        assert send.deliver_due() == {"sent": 1}
        assert len(fake.delivered) == 1
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 3)


def test_after_the_last_attempt_a_delivery_is_failed_and_says_why(
        aliyun, settings, referred, secretary_a, django_capture_on_commit_callbacks):
    settings.NOTIFY_MAX_ATTEMPTS = 2
    with django_capture_on_commit_callbacks(execute=True):
        services.refer_up(actor=secretary_a, dispute=referred, reason="多次调解未果")
    with later(seconds=31):
        assert send.deliver_due() == {"failed": 1}
    (delivery,) = Delivery.objects.all()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 2) and "已尝试2次" in delivery.note


def test_the_division_robot_posts_number_and_title_only_and_retries(
        settings, make_case, secretary_a, town_x, make_user, django_capture_on_commit_callbacks):
    """Two people of town X receive the referral: its group hears of it once, with no party data."""
    make_user(Role.TOWN_STAFF, TOWN_X)
    robot = Robot.objects.create(division_id=TOWN_X, name="嘉祥街道平安群", webhook_key="robot-key-1234",
                                 msgtype="markdown")
    case = make_case(secretary_a, VILLAGE_A, title="相邻通行纠纷")
    with FakeWeCom(1, fail=2) as fake:
        settings.WECOM_WEBHOOK_URL = fake.url + "/cgi-bin/webhook/send"
        with django_capture_on_commit_callbacks(execute=True):
            services.refer_up(actor=secretary_a, dispute=case, reason="多次调解未果")
        for wait in (31, 200):
            with later(seconds=wait):
                send.deliver_due()
    (delivery,) = Delivery.objects.filter(channel=Channel.WECOM)
    assert (delivery.robot, delivery.status, delivery.attempts) == (robot, DeliveryStatus.SENT, 3)
    assert [r["key"] for r in fake.requests] == ["robot-key-1234"] * 3
    body = fake.requests[-1]["body"]
    assert body["msgtype"] == "markdown"
    content = body["markdown"]["content"]
    assert case.number in content and "相邻通行纠纷" in content and "待签收的提请" in content
    assert "张三" not in content and "李四" not in content and "138" not in content  # the parties of make_case
    assert "45009" in delivery.tries.get(number=1).answer


def test_email_through_django_mail_to_a_local_smtp_server_that_fails_twice(
        settings, referred, secretary_a, town_x, django_capture_on_commit_callbacks):
    town_x.email = "zhang@example.cn"
    town_x.save()
    Preference.objects.create(user=town_x, sms=False, email=True)
    with FakeSmtp(2, fail=2) as fake:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", fake.server.server_address[1]
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        with django_capture_on_commit_callbacks(execute=True):
            services.refer_up(actor=secretary_a, dispute=referred, reason="多次调解未果")
        for wait in (31, 200):
            with later(seconds=wait):
                send.deliver_due()
    (delivery,) = Delivery.objects.all()  # e-mail only: this user turned SMS off
    assert (delivery.channel, delivery.status, delivery.attempts) == (Channel.EMAIL, DeliveryStatus.SENT, 3)
    assert delivery.destination == "z***@example.cn"
    (mail,) = fake.requests
    assert mail["to"] == ["zhang@example.cn"]
    message = email.message_from_bytes(mail["data"])
    assert referred.number in str(email.header.make_header(email.header.decode_header(message["Subject"])))
    assert message["Message-ID"] == f"<email.{delivery.notification_id}@localhost>"
    assert "451" in delivery.tries.get(number=1).answer


def test_one_delivery_per_notification_and_channel(referred, secretary_a, town_x):
    services.refer_up(actor=secretary_a, dispute=referred, reason="多次调解未果")
    (delivery,) = Delivery.objects.all()
    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.create(notification=delivery.notification, channel=Channel.SMS, key=delivery.key)


def test_a_user_without_phone_or_preference_gets_no_sms_and_in_app_only_is_possible(
        make_case, secretary_a, town_x, settings):
    case = make_case(secretary_a, VILLAGE_A)
    services.refer_up(actor=secretary_a, dispute=case, reason="调不动")
    assert not Delivery.objects.exists()  # town X's leader has no phone in the 人员库
    give_phone(town_x, "13800001111")
    Preference.objects.create(user=town_x, sms=False)
    services.return_referral(actor=town_x, dispute=case, reason="请村里先行调解")
    assert not Delivery.objects.exists()


@pytest.mark.default_quiet_hours
def test_a_held_sms_whose_work_was_done_meanwhile_is_not_sent(
        aliyun, referred, secretary_a, town_x, django_capture_on_commit_callbacks):
    with time_machine.travel(datetime.datetime(2026, 12, 2, 22, 30, tzinfo=TZ), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            services.refer_up(actor=secretary_a, dispute=referred, reason="多次调解未果")
        services.accept_referral(actor=town_x, dispute=referred)  # the referral is signed for before 07:00
    with time_machine.travel(datetime.datetime(2026, 12, 3, 7, 1, tzinfo=TZ), tick=False):
        assert send.deliver_due() == {"cancelled": 1}
    assert aliyun.requests == [] and DeliveryAttempt.objects.count() == 0
