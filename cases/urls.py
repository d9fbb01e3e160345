from django.urls import path

from . import views

app_name = "cases"
urlpatterns = [
    path("", views.dispute_list, name="list"),
    path("new/", views.dispute_create, name="create"),
    path("<str:number>/", views.dispute_detail, name="detail"),
    path("<str:number>/edit/", views.dispute_edit, name="edit"),
]
