from django.urls import path

from . import oversight_views, views

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
    path("<int:pk>/items/<case:number>/", views.meeting_item, name="item"),
    path("<int:pk>/table/", views.meeting_table, name="table"),
    path("<int:pk>/attendance/several/", views.attendance_bulk, name="attendance_bulk"),
    path("<int:pk>/override/<case:number>/", views.override, name="override"),
    path("<int:pk>/close/", views.close, name="close"),
    path("<int:pk>/minutes/", views.minutes_print, name="minutes"),
    path("<int:pk>/minutes.docx", views.minutes_docx, name="minutes_docx"),
    path("<int:pk>/sign-sheet/", views.sign_sheet, name="sign_sheet"),
    # 督导组 (issue 11 #3)
    path("oversight/", oversight_views.home, name="oversight"),
    path("oversight/visits/plan/", oversight_views.visit_plan, name="visit_plan"),
    path("oversight/visits/<int:pk>/record/", oversight_views.visit_record, name="visit_record"),
    path("oversight/opinions/", oversight_views.opinions, name="opinions"),
    path("oversight/opinions/new/", oversight_views.opinion_add, name="opinion_add"),
    path("oversight/opinions/<int:pk>/answer/", oversight_views.opinion_answer, name="opinion_answer"),
    path("oversight/samples/draw/", oversight_views.sample_draw, name="sample_draw"),
    path("oversight/samples/<int:pk>/", oversight_views.sample_detail, name="sample_detail"),
    path("oversight/samples/<int:pk>/items/<int:item_id>/", oversight_views.sample_result, name="sample_result"),
    path("oversight/samples/<int:pk>/close/", oversight_views.sample_close, name="sample_close"),
]
