from django.urls import path

from . import views, views_onboarding

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

# Onboarding a county (accounts.views_onboarding): the 系统管理员's import, the 安全管理员's batch approval.
urlpatterns += [
    path("onboarding/", views_onboarding.onboarding_upload, name="onboarding"),
    path("onboarding/template/", views_onboarding.onboarding_template, name="onboarding_template"),
    path("onboarding/preview/", views_onboarding.onboarding_preview, name="onboarding_preview"),
    path("onboarding/errors/", views_onboarding.onboarding_errors, name="onboarding_errors"),
    path("onboarding/confirm/", views_onboarding.onboarding_confirm, name="onboarding_confirm"),
    path("onboarding/abandon/", views_onboarding.onboarding_abandon, name="onboarding_abandon"),
    path("security/grants/<int:pk>/approve-batch/", views_onboarding.grant_batch_approve, name="grant_batch_approve"),
]
