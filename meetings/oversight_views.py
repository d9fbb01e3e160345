"""The 督导组's pages (issue 11 #3): 督导工作 (visits and samples), 督导意见 and their answers, a sample's phone-backs.

Thin: load through meetings.oversight_selectors (403 for roles other than the 督导组; an opinion outside the
user's reach 404), validate a form, call meetings.oversight_services, redirect. Meetings load through
`selectors.get_meeting_for_user`, cases through `cases.selectors.get_case_for_user`.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cases import policy
from cases.selectors import get_case_for_user
from core.errors import attempt

from . import oversight_selectors as reads
from . import oversight_services as services
from . import selectors
from .oversight import SampleStatus, VisitStatus
from .oversight_forms import (
    AnswerForm,
    OpinionForm,
    PhoneBackForm,
    SampleDrawForm,
    VisitPlanForm,
    VisitRecordForm,
)


def _home(request, *, plan_form=None, draw_form=None, status=200):
    user = request.user
    visits = list(reads.visits(user)[:50])
    return render(request, "meetings/oversight_home.html", {
        "planned": [v for v in visits if v.status == VisitStatus.PLANNED],
        "done": [v for v in visits if v.status == VisitStatus.DONE],
        "samples": list(reads.samples(user)[:50]),
        "plan_form": plan_form or VisitPlanForm(members=services.supervisors()),
        "draw_form": draw_form or SampleDrawForm(),
        "record_form": VisitRecordForm(),
        "open_opinions": reads.opinions_for(user).filter(answered_at__isnull=True).count(),
    }, status=status)


@login_required
@require_GET
def home(request):
    reads.require_oversee(request.user)
    return _home(request)


@login_required
@require_POST
def visit_plan(request):
    reads.require_oversee(request.user)
    form = VisitPlanForm(request.POST, members=services.supervisors())
    if form.is_valid():
        data = form.cleaned_data
        visit = attempt(form, services.plan_visit, actor=request.user, division=data["division"],
                        planned_on=data["planned_on"], purpose=data["purpose"], members=data["members"])
        if visit:
            messages.success(request, f"已安排督导：{visit}。")
            return redirect("meetings:oversight")
    return _home(request, plan_form=form, status=400)


@login_required
@require_POST
def visit_record(request, pk):
    visit = reads.get_visit(request.user, pk)
    form = VisitRecordForm(request.POST)
    if form.is_valid():
        done = attempt(form, services.record_visit, actor=request.user, visit=visit,
                       findings=form.cleaned_data["findings"])
        if done:
            messages.success(request, "已记录督导，督导组成员已列入该次例会的参会人员（督导组列席）。")
            return redirect(done.meeting)
    for error in form.non_field_errors():
        messages.error(request, error)
    return redirect("meetings:oversight")


@login_required
@require_GET
def opinions(request):
    user = request.user
    rows = list(reads.opinions_for(user).order_by("answered_at", "-at")[:200])
    for o in rows:
        o.may_answer = o.is_open and policy.can_answer_opinion(user, o)
    return render(request, "meetings/oversight_opinions.html", {
        "open": [o for o in rows if o.is_open], "answered": [o for o in rows if not o.is_open],
        "is_supervisor": policy.can_oversee(user),
    })


@login_required
@require_http_methods(["GET", "POST"])
def opinion_add(request):
    """督导意见 on a meeting (?meeting=<pk>) and/or a case (case number)."""
    reads.require_oversee(request.user)
    source = request.POST if request.method == "POST" else request.GET
    meeting = None
    if source.get("meeting"):
        try:
            meeting = selectors.get_meeting_for_user(request.user, int(source["meeting"]))
        except (TypeError, ValueError):
            raise Http404("未找到该例会。") from None
    form = OpinionForm(request.POST or None, initial={"meeting": meeting.pk if meeting else None,
                                                      "number": request.GET.get("number", "")})
    if request.method == "POST" and form.is_valid():
        number, dispute = form.cleaned_data["number"].strip(), None
        if number:
            try:
                dispute = get_case_for_user(request.user, number)
            except Http404:
                form.add_error("number", "未找到该案件，请核对案件编号。")
        opinion = form.is_valid() and attempt(form, services.give_opinion, actor=request.user,
                                              text=form.cleaned_data["text"], meeting=meeting, dispute=dispute)
        if opinion:
            messages.success(request, "已提出督导意见，待召集单位答复。")
            return redirect("meetings:opinions")
    return render(request, "meetings/oversight_opinion_form.html", {"form": form, "meeting": meeting},
                  status=400 if request.method == "POST" else 200)


@login_required
@require_http_methods(["GET", "POST"])
def opinion_answer(request, pk):
    opinion = reads.get_opinion(request.user, pk)
    if not policy.can_answer_opinion(request.user, opinion):
        raise PermissionDenied("只有例会召集单位（案件承办层级）的人员可以答复督导意见。")
    form = AnswerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if attempt(form, services.answer_opinion, actor=request.user, opinion=opinion,
                   answer=form.cleaned_data["answer"]):
            messages.success(request, "已答复督导意见。")
            return redirect("meetings:opinions")
    return render(request, "meetings/oversight_answer.html", {"opinion": opinion, "form": form},
                  status=400 if request.method == "POST" else 200)


@login_required
@require_POST
def sample_draw(request):
    reads.require_oversee(request.user)
    form = SampleDrawForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        sample = attempt(form, services.draw_sample, actor=request.user, town=data["town"], start=data["start"],
                         end=data["end"], size=data["size"])
        if sample:
            messages.success(request, f"已抽取 {sample.items.count()} 件案件，请逐件电话回访。")
            return redirect("meetings:sample_detail", pk=sample.pk)
    return _home(request, draw_form=form, status=400)


def _sample_page(request, sample, *, bound=None, status=200):
    items = reads.sample_items(sample)
    for item in items:
        if bound and bound[0] == item.pk:
            item.form = bound[1]
        else:
            item.form = PhoneBackForm(prefix=f"i{item.pk}", initial={
                "reached": _yn(item.reached), "satisfied": _yn(item.satisfied),
                "agreement_kept": _yn(item.agreement_kept), "recurred": _yn(item.recurred), "note": item.note,
            }) if sample.status == SampleStatus.OPEN else None
        item.parties_list = list(item.dispute.parties.all())
    return render(request, "meetings/oversight_sample.html", {
        "sample": sample, "items": items, "is_open": sample.status == SampleStatus.OPEN,
        "left": sum(1 for i in items if not i.recorded),
    }, status=status)


def _yn(value):
    return "" if value is None else ("1" if value else "0")


@login_required
@require_GET
def sample_detail(request, pk):
    return _sample_page(request, reads.get_sample(request.user, pk))


@login_required
@require_POST
def sample_result(request, pk, item_id):
    sample = reads.get_sample(request.user, pk)
    item = reads.get_item(sample, item_id)
    form = PhoneBackForm(request.POST, prefix=f"i{item.pk}")
    if form.is_valid():
        data = form.cleaned_data
        if attempt(form, services.record_phone_back, actor=request.user, item=item, reached=data["reached"],
                   satisfied=data["satisfied"], agreement_kept=data["agreement_kept"], recurred=data["recurred"],
                   note=data["note"]):
            messages.success(request, f"已记录 {item.dispute.number} 的回访结果。")
            return redirect(reverse("meetings:sample_detail", args=[sample.pk]) + f"#item-{item.pk}")
    return _sample_page(request, sample, bound=(item.pk, form), status=400)


@login_required
@require_POST
def sample_close(request, pk):
    sample = reads.get_sample(request.user, pk)
    form = VisitRecordForm({})
    if attempt(form, services.close_sample, actor=request.user, sample=sample):
        messages.success(request, "本样本回访已完成。")
    for error in form.non_field_errors():
        messages.error(request, error)
    return redirect("meetings:sample_detail", pk=sample.pk)
