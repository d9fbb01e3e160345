"""导出Excel: the ledger's filtered rows as a workbook (cases.exports), logged, capped, ID numbers and phones masked.

GET /cases/export.xlsx?<the ledger's own query string>. The rows are exactly the ledger's: the same filter
(`DisputeFilter.for_user`) on the same visibility (`selectors.case_export_rows` starts from `cases_visible_to`), in
the same order. Invalid filter values or more than LEDGER_EXPORT_MAX_ROWS rows send the user back to the ledger with
a message; nothing is written or logged then.
"""

import tempfile

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET

from audit.models import Action
from audit.services import record

from .. import exports, policy, selectors
from ..filters import DisputeFilter, looks_like_pii

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
LABEL = "矛盾纠纷台账"
# The form's own "至" needs its context in a sentence.
FIELD_LABELS = {"logged_from": "登记日期从", "logged_to": "登记日期至", "resolved_to": "首次化解日期至"}


def describe(f: DisputeFilter) -> str:
    """The applied conditions in words, for the audit row ("状态=全部未办结；类别=山林土地"); "全部" when none."""
    parts = []
    for name, value in f.form.cleaned_data.items():
        if value in (None, "", [], ()):
            continue
        field = f.form.fields[name]
        if name == "q":
            value = "（疑似证件号或电话，已略去）" if looks_like_pii(value) else value
        elif name == "phone":
            value = f.phone_shown(value)  # the masked phone, never the token or the number
        elif name == "division":
            value = f"{value.name}（{value.code}）"
        elif name == "order":
            value = "、".join(str(dict(field.choices).get(v, v)) for v in value)
        elif hasattr(field, "choices"):
            value = dict(field.choices).get(value, value)
        parts.append(f"{FIELD_LABELS.get(name, field.label or name)}={value}")
    return "；".join(parts) or "全部"


def _back(request, message):
    messages.error(request, message)
    query = request.GET.urlencode()
    return redirect(reverse("cases:list") + (f"?{query}" if query else ""))


@login_required
@require_GET
def ledger_export(request):
    if not policy.can_export_cases(request.user):
        raise PermissionDenied("您的角色不能查看纠纷内容，也不能导出纠纷台账。")
    f = DisputeFilter.for_user(request.GET, request.user, selectors.case_export_rows(request.user),
                              session=request.session)
    if not f.is_valid():
        return _back(request, "筛选条件有误，未能导出。请按台账页上的提示修改筛选条件后再导出。")
    limit = settings.LEDGER_EXPORT_MAX_ROWS
    total = f.qs.order_by().values("pk")[: limit + 1].count()  # bounded: never counts past the cap
    if total > limit:
        return _back(request, f"符合条件的纠纷超过 {limit} 条，无法一次导出。请缩小筛选范围（如登记日期、区划、状态）后再导出。")
    target = tempfile.TemporaryFile(suffix=".xlsx")  # deleted when FileResponse closes it
    try:
        rows = exports.write_ledger(f.qs, target)
        target.seek(0)
    except BaseException:
        target.close()
        raise
    record(request, action=Action.EXPORT, label=LABEL,
           detail=f"导出矛盾纠纷台账 Excel，条件：{describe(f)}；共 {rows} 条（身份证号、电话已脱敏）")
    filename = f"{LABEL}-{timezone.localdate():%Y%m%d}.xlsx"
    return FileResponse(target, as_attachment=True, filename=filename, content_type=XLSX)
