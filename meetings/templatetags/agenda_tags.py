"""{% agenda_item item %}: one item of a meeting's agenda (the meeting page lists up to a few hundred).

Written in Python rather than included: 300 items through templates/meetings/_agenda_item.html were half of the
300-item agenda's time (docs/performance.md §3). The markup is exactly what that template writes (the test
tests/meetings/test_agenda_item_tag.py renders both for every kind of item and compares them). The one item whose
研判 form is open inline is still rendered by the template, which includes the form's own templates.
"""

import datetime

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from cases.models import Category, Risk, Status
from core.html import esc

register = template.Library()

ITEM_TEMPLATE = "meetings/_agenda_item.html"
NUMBER = "JX-0CASENUMBER0"  # a case number's shape, replaced per item in the reversed URLs


def _date(value, fmt: str) -> str:
    """{{ value|date:… }}: an aware datetime in local time; nothing for None."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.strftime(fmt)


def _csrf(context) -> str:
    """{% csrf_token %}."""
    token = context.get("csrf_token")
    if not token or token == "NOTPROVIDED":
        return ""
    return f'<input type="hidden" name="csrfmiddlewaretoken" value="{esc(token)}">'


def _person(user) -> str:
    """{{ user.get_full_name|default:user.username }}."""
    if user is None:
        return ""
    return esc(user.get_full_name() or user.username)


class Shapes:
    """What every item looks up, resolved once per page: choice labels and the URLs' shapes."""

    def __init__(self, meeting):
        self.risk, self.status, self.category = ({k: esc(v) for k, v in c.choices} for c in (Risk, Status, Category))
        self.case_url = reverse("cases:detail", args=[NUMBER])
        self.item_url = reverse("meetings:item", args=[meeting.pk, NUMBER])
        self.override_url = reverse("meetings:override", args=[meeting.pk, NUMBER])
        self.meeting_url = esc(meeting.get_absolute_url())

    @staticmethod
    def fill(url, number) -> str:
        return esc(url.replace(NUMBER, number))


def _shapes(context, meeting) -> Shapes:
    shapes = context.render_context.get("agenda_shapes")
    if shapes is None:
        shapes = context.render_context["agenda_shapes"] = Shapes(meeting)
    return shapes


def _flag(context, d, f, o, can_write, shapes) -> str:
    head = (f'\n    <li class="flag{" overridden" if o else ""}">\n'
            f'      <strong>规则提示：</strong>{esc(f.message)}<small class="muted">（{_date(f.due_by, "%m-%d")} 前）</small>\n'
            f"      ")
    if o:
        body = f'<div class="muted">已说明不予处理：{esc(o.reason)}（{_person(o.by)}）</div>\n      '
    elif can_write:
        field = f"o{d.pk}_{esc(f.rule_id)}"
        body = (
            '\n      <details class="sub">\n        <summary>不予处理并说明理由</summary>\n'
            f'        <form method="post" action="{shapes.fill(shapes.override_url, d.number)}">\n'
            f"          {_csrf(context)}\n"
            f'          <input type="hidden" name="rule_id" value="{esc(f.rule_id)}">\n'
            f'          <label for="{field}">不予处理的理由</label>\n'
            f'          <textarea id="{field}" name="reason" rows="2" maxlength="2000" required></textarea>\n'
            '          <button type="submit">保存理由</button>\n        </form>\n      </details>\n      '
        )
    else:
        body = ""
    return head + body + "\n    </li>\n    "


def _item(context, item, meeting, can_write, shapes) -> str:
    d = item.dispute
    number = d.number
    out = [
        "\n",
        f'<article class="card agenda-item" id="item-{d.pk}">\n',
        f'  <p class="number"><a href="{shapes.fill(shapes.case_url, number)}">{esc(number)}</a></p>\n',
        f'  <h4 class="item-title">{esc(d.title)}</h4>\n',
        '  <p class="chips">\n',
        f'    <span class="risk risk-{esc(d.risk)}">{shapes.risk.get(d.risk, esc(d.risk))}</span>\n',
        f'    <span class="status status-{esc(d.status)}">{shapes.status.get(d.status, esc(d.status))}</span>\n',
        "    " + "".join(f'<span class="tag reason">{esc(r)}</span>' for r in item.reasons) + "\n",
        "    " + ('<span class="tag carried">上次例会未研判（转入）</span>' if item.carried_over else "") + "\n",
        "  </p>\n",
    ]
    meta = f"{esc(d.village.short_name)} · {shapes.category.get(d.category, esc(d.category))} · {esc(d.people_involved)}人"
    if d.deadline:
        meta += f" · 时限 {_date(d.deadline, '%Y-%m-%d')}"
    if d.holder_unit:
        meta += f" · 承办 {esc(d.holder_unit)}"
    out.append(f'  <p class="meta muted">{meta}</p>\n')
    r = item.pending_referral
    out.append("  " + (f'<p class="detail">待签收：{esc(r.from_division.short_name)} → '
                       f'{esc(r.to_division.short_name)}，{esc(r.reason)}</p>' if r else "") + "\n")
    a = item.assignment
    out.append("  " + (f'<p class="detail">四定：包案领导 {esc(a.lead_leader.name)}；责任单位 {esc(a.responsible_unit)}；'
                       f'责任人 {esc(a.responsible_person.name)}；时限 {_date(a.deadline, "%Y-%m-%d")}</p>'
                       if a else "") + "\n")
    out.append("  " + "".join(
        f'<p class="detail">{esc(w.get_level_display())}：{"、".join(esc(t) for t in w.trigger_labels())}'
        f'（{esc(w.get_submitted_to_display())}，{_date(w.reassess_on, "%m-%d")} 重新评估）</p>'
        for w in item.open_warnings) + "\n")
    if item.flags:
        out.append('  \n  <ul class="flags">\n    '
                   + "".join(_flag(context, d, f, o, can_write, shapes) for f, o in item.flag_rows)
                   + "\n  </ul>\n  \n")
    else:
        out.append("  \n")
    review = getattr(item, "review", None)
    if review:
        out.append(f'  \n  <p class="review-done"><span class="tag">已研判</span> <strong>'
                   f'{esc(review.get_decision_display())}</strong>：<span class="prewrap">{esc(review.analysis)}</span>'
                   f' <small class="muted">{_person(review.decided_by)}</small></p>\n  \n')
    else:
        out.append("  \n")
    label = "修改研判" if review else "研判与决定"
    if can_write:
        out.append(f'  \n  <p class="item-links"><a class="button{"" if review else " primary"}" '
                   f'href="?review={d.pk}#item-{d.pk}">{label}</a>\n'
                   f'    <a class="button" href="{shapes.fill(shapes.item_url, number)}">议题页（案情与研判同屏）</a></p>\n  \n')
    else:
        out.append(f'  \n  <p class="item-links"><a class="button" href="{shapes.fill(shapes.item_url, number)}">'
                   f"议题页（案情）</a></p>\n  \n")
    out.append("</article>\n\n")  # the template's last line break, after {% endwith %}
    return "".join(out)


@register.simple_tag(takes_context=True)
def agenda_item(context, item):
    meeting = context["meeting"]
    if getattr(item, "review_form", None):
        # The inline 研判 form (one item at a time): its fields and error summary are the form templates' own.
        with context.push(item=item):
            return context.template.engine.get_template(ITEM_TEMPLATE).render(context)
    return mark_safe(_item(context, item, meeting, bool(context.get("can_write")), _shapes(context, meeting)))
