"""The benchmark's ceiling (issue 14): the cheapest page a server can give a logged-in user — one primary-key
index query for 50 cases rendered in a bare 7-column table, through the same middleware as every page. Served only
by the benchmark's own URLconf (perf.urls, set with override_settings inside `manage.py benchmark`), never by the
site's."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from cases.models import Dispute

CEILING_ROWS = 50


@login_required
def ceiling(request):
    try:
        start = max(1, int(request.GET.get("from", 1)))
    except ValueError:
        start = 1
    rows = list(Dispute.objects.filter(pk__gte=start).order_by("pk")
                .only("number", "title", "village_id", "status", "risk", "created_at", "deadline")[:CEILING_ROWS])
    return render(request, "perf/ceiling.html", {"rows": rows})
