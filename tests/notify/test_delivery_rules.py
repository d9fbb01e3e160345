"""The delivery rules (notify/delivery/rules.py) and the 阿里云 request signature (notify/delivery/sms.py)."""

import datetime

import pytest

from notify.delivery import rules, sms
from notify.models import Channel, Preference

TZ = datetime.timezone(datetime.timedelta(hours=8))


def at(hour, minute=0, day=2):
    return datetime.datetime(2026, 12, day, hour, minute, tzinfo=TZ)


def test_aliyun_signature_matches_the_sendsms_example_of_its_documentation():
    """阿里云短信 "HTTP协议及签名" example: AccessKeySecret testSecret → zJDF+Lrzhj/ThnlvIToysFRq6t4=."""
    params = {
        "AccessKeyId": "testId", "Action": "SendSms", "Format": "XML", "OutId": "123",
        "PhoneNumbers": "15300000001", "RegionId": "cn-hangzhou", "SignName": "阿里云短信测试专用",
        "SignatureMethod": "HMAC-SHA1", "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
        "SignatureVersion": "1.0", "TemplateCode": "SMS_71390007", "TemplateParam": '{"customer":"test"}',
        "Timestamp": "2017-07-12T02:42:19Z", "Version": "2017-05-25",
    }
    assert sms.rpc_signature(params, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="
    assert sms.rpc_signature({**params, "Signature": "old"}, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_aliyun_signature_matches_the_rpc_example_of_its_documentation():
    params = {"Format": "XML", "AccessKeyId": "testid", "Action": "DescribeRegions", "SignatureMethod": "HMAC-SHA1",
              "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf", "SignatureVersion": "1.0",
              "Version": "2014-05-26", "Timestamp": "2016-02-23T12:46:24Z"}
    assert sms.rpc_signature(params, "testsecret") == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="


def test_percent_encoding_follows_the_pop_rules():
    assert sms.percent_encode("a b*~") == "a%20b%2A~"
    assert sms.percent_encode("/=&+") == "%2F%3D%26%2B"
    assert sms.percent_encode("派") == "%E6%B4%BE"


def test_the_signed_query_carries_template_parameters_and_the_delivery_key():
    provider = sms.AliyunSms(access_key_id="id", access_key_secret="s", sign_name="嘉祥县平安办",
                             endpoint="http://127.0.0.1:9/", region="cn-hangzhou")
    query = provider.signed_query(phone="13800001111", template="SMS_1", params={"kind": "预警", "number": "JX-1"},
                                  out_id="sms:7", nonce="n", timestamp="2026-12-02T00:00:00Z")
    assert query["TemplateParam"] == '{"kind":"预警","number":"JX-1"}' and query["OutId"] == "sms:7"
    assert query["Signature"] == sms.rpc_signature(query, "s")


def test_aliyun_needs_its_credentials(settings):
    settings.SMS_PROVIDER, settings.SMS_TEMPLATE_CODE = "aliyun", ""
    with pytest.raises(Exception, match="SMS_TEMPLATE_CODE"):
        sms.provider()
    settings.SMS_TEMPLATE_CODE, settings.ALIYUN_SMS_ACCESS_KEY_ID = "SMS_1", ""
    with pytest.raises(Exception, match="ALIYUN_SMS_ACCESS_KEY_ID"):
        sms.provider()
    settings.SMS_PROVIDER = "log"
    assert isinstance(sms.provider(), sms.LogSms)


@pytest.mark.parametrize(("hour", "minute", "quiet"), [
    (21, 59, False), (22, 0, True), (23, 30, True), (0, 0, True), (6, 59, True), (7, 0, False), (12, 0, False)])
def test_quiet_hours_wrap_midnight(hour, minute, quiet):
    assert rules.in_quiet_hours(datetime.time(hour, minute), datetime.time(22), datetime.time(7)) is quiet


def test_equal_start_and_end_means_no_quiet_hours():
    assert not rules.in_quiet_hours(datetime.time(23), datetime.time(0), datetime.time(0))


def test_only_a_non_urgent_sms_is_held_until_the_end_of_quiet_hours():
    pref = Preference(quiet_start=datetime.time(22), quiet_end=datetime.time(7))
    assert rules.held_until(channel=Channel.SMS, urgent=False, preference=pref, now=at(23, 30)) == at(7, day=3)
    assert rules.held_until(channel=Channel.SMS, urgent=False, preference=pref, now=at(1)) == at(7)
    assert rules.held_until(channel=Channel.SMS, urgent=True, preference=pref, now=at(23, 30)) is None
    assert rules.held_until(channel=Channel.WECOM, urgent=False, preference=pref, now=at(23, 30)) is None
    assert rules.held_until(channel=Channel.EMAIL, urgent=False, preference=pref, now=at(23, 30)) is None
    assert rules.held_until(channel=Channel.SMS, urgent=False, preference=pref, now=at(9)) is None


def test_backoff_grows_and_is_capped():
    waits = [rules.backoff(n).total_seconds() for n in range(1, 8)]
    assert waits == [30, 120, 480, 1920, 3600, 3600, 3600]


@pytest.mark.django_db
@pytest.mark.default_quiet_hours
def test_defaults_for_a_user_without_preference(settings, django_user_model):
    user = django_user_model.objects.create_user("u1")
    settings.NOTIFY_DEFAULT_CHANNELS = ["sms"]
    pref = rules.preference_of(user)
    assert (pref.sms, pref.email, pref.quiet_start, pref.quiet_end) == (True, False, datetime.time(22),
                                                                         datetime.time(7))
    settings.NOTIFY_DEFAULT_CHANNELS = []
    assert not rules.preference_of(user).sms
