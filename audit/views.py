"""The auditor's pages: the log with filters, and its CSV export (which is itself logged). Auditors only."""

import csv

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from org.models import Role
from org.selectors import membership_of

from . import selectors
from .filters import AuditFilter
from .models import Action, AuditEntry
from .services import record

COLUMNS = ["时间", "用户名", "角色", "区划代码", "客户端地址", "操作", "对象类型", "对象编号", "对象", "结果", "请求路径",
           "说明"]


def _auditor(request):
    m = membership_of(request.user)
    if m is None or m.role != Role.AUDITOR:
        raise PermissionDenied("只有审计员可以查阅审计日志。")
    return m


@login_required
@require_GET
def entry_list(request):
    _auditor(request)
    f = AuditFilter(request.GET, queryset=selectors.entries())
    page = selectors.keyset_page(f.qs, before=request.GET.get("before"), after=request.GET.get("after"),
                                 size=settings.AUDIT_PAGE_SIZE)
    selectors.readable(page.rows)
    params = request.GET.copy()
    for key in ("before", "after"):
        params.pop(key, None)
    return render(request, "audit/auditentry_list.html", {"filter": f, "page": page, "query": params.urlencode()})


def _cell(value) -> str:
    """Spreadsheet programs run cells that start like a formula; user-typed text (failed-login names) may."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _row(e: AuditEntry):
    return [_cell(v) for v in (
        timezone.localtime(e.at).strftime("%Y-%m-%d %H:%M:%S"), e.username, e.get_role_display(), e.division_code,
        e.ip, e.get_action_display(), e.object_type, e.object_id, e.object_label, e.get_outcome_display(), e.path,
        e.detail,
    )]


class _Echo:
    def write(self, value):
        return value


@login_required
@require_GET
def export_csv(request):
    _auditor(request)
    f = AuditFilter(request.GET, queryset=selectors.entries())
    limit = settings.AUDIT_EXPORT_MAX_ROWS
    record(request, action=Action.EXPORT, label="审计日志",
           detail=f"导出审计日志 CSV，条件：{f.describe()}；最多 {limit} 条")
    rows = f.qs.order_by("-id")[:limit]
    writer = csv.writer(_Echo())

    def stream():
        yield "\ufeff"  # BOM: Excel opens UTF-8 Chinese correctly
        yield writer.writerow(COLUMNS)
        for entry in rows.iterator(chunk_size=2000):
            yield writer.writerow(_row(entry))

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response
