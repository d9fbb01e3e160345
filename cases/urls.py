"""Every URL of the cases app, in one module. Case numbers are matched by the `case` converter (cases/converters.py: JX-2026-000123),
so fixed paths such as "mine/" can never be read as a case number and the order of the patterns does not matter.

jiaxiang/urls.py includes the lists: `urlpatterns` under "cases/" (namespace "cases"), `warning_patterns`
under "warnings/" ("warnings"), `supervision_patterns` under "supervision/" ("supervision") and the citizen's
`public_patterns` under "q/" ("public").
"""

from django.urls import path

from .views import (
    actions,
    attachments,
    casebook,
    disputes,
    export,
    history,
    imports,
    mediation,
    pii,
    public,
    receipt,
    supervision,
    warnings,
)

app_name = "cases"
urlpatterns = [
    path("", disputes.dispute_list, name="list"),
    path("export.xlsx", export.ledger_export, name="export"),
    path("new/", disputes.dispute_create, name="create"),
    path("mine/", actions.my_assignments, name="mine"),
    path("inbox/", actions.referral_inbox, name="inbox"),
    path("lookup/", pii.pii_lookup, name="pii_lookup"),
    path("phone/", history.phone_search, name="phone_search"),
    path("casebook/", casebook.casebook, name="casebook"),
    path("casebook/export.docx", casebook.casebook_export, name="casebook_export"),
    path("import/", imports.import_upload, name="import"),
    path("import/template.xlsx", imports.import_template, name="import_template"),
    path("import/preview/", imports.import_preview, name="import_preview"),
    path("import/errors.xlsx", imports.import_errors, name="import_errors"),
    path("import/confirm/", imports.import_confirm, name="import_confirm"),
    path("import/abandon/", imports.import_abandon, name="import_abandon"),
    path("<case:number>/", disputes.dispute_detail, name="detail"),
    path("<case:number>/edit/", disputes.dispute_edit, name="edit"),
    path("<case:number>/typical/", casebook.typical_mark, name="typical_mark"),
    path("<case:number>/typical/withdraw/", casebook.typical_withdraw, name="typical_withdraw"),
    path("<case:number>/do/<str:action>/", actions.case_action, name="act"),
    path("<case:number>/parties/<int:party_id>/reveal/", pii.pii_reveal, name="pii_reveal"),
    path("<case:number>/parties/<int:party_id>/history/", history.person_history, name="person_history"),
    path("<case:number>/attachments/new/", attachments.attachment_upload, name="attachment_upload"),
    path("<case:number>/attachments/<int:pk>/", attachments.attachment_file, name="attachment_file"),
    path("<case:number>/receipt/", receipt.receipt, name="receipt"),
    path("<case:number>/receipt/code/", receipt.receipt_code, name="receipt_code"),
    path("<case:number>/mediation/", mediation.mediation_file, name="mediation"),
    path("<case:number>/mediation/<str:step>/", mediation.mediation_step, name="mediation_step"),
    path("<case:number>/mediation/docs/<str:doc>.docx", mediation.mediation_doc, name="mediation_doc"),
    path("<case:number>/mediation/docs/<str:doc>/", mediation.mediation_print, name="mediation_print"),
]

warning_patterns = ([
    path("", warnings.warning_list, name="list"),
    path("inbox/", warnings.warning_inbox, name="inbox"),
    path("<int:pk>/sign/", warnings.warning_sign, name="sign"),
    path("<int:pk>/answer/", warnings.warning_answer, name="answer"),
], "warnings")

supervision_patterns = ([
    path("", supervision.supervision_list, name="list"),
    path("<int:pk>/close/", supervision.supervision_close, name="close"),
    path("<int:pk>/", supervision.supervision_detail, name="detail"),
    path("<int:pk>/remind/", supervision.supervision_remind, name="remind"),
    path("<int:pk>/notice/", supervision.supervision_notice, name="notice"),
    path("notices/<int:pk>.docx", supervision.supervision_notice_docx, name="notice_docx"),
    path("<int:pk>/reply/", supervision.supervision_reply, name="reply"),
    path("<int:pk>/measure/", supervision.supervision_measure, name="measure"),
], "supervision")

# The citizen's public pages (docs/citizen.md), outside the login wall; jiaxiang/urls.py includes them under "q/".
public_patterns = ([
    path("", public.start, name="start"),
    path("<str:code>/", public.status, name="status"),
    path("<str:code>/rate/", public.rate, name="rate"),
], "public")
