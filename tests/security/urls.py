"""The project's URLs plus the security apps, until jiaxiang/urls.py includes them (then this adds nothing)."""

from django.urls import include, path

from jiaxiang.urls import urlpatterns as project_patterns

urlpatterns = list(project_patterns)
_namespaces = {getattr(p, "namespace", None) for p in project_patterns}
if "account" not in _namespaces:
    urlpatterns.append(path("account/", include("org.urls_account")))
if "audit" not in _namespaces:
    urlpatterns.append(path("audit/", include("audit.urls")))
