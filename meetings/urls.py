from django.urls import path

from . import views

app_name = "meetings"
urlpatterns = [
    path("", views.meeting_list, name="list"),
    path("open/", views.meeting_open, name="open"),
    path("compliance/", views.compliance, name="compliance"),
    path("<int:pk>/", views.meeting_detail, name="detail"),
    path("<int:pk>/edit/", views.meeting_edit, name="edit"),
    path("<int:pk>/attendance/", views.attendance_add, name="attendance_add"),
    path("<int:pk>/attendance/<int:attendance_id>/delete/", views.attendance_remove, name="attendance_remove"),
    path("<int:pk>/review/<case:number>/", views.review, name="review"),
    path("<int:pk>/override/<case:number>/", views.override, name="override"),
    path("<int:pk>/close/", views.close, name="close"),
    path("<int:pk>/minutes/", views.minutes_print, name="minutes"),
    path("<int:pk>/minutes.docx", views.minutes_docx, name="minutes_docx"),
    path("<int:pk>/sign-sheet/", views.sign_sheet, name="sign_sheet"),
]
