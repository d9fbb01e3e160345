from django.urls import path

from . import views_warnings

app_name = "warnings"
urlpatterns = [
    path("", views_warnings.warning_list, name="list"),
]
