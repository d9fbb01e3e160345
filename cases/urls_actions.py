"""Case actions, 我的包案 and 待签收.

Included by cases/urls.py *before* its "<str:number>/" pattern (otherwise "mine/" and "inbox/" would be read as case
numbers): path("", include("cases.urls_actions")). No app_name, so the names join the "cases" namespace:
cases:act, cases:mine, cases:inbox.
"""

from django.urls import path

from . import views_actions

urlpatterns = [
    path("mine/", views_actions.my_assignments, name="mine"),
    path("inbox/", views_actions.referral_inbox, name="inbox"),
    path("<str:number>/do/<str:action>/", views_actions.case_action, name="act"),
]
