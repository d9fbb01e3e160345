from django.urls import include, path

from . import views

app_name = "cases"
urlpatterns = [
    path("", views.dispute_list, name="list"),
    path("new/", views.dispute_create, name="create"),
    path("", include("cases.urls_actions")),
    path("<str:number>/", views.dispute_detail, name="detail"),
    path("<str:number>/edit/", views.dispute_edit, name="edit"),
    path("", include("cases.urls_pii")),  # cases:pii_reveal, cases:attachment_upload, cases:attachment_file
]
