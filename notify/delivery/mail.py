"""E-mail through Django's mail framework (EMAIL_URL / EMAIL_BACKEND). The Message-ID is derived from the delivery
key, so a mail server that sees a retry of a mail it already took can tell it is the same one."""

import smtplib
import time

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from .outcome import Outcome, failure


def send(*, to: str, subject: str, body: str, key: str) -> Outcome:
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip("> ") or "localhost"
    message = EmailMessage(subject=subject, body=body, to=[to],
                           headers={"Message-ID": f"<{key.replace(':', '.')}@{domain}>"})
    started = time.monotonic()
    try:
        with get_connection(fail_silently=False) as connection:
            sent = connection.send_messages([message])
    except smtplib.SMTPRecipientsRefused as e:  # the address itself is refused
        return Outcome(False, f"SMTPRecipientsRefused: {e}"[:500], permanent=True,
                       duration_ms=int((time.monotonic() - started) * 1000))
    except (smtplib.SMTPException, OSError) as e:
        return failure(e, started)
    return Outcome(bool(sent), f"{settings.EMAIL_BACKEND.rsplit('.', 2)[-2]}: 已投递 {sent} 封",
                   duration_ms=int((time.monotonic() - started) * 1000))
