"""Staff workbench pages of this module, under /staff/disputes/ (names: staff:disputes:…)."""

from django.urls import path

from gonghui.disputes import views

app_name = "disputes"
urlpatterns = [
    path("", views.home, name="home"),
    path("intake/", views.intake, name="intake"),
    path("cases/", views.case_list, name="cases"),
    path("cases/export.xlsx", views.export, name="export"),
    path("overdue/", views.overdue, name="overdue"),
    path("rooms/", views.rooms, name="rooms"),
    path("cases/<int:pk>/", views.case_detail, name="case"),
    path("cases/<int:pk>/agreement/", views.agreement_print, name="agreement"),
    path("cases/<int:pk>/<slug:action>/", views.case_act, name="act"),
    path("legal-aid/<int:pk>/<slug:decision>/", views.legal_aid_act, name="legal_aid"),
    path("documents/<int:pk>/", views.attachment_download, name="attachment"),
]
