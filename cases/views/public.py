"""The citizen's public pages (docs/citizen.md), outside the login wall: no `login_required` here, on purpose.

    /q/                     type the 查询码 from the receipt (GET form, redirects to the status page)
    /q/<查询码>/            the case's status, tier, town and dates — `services.citizen.public_status`, nothing else
    /q/<查询码>/rate/       POST: the rating after 结案, once per case

Every look-up counts against the client address's budget (`throttle`, 429 in Chinese past it) and writes one audit
row, found or not; the audit row's path leaves the code out (the log never holds a usable code). Pages are never
cached, never indexed, and send no Referer to another site.
"""

import functools
import types

from django.conf import settings
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET, require_POST

import audit
from audit.ip import client_ip
from audit.models import Action, Outcome
from audit.services import current_request
from core.errors import Refused

from ..forms.citizen import CodeForm, RatingForm
from ..forms.disputes import error_summary
from ..services import citizen


def _private(response):
    add_never_cache_headers(response)
    response["X-Robots-Tag"] = "noindex, nofollow"
    # same-origin, not no-referrer: a browser then sends "Origin: null" with the rating form, which CSRF refuses.
    # Other sites never see the address (and its code); our own pages link nowhere else.
    response["Referrer-Policy"] = "same-origin"
    return response


def _code_left_out(view):
    """While the view runs, every audit row (its own and the services') sees the request with the 查询码 cut out of
    its path: the audit log never holds a usable code."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        tail = "rate/" if request.path.endswith("/rate/") else ""
        seen = types.SimpleNamespace(META=request.META, user=getattr(request, "user", None),
                                     path=f"{reverse('public:start')}（查询码略）/{tail}")
        token = current_request.set(seen)
        try:
            return view(request, *args, **kwargs)
        finally:
            current_request.reset(token)

    return wrapped


def _audit(**kwargs):
    audit.record(None, **kwargs)


def _page(request, template, context=None, status=200):
    context = {"hotline": settings.CITIZEN_HOTLINE, **(context or {})}
    form = context.get("form")
    context.setdefault("errors", error_summary(form, anchor=f"#{ANCHORS[template]}")
                       if form is not None and form.is_bound and template in ANCHORS else [])
    return _private(render(request, template, context, status=status))


ANCHORS = {"public/start.html": "code-form", "public/status.html": "rating-form"}


def _look_up(request, code, *, what):
    """The case of `code` after the rate limit, with its audit row; or the 429 / 404 response to send instead."""
    try:
        citizen.throttle(client_ip(request), "lookup")
    except citizen.TooManyLookups as limited:
        _audit(action=Action.ACCESS_DENIED, outcome=Outcome.FAILURE,
               detail=f"公开查询过于频繁（429），{what}被拒绝")
        response = _page(request, "public/too_many.html", {"message": limited.message}, status=429)
        response["Retry-After"] = str(limited.retry_after)
        return None, response
    case = citizen.find_by_code(code)
    if case is None:
        _audit(action=Action.ACCESS_DENIED, outcome=Outcome.FAILURE,
               detail=f"公开查询：查询码不存在（404），{what}")
        return None, _page(request, "public/not_found.html", {"form": CodeForm()}, status=404)
    _audit(action=Action.EXPORT, obj=case, label=case.number,
           detail=f"群众凭查询码{what}（公开页：仅状态、层级、镇街和日期）")
    return case, None


def _status_page(request, case, code, *, form=None, notice="", status=200):
    shown = citizen.public_status(case)
    return _page(request, "public/status.html", {
        "s": shown, "code": code, "notice": notice,
        "form": form if form is not None else (RatingForm() if shown.can_rate else None),
    }, status=status)


@require_GET
def start(request):
    form = CodeForm(request.GET or None)
    if request.GET and form.is_valid():
        return redirect("public:status", form.cleaned_data["code"])
    return _page(request, "public/start.html", {"form": form}, status=400 if request.GET else 200)


@require_GET
@_code_left_out
def status(request, code):
    case, refusal = _look_up(request, code, what="查询办理进度")
    if refusal is not None:
        return refusal
    return _status_page(request, case, code)


@require_POST
@_code_left_out
def rate(request, code):
    case, refusal = _look_up(request, code, what="提交评价")
    if refusal is not None:
        return refusal
    try:
        citizen.throttle(client_ip(request), "rating")
    except citizen.TooManyLookups as limited:
        response = _page(request, "public/too_many.html", {"message": limited.message}, status=429)
        response["Retry-After"] = str(limited.retry_after)
        return response
    form = RatingForm(request.POST)
    if form.is_valid():
        try:
            citizen.rate_case(dispute=case, satisfaction=form.cleaned_data["satisfaction"],
                              comment=form.cleaned_data["comment"])
        except citizen.AlreadyRated as refused:
            return _status_page(request, case, code, notice=refused.message, status=409)
        except Refused as refused:
            if refused.field in form.fields:
                form.add_error(refused.field, refused.message)
            else:
                return _status_page(request, case, code, notice=refused.message, status=400)
        else:
            return redirect(reverse("public:status", args=[code]) + "#rating", permanent=False)
    return _status_page(request, case, code, form=form, status=400)
