"""纪委督办: the list of supervisions a discipline commission (纪委) runs, one supervision's page (the case facts,
the 四定's people, the history of 催办 / 督办通知书 / 回复 / 约谈 / 通报 / 问责) and its forms. Thin views: reads
through selectors, answers from policy, writes through services."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_POST

import audit
from audit.models import Action
from core.errors import Refused, attempt
from core.pagination import paginate

from .. import policy, selectors, services
from ..forms.supervision import (
    SHOW_OPEN,
    CloseSupervisionForm,
    MeasureForm,
    NoticeForm,
    RemindForm,
    ReplyForm,
    SupervisionFilterForm,
)
from ..models import Dispute, SupervisionAction, SupervisionActionKind, SupervisionStatus
from ..rules.deadlines import calendar_gaps, gap_message
from ..services.supervision import default_reply_by
from ..supervision_docx import PEOPLE_RELATED, assignment_people, build_notice_docx, issuer_name

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def overdue_reply_q(today):
    """A 督办通知书 of the supervision whose reply date has passed without a reply (回复逾期)."""
    unanswered = SupervisionAction.objects.filter(reply_to=OuterRef("pk"))
    return Exists(SupervisionAction.objects.filter(supervision=OuterRef("pk"), kind=SupervisionActionKind.NOTICE,
                                                   reply_by__lt=today).filter(~Exists(unanswered)))


@login_required
def supervision_list(request):
    visible = selectors.supervisions_visible_to(request.user)  # 403 for every role but 纪委
    form = SupervisionFilterForm(request.GET)
    form.is_valid()  # an unknown value falls back to the default
    show = form.cleaned_data.get("show") or SHOW_OPEN
    if show == SHOW_OPEN:
        rows = visible.filter(status=SupervisionStatus.OPEN).order_by("due_at", "id")
    else:
        rows = visible.order_by("-opened_at", "-id")
    today = timezone.localdate()
    rows = rows.annotate(reply_overdue=overdue_reply_q(today))
    page = paginate(rows.select_related("dispute__village"), request.GET.get("page"))
    for s in page.rows:
        s.can_close = policy.offers_close_supervision(request.user, s)
    last_due = max((timezone.localtime(s.due_at).date() for s in page.rows), default=today)
    gaps = calendar_gaps(today, max(last_due, today + datetime.timedelta(days=30)))
    return render(request, "cases/supervision_list.html", {
        "form": form, "page": page, "show": show,
        "close_form": CloseSupervisionForm(), "gap_warning": gap_message(gaps) if gaps else "",
    })


# --- one supervision -----------------------------------------------------------------------------------------------


def _history(supervision, today):
    """The supervision's work records, oldest first; a notice knows its reply and whether that is overdue."""
    actions = list(supervision.actions.select_related("actor", "reply_to").order_by("on_date", "created_at", "id"))
    replies = {a.reply_to_id: a for a in actions if a.kind == SupervisionActionKind.REPLY and a.reply_to_id}
    for a in actions:
        a.reply = replies.get(a.pk)
        a.reply_overdue = a.kind == SupervisionActionKind.NOTICE and a.reply is None and a.reply_by < today
        a.reply_late = a.kind == SupervisionActionKind.NOTICE and a.reply is not None and a.reply.on_date > a.reply_by
    return actions


def _detail(request, supervision, *, status=200, **forms):
    """The supervision page, with `forms` (a bound form with errors) in place of the blank ones."""
    user, today = request.user, timezone.localdate()
    case = supervision.dispute
    records = selectors.case_workflow_records(case)
    assignment = case.assignments.filter(active=True).select_related(*PEOPLE_RELATED).first()
    actions = _history(supervision, today)
    notices = [a for a in actions if a.kind == SupervisionActionKind.NOTICE]
    can_work = policy.can_work_supervision(user, supervision)
    open_notices = SupervisionAction.objects.filter(supervision=supervision, kind=SupervisionActionKind.NOTICE,
                                                    replies__isnull=True)
    reply_default = default_reply_by(today) if policy.offers_supervision_reminder(user, supervision) else None
    context = {
        "s": supervision, "case": case, "people": assignment_people(assignment),
        "issuer": issuer_name(supervision.division),
        "clocks": selectors.running_clocks(case, records), "actions": actions, "notices": notices,
        "reply_overdue": any(a.reply_overdue for a in notices),
        "can_work": can_work, "can_remind": policy.offers_supervision_reminder(user, supervision),
        "can_close": policy.offers_close_supervision(user, supervision),
        "remind_form": forms.get("remind_form") or RemindForm(initial={"on_date": today}),
        "notice_form": forms.get("notice_form") or NoticeForm(default_reply_by=reply_default),
        "reply_form": forms.get("reply_form") or ReplyForm(notices=open_notices, initial={
            "on_date": today, "notice": next((n.pk for n in notices if n.reply is None), None)}),
        "measure_form": forms.get("measure_form") or MeasureForm(initial={"on_date": today}),
        "close_form": forms.get("close_form") or CloseSupervisionForm(),
        "open_form": next(iter(forms), ""),
    }
    return render(request, "cases/supervision_detail.html", context, status=status)


def _load(request, pk, *, write=False):
    supervision = selectors.get_supervision_for_user(request.user, pk, write=write)  # 403 role, 404 outside
    supervision.dispute = (Dispute.objects.select_related("village__parent", "holder_division", "holder_unit")
                           .get(pk=supervision.dispute_id))
    return supervision


@login_required
@require_GET
def supervision_detail(request, pk):
    return _detail(request, _load(request, pk))


def _work(request, pk, form_class, name, call, done, form_kwargs=None):
    """A POST of one work form: the service on success (back to the page with a message), else the page again
    with the form's errors at its fields."""
    supervision = _load(request, pk, write=True)
    form = form_class(request.POST, **(form_kwargs(supervision) if form_kwargs else {}))
    if form.is_valid():
        result = attempt(form, call, actor=request.user, supervision=supervision, **form.cleaned_data)
        if result is not None:
            messages.success(request, done(result))
            return redirect("supervision:detail", pk=supervision.pk)
    return _detail(request, supervision, status=400, **{name: form})


@login_required
@require_POST
def supervision_remind(request, pk):
    return _work(request, pk, RemindForm, "remind_form", services.remind_supervision,
                 lambda a: "已记录催办，包案领导和责任人的待办中已收到。")


@login_required
@require_POST
def supervision_notice(request, pk):
    return _work(request, pk, NoticeForm, "notice_form", services.issue_supervision_notice,
                 lambda a: f"已发出督办通知书{a.number}，要求{a.reply_by:%Y-%m-%d}前回复。")


@login_required
@require_POST
def supervision_reply(request, pk):
    def notices(supervision):
        return {"notices": SupervisionAction.objects.filter(supervision=supervision,
                                                             kind=SupervisionActionKind.NOTICE)}

    return _work(request, pk, ReplyForm, "reply_form", services.record_supervision_reply,
                 lambda a: f"已记录{a.replier}的回复。", form_kwargs=notices)


@login_required
@require_POST
def supervision_measure(request, pk):
    return _work(request, pk, MeasureForm, "measure_form", services.record_supervision_measure,
                 lambda a: f"已记录{a.get_kind_display()}。")


@login_required
@require_POST
def supervision_close(request, pk):
    """办结督办: from the list's box or the page's form; both carry the 确认 checkbox, which the form requires."""
    supervision = _load(request, pk, write=True)  # 403 wrong role/commission, 404 outside
    form = CloseSupervisionForm(request.POST)
    from_page = request.POST.get("from") == "detail"
    if not form.is_valid():
        if from_page:
            return _detail(request, supervision, status=400, close_form=form)
        messages.error(request, f"{supervision.dispute.number}：" + "；".join(e for errs in form.errors.values()
                                                                          for e in errs))
        return redirect("supervision:list")
    try:
        services.close_supervision(actor=request.user, supervision=supervision, note=form.cleaned_data["note"])
    except Refused as e:
        messages.error(request, f"{supervision.dispute.number}：{e.message}")
    else:
        messages.success(request, f"{supervision.dispute.number} 的督办已办结。")
    return redirect("supervision:detail", pk=supervision.pk) if from_page else redirect("supervision:list")


@login_required
@require_GET
def supervision_notice_docx(request, pk):
    """督办通知书 (.docx): the number stored on the notice, so every download is the same document. Whoever may
    read its supervision downloads it (403 for other roles, 404 outside the jurisdiction)."""
    visible = selectors.supervisions_visible_to(request.user)  # 403 for every role but 纪委
    notice = (SupervisionAction.objects.filter(supervision__in=visible.values("pk"), kind=SupervisionActionKind.NOTICE,
                                               pk=pk).first())
    if notice is None:
        raise Http404("未找到该督办通知书。")
    supervision = _load(request, notice.supervision_id)
    case = supervision.dispute
    assignment = case.assignments.filter(active=True).select_related(*PEOPLE_RELATED).first()
    data = build_notice_docx(notice=notice, supervision=supervision, case=case, people=assignment_people(assignment))
    audit.record(request, action=Action.EXPORT, obj=notice, label=case.number,
                 detail=f"下载督办通知书{notice.number}（Word）")
    filename = f"督办通知书{notice.number}.docx"
    return HttpResponse(data, content_type=DOCX,
                        headers={"Content-Disposition": content_disposition_header(True, filename)})
