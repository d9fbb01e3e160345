"""What each channel says about a notification. SMS and the group robot carry the kind, the case number and (robot,
e-mail) the title — never a party's name, number or address; the notification's own text, which may quote a note,
goes only to the recipient's own mailbox."""

from django.conf import settings


def link(notification) -> str:
    return f"{settings.SITE_URL}{notification.url}" if settings.SITE_URL else ""


def sms(notification, *, urgent: bool) -> tuple[str, dict]:
    """(template code, template parameters) for 阿里云's SendSms: ${kind}, ${number}."""
    template = (settings.SMS_URGENT_TEMPLATE_CODE if urgent else "") or settings.SMS_TEMPLATE_CODE
    return template, {"kind": notification.get_kind_display(), "number": notification.dispute.number}


def robot(notification, msgtype: str) -> str:
    case = notification.dispute
    url = link(notification)
    if msgtype == "markdown":
        lines = [f"**【平安周例会】{notification.get_kind_display()}**", f"> 案件：{case.number}", f"> 标题：{case.title}"]
        if url:
            lines.append(f"[请登录系统办理]({url})")
        return "\n".join(lines)
    text = f"【平安周例会】{notification.get_kind_display()}\n案件：{case.number}\n标题：{case.title}"
    return f"{text}\n请登录系统办理：{url}" if url else f"{text}\n请登录系统办理。"


def email(notification) -> tuple[str, str]:
    case = notification.dispute
    subject = f"【平安周例会】{notification.get_kind_display()}：{case.number}"
    url = link(notification)
    body = f"{notification.text}\n\n{('请登录系统办理：' + url) if url else '请登录平安周例会系统办理。'}\n\n（系统自动发送，请勿回复。）"
    return subject, body
