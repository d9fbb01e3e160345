"""待办: the user's open queue items, newest first; opening one marks it read."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from core.pagination import paginate

from . import queue


@login_required
@require_GET
def inbox(request):
    show_all = request.GET.get("show") != "unread"
    rows = queue.open_for(request.user).select_related("dispute")
    if not show_all:
        rows = rows.filter(read_at__isnull=True)
    page = paginate(rows.order_by("-created_at", "-id"), request.GET.get("page"))
    return render(request, "notify/inbox.html", {"page": page, "show_all": show_all})


@login_required
@require_GET
def open_item(request, pk):
    item = queue.open_for(request.user).filter(pk=pk).first()
    if item is None:
        raise Http404("该待办事项不存在或已办结。")
    queue.mark_read(request.user, pk)
    target = item.url if url_has_allowed_host_and_scheme(item.url, allowed_hosts=None) else "/"
    return redirect(target)


@login_required
@require_POST
def mark_all_read(request):
    n = queue.mark_read(request.user)
    messages.success(request, f"已将{n}条待办标为已读。" if n else "没有未读的待办。")
    return redirect("notify:inbox")
