"""Full party details and attachments of one case. Included by cases/urls.py inside the "cases" namespace:
    path("", include("cases.urls_pii")),
so the names are cases:pii_reveal, cases:attachment_upload and cases:attachment_file."""

from django.urls import path

from . import views_attachments, views_pii

urlpatterns = [
    path("<str:number>/parties/<int:party_id>/reveal/", views_pii.pii_reveal, name="pii_reveal"),
    path("<str:number>/attachments/new/", views_attachments.attachment_upload, name="attachment_upload"),
    path("<str:number>/attachments/<int:pk>/", views_attachments.attachment_file, name="attachment_file"),
]
