"""企业微信 group robot webhook: POST {WECOM_WEBHOOK_URL}?key=<key> with {"msgtype": "text"|"markdown", ...};
the answer is {"errcode": 0, "errmsg": "ok"} on success."""

import json
import time
import urllib.parse

from django.conf import settings

from .outcome import Outcome, failure, http, parse_json

# 93000: the webhook key is invalid (the robot was removed from its group) — retrying cannot help.
PERMANENT_ERRCODES = {93000}


def payload(msgtype: str, content: str) -> dict:
    return {"msgtype": msgtype, msgtype: {"content": content}}


def post(*, key: str, msgtype: str, content: str) -> Outcome:
    url = f"{settings.WECOM_WEBHOOK_URL}?{urllib.parse.urlencode({'key': key})}"
    body = json.dumps(payload(msgtype, content), ensure_ascii=False).encode()
    started = time.monotonic()
    try:
        status, text, ms = http("POST", url, body=body, headers={"Content-Type": "application/json; charset=utf-8"})
    except OSError as e:
        return failure(e, started)
    errcode = parse_json(text).get("errcode")
    answer = f"HTTP {status} {text}"[:1000]
    if status == 200 and errcode == 0:
        return Outcome(True, answer, duration_ms=ms)
    return Outcome(False, answer, permanent=errcode in PERMANENT_ERRCODES, duration_ms=ms)
