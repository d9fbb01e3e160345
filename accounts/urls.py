from django.urls import path

from . import views

app_name = "account"
urlpatterns = [
    path("password/", views.password_change, name="password_change"),
    path("2fa/setup/", views.otp_setup, name="otp_setup"),
    path("2fa/verify/", views.otp_verify, name="otp_verify"),
    path("security/", views.account_security, name="security"),
    path("security/unlock/", views.unlock, name="unlock"),
    path("security/reset-2fa/", views.reset_second_factor, name="reset_2fa"),
    path("security/enrolment-code/", views.issue_enrolment_code, name="issue_code"),
    path("security/grants/<int:pk>/approve/", views.decide_grant, {"approve": True}, name="grant_approve"),
    path("security/grants/<int:pk>/refuse/", views.decide_grant, {"approve": False}, name="grant_refuse"),
]
