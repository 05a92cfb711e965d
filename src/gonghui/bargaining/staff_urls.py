"""Staff workbench pages of this module, under /staff/bargaining/ (names: staff:bargaining:…)."""

from django.urls import path

from gonghui.bargaining import views

app_name = "bargaining"
urlpatterns = [
    path("", views.home, name="home"),
    path("rounds/", views.rounds, name="rounds"),
    path("rounds/new/", views.round_new, name="round_new"),
    path("rounds/<int:pk>/", views.round_detail, name="round"),
    path("rounds/<int:pk>/<slug:action>/", views.round_act, name="act"),
    path("contracts/", views.contracts, name="contracts"),
    path("contracts/export.xlsx", views.export, name="export"),
    path("contracts/<int:pk>/", views.contract_detail, name="contract"),
    path("contracts/<int:pk>/terminate/", views.contract_terminate, name="terminate"),
    path("contracts/<int:pk>/document/", views.contract_document, name="document"),
]
