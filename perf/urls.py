"""The site's URLs plus the benchmark's ceiling page; used only inside `manage.py benchmark` (perf.views)."""

from django.urls import include, path

from . import views

urlpatterns = [
    path("_bench/ceiling/", views.ceiling, name="bench_ceiling"),
    path("", include("jiaxiang.urls")),
]
