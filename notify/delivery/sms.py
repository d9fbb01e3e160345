"""SMS through a provider interface: `SmsProvider.send(phone=, template=, params=, out_id=)` → Outcome.

Adapters: `LogSms` (the demo and the tests: writes a masked line to the log, sends nothing) and `AliyunSms`
(阿里云短信服务 SendSms, API version 2017-05-25, RPC style with signature method HMAC-SHA1 version 1.0: the
parameters sorted by name, percent-encoded per RFC 3986, "GET&%2F&" + the encoded query, keyed with
AccessKeySecret + "&"). `provider()` picks one from settings.SMS_PROVIDER.
"""

import base64
import datetime
import hashlib
import hmac
import json
import logging
import time
import urllib.parse
import uuid

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from core.validators import mask_phone

from .outcome import Outcome, failure, http, parse_json

log = logging.getLogger("notify.sms")


class SmsProvider:
    name = "?"

    def send(self, *, phone: str, template: str, params: dict, out_id: str) -> Outcome:  # pragma: no cover
        raise NotImplementedError


class LogSms(SmsProvider):
    """Nothing leaves the machine: one log line with the masked number (the demo's "sent" SMS)."""

    name = "log"

    def send(self, *, phone, template, params, out_id):
        log.info("短信（演示，未实际发送）%s 模板%s 参数%s 标识%s", mask_phone(phone), template or "-",
                 json.dumps(params, ensure_ascii=False), out_id)
        return Outcome(True, "log: 已记录，未实际发送")


def percent_encode(value: str) -> str:
    """阿里云 POP percent-encoding: RFC 3986 unreserved characters stay, everything else %XX of its UTF-8 bytes
    (a space is %20, never +; * is %2A; ~ stays)."""
    return urllib.parse.quote(str(value), safe="-_.~")


def rpc_signature(params: dict, secret: str, method: str = "GET") -> str:
    canonical = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items())
                         if k != "Signature")
    string_to_sign = f"{method}&{percent_encode('/')}&{percent_encode(canonical)}"
    digest = hmac.new(f"{secret}&".encode(), string_to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


# Answers a retry cannot mend (the number, the template or its parameters are wrong); everything else — throttling
# (isv.BUSINESS_LIMIT_CONTROL), isp.SYSTEM_ERROR, a bad key before it is fixed — is tried again later.
ALIYUN_PERMANENT = {"isv.MOBILE_NUMBER_ILLEGAL", "isv.TEMPLATE_MISSING_PARAMETERS", "isv.SMS_TEMPLATE_ILLEGAL",
                    "isv.INVALID_JSON_PARAM", "isv.PARAM_LENGTH_LIMIT", "isv.MOBILE_COUNT_OVER_LIMIT",
                    "isv.BLACK_KEY_CONTROL_LIMIT", "isv.AMOUNT_NOT_ENOUGH"}


class AliyunSms(SmsProvider):
    name = "aliyun"

    def __init__(self, *, access_key_id, access_key_secret, sign_name, endpoint, region):
        if not (access_key_id and access_key_secret and sign_name):
            raise ImproperlyConfigured("SMS_PROVIDER=aliyun 需要 ALIYUN_SMS_ACCESS_KEY_ID、ALIYUN_SMS_ACCESS_KEY_SECRET "
                                       "和 ALIYUN_SMS_SIGN_NAME（短信签名）。")
        self.access_key_id, self.secret, self.sign_name = access_key_id, access_key_secret, sign_name
        self.endpoint, self.region = endpoint, region

    def signed_query(self, *, phone, template, params, out_id, nonce=None, timestamp=None) -> dict:
        query = {
            "AccessKeyId": self.access_key_id,
            "Action": "SendSms",
            "Format": "JSON",
            "OutId": out_id,
            "PhoneNumbers": phone,
            "RegionId": self.region,
            "SignName": self.sign_name,
            "SignatureMethod": "HMAC-SHA1",
            "SignatureNonce": nonce or uuid.uuid4().hex,
            "SignatureVersion": "1.0",
            "TemplateCode": template,
            "TemplateParam": json.dumps(params, ensure_ascii=False, separators=(",", ":")),
            "Timestamp": timestamp or datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25",
        }
        query["Signature"] = rpc_signature(query, self.secret)
        return query

    def send(self, *, phone, template, params, out_id):
        query = self.signed_query(phone=phone, template=template, params=params, out_id=out_id)
        url = self.endpoint + "?" + "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in query.items())
        started = time.monotonic()
        try:
            status, text, ms = http("GET", url)
        except OSError as e:
            return failure(e, started)
        code = parse_json(text).get("Code")
        answer = f"HTTP {status} {text}"[:1000]
        if status == 200 and code == "OK":
            return Outcome(True, answer, duration_ms=ms)
        return Outcome(False, answer, permanent=code in ALIYUN_PERMANENT, duration_ms=ms)


def provider() -> SmsProvider:
    if settings.SMS_PROVIDER == "log":
        return LogSms()
    if settings.SMS_PROVIDER == "aliyun":
        if not settings.SMS_TEMPLATE_CODE:
            raise ImproperlyConfigured("SMS_PROVIDER=aliyun 需要 SMS_TEMPLATE_CODE（已审核通过的短信模板编号）。")
        return AliyunSms(access_key_id=settings.ALIYUN_SMS_ACCESS_KEY_ID,
                         access_key_secret=settings.ALIYUN_SMS_ACCESS_KEY_SECRET,
                         sign_name=settings.ALIYUN_SMS_SIGN_NAME, endpoint=settings.ALIYUN_SMS_ENDPOINT,
                         region=settings.ALIYUN_SMS_REGION)
    raise ImproperlyConfigured(f"SMS_PROVIDER 只能是 log 或 aliyun，当前为“{settings.SMS_PROVIDER}”。")
