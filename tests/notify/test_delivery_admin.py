"""The admin of delivery (Chinese): preferences, the divisions' robots (key masked), the delivery log with each
attempt (no case content), and 重新发送 for failed deliveries. Non-staff users never reach it."""

import pytest
from django.contrib import admin
from django.urls import reverse

from cases import services
from notify.models import Delivery, DeliveryAttempt, DeliveryStatus, Notification, Robot
from tests.conftest import TOWN_X, VILLAGE_A

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, sysadmin):
    sysadmin.is_staff = sysadmin.is_superuser = True
    sysadmin.save()
    client.force_login(sysadmin)
    return client


@pytest.fixture
def failed_deliveries(make_case, secretary_a, town_x):
    person = town_x.person
    person.phone = "13800001111"
    person.save()
    rows = []
    for i in range(30):
        case = make_case(secretary_a, VILLAGE_A, title=f"邻里纠纷{i}")
        services.refer_up(actor=secretary_a, dispute=case, reason="多次调解未果")
        delivery = Delivery.objects.get(notification__dispute=case)
        DeliveryAttempt.objects.create(delivery=delivery, number=1, ok=False, answer='HTTP 500 {"Code":"isp.SYSTEM_ERROR"}')
        rows.append(delivery)
    Delivery.objects.filter(pk__in=[d.pk for d in rows]).update(status=DeliveryStatus.FAILED, attempts=1)
    return rows


def test_the_delivery_log_lists_without_case_content_and_pins_its_queries(
        admin_client, failed_deliveries, django_assert_max_num_queries):
    with django_assert_max_num_queries(14):
        body = admin_client.get(reverse("admin:notify_delivery_changelist")).content.decode()
    assert "通知发送记录" in body and "发送失败" in body and "待签收的提请" in body and "138****1111" in body
    assert "13800001111" not in body and "邻里纠纷" not in body and "JX-" not in body  # no case content
    page = admin_client.get(reverse("admin:notify_delivery_change", args=[failed_deliveries[0].pk])).content.decode()
    assert "发送尝试" in page and "isp.SYSTEM_ERROR" in page and "邻里纠纷" not in page


def test_send_again_makes_failed_deliveries_pending_and_sends_them(
        admin_client, failed_deliveries, django_capture_on_commit_callbacks):
    chosen = [d.pk for d in failed_deliveries[:2]]
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("admin:notify_delivery_changelist"),
                                     {"action": "send_again", "_selected_action": chosen}, follow=True)
    assert "已安排重新发送2条记录" in response.content.decode()
    sent = Delivery.objects.filter(pk__in=chosen)
    assert {d.status for d in sent} == {DeliveryStatus.SENT}  # the log adapter (tests) accepted them
    assert [t.number for t in sent[0].tries.all()] == [1, 2]
    assert Delivery.objects.filter(status=DeliveryStatus.FAILED).count() == 28


def test_a_robot_key_is_stored_encrypted_and_shown_masked(admin_client):
    response = admin_client.post(reverse("admin:notify_robot_add"), {
        "division": TOWN_X, "name": "嘉祥街道平安群", "webhook_key": "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa",
        "msgtype": "markdown", "active": "on"})
    assert response.status_code == 302
    robot = Robot.objects.get()
    assert robot.webhook_key == "693a91f6-7xxx-4bc4-97a0-0ec2sifa5aaa"
    raw = Robot.objects.values_list("webhook_key", flat=True).get()
    assert "693a91f6" not in raw  # ciphertext at rest
    listing = admin_client.get(reverse("admin:notify_robot_changelist")).content.decode()
    assert "****5aaa" in listing and "693a91f6" not in listing
    change = admin_client.get(reverse("admin:notify_robot_change", args=[robot.pk])).content.decode()
    assert "693a91f6" not in change
    admin_client.post(reverse("admin:notify_robot_change", args=[robot.pk]), {
        "division": TOWN_X, "name": "嘉祥街道平安群（新）", "webhook_key": "", "msgtype": "text", "active": "on"})
    robot.refresh_from_db()
    assert robot.name == "嘉祥街道平安群（新）" and robot.webhook_key.endswith("5aaa")  # blank keeps the key


def test_a_robot_form_explains_a_pasted_url(admin_client):
    response = admin_client.post(reverse("admin:notify_robot_add"), {
        "division": TOWN_X, "name": "群", "msgtype": "text", "active": "on",
        "webhook_key": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=abc"})
    assert response.status_code == 200 and "只填写 key= 后面的部分" in response.content.decode()
    assert not Robot.objects.exists()


def test_preferences_page_in_chinese(admin_client, town_x):
    body = admin_client.get(reverse("admin:notify_preference_add")).content.decode()
    assert "免打扰开始" in body and "短信提醒" in body and "红色预警除外" in body


def test_non_staff_users_are_sent_to_the_admin_login(client, town_x):
    client.force_login(town_x)
    for name in ("admin:notify_delivery_changelist", "admin:notify_robot_changelist",
                 "admin:notify_preference_changelist"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and reverse("admin:login") in response["Location"]


def test_notifications_and_job_rows_are_not_in_the_admin():
    from django_tasks_db.models import DBTaskResult

    assert not admin.site.is_registered(Notification) and not admin.site.is_registered(DBTaskResult)


def test_a_test_message_to_a_robot_shows_the_answer(admin_client, settings):
    from tests.notify.delivery_fakes import FakeWeCom

    robot = Robot.objects.create(division_id=TOWN_X, name="嘉祥街道平安群", webhook_key="k-1234", msgtype="text")
    with FakeWeCom(1, fail=1) as fake:
        settings.WECOM_WEBHOOK_URL = fake.url + "/cgi-bin/webhook/send"
        url = reverse("admin:notify_robot_changelist")
        first = admin_client.post(url, {"action": "send_test", "_selected_action": [robot.pk]}, follow=True)
        second = admin_client.post(url, {"action": "send_test", "_selected_action": [robot.pk]}, follow=True)
    assert "发送失败" in first.content.decode() and "45009" in first.content.decode()
    assert "发送成功" in second.content.decode()
    assert fake.requests[-1] == {"key": "k-1234", "body": {"msgtype": "text", "text": {
        "content": "【平安周例会】测试消息：本群机器人已接入，待办将推送到本群（只含案件编号和标题）。"}}}
