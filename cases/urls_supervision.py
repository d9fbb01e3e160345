"""Included by jiaxiang/urls.py as path("supervision/", include("cases.urls_supervision"))."""

from django.urls import path

from . import views_supervision

app_name = "supervision"
urlpatterns = [
    path("", views_supervision.supervision_list, name="list"),
    path("<int:pk>/close/", views_supervision.supervision_close, name="close"),
]
