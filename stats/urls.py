from django.urls import path

from . import ranking_views, views

app_name = "stats"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("export.xlsx", views.export, name="export"),
    path("report.docx", views.report_docx, name="report_docx"),
    path("report.xlsx", views.report_xlsx, name="report_xlsx"),
    path("ranking/", ranking_views.ranking, name="ranking"),
    path("ranking.xlsx", ranking_views.ranking_xlsx, name="ranking_xlsx"),
]
