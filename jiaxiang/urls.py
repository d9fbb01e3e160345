from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from cases import urls as case_urls
from cases.views.home import home
from jiaxiang.health import healthz

admin.site.site_header = "平安周例会 · 系统管理"
admin.site.site_title = "平安周例会"
admin.site.index_title = "区划、单位与账号"

urlpatterns = [
    path("", home, name="home"),
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("cases/", include("cases.urls")),
    path("meetings/", include("meetings.urls")),
    path("todo/", include("notify.urls")),
    path("dashboard/", include("stats.urls")),
    path("warnings/", include(case_urls.warning_patterns)),
    path("supervision/", include(case_urls.supervision_patterns)),
    path("q/", include(case_urls.public_patterns)),  # the citizen's status page: no login (docs/citizen.md)
    path("account/", include("accounts.urls")),
    path("audit/", include("audit.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", include("api.urls")),  # token-authenticated JSON API for external systems (docs/api.md)
    path("healthz", healthz, name="healthz"),  # no login: for the load balancer and monitoring (docs/deploy.md)
]
