"""Staff workbench pages of this module, under /staff/aid/ (names: staff:mutualaid:…)."""

from django.urls import path

from gonghui.mutualaid import views

app_name = "mutualaid"
urlpatterns = [
    path("", views.home, name="home"),
    path("plans/", views.plan_list_page, name="plans"),
    path("plans/new/", views.plan_new, name="plan_new"),
    path("plans/<int:pk>/", views.plan_detail, name="plan"),
    path("plans/<int:pk>/edit/", views.plan_edit, name="plan_edit"),
    path("plans/<int:pk>/enrol/", views.plan_enrol, name="plan_enrol"),
    path("plans/<int:pk>/select/", views.plan_select, name="plan_select"),
    path("enrolments/", views.enrolment_list_page, name="enrolments"),
    path("enrolments/batches/<int:pk>/", views.enrol_batch_page, name="enrol_batch"),
    path("feeds/", views.feed_list_page, name="feeds"),
    path("feeds/<int:pk>/", views.feed_page, name="feed"),
    path("feeds/<int:pk>/result.xlsx", views.feed_result_xlsx, name="feed_result"),
    path("claims/", views.claim_queue_page, name="claims"),
    path("claims/<int:pk>/", views.claim_detail, name="claim"),
    path("claims/<int:pk>/approve/", views.claim_approve_view, name="claim_approve"),
    path("claims/<int:pk>/refuse/", views.claim_refuse_view, name="claim_refuse"),
    path("documents/<int:pk>/", views.document_download, name="document"),
    path("payouts/", views.payout_list_page, name="payouts"),
    path("payouts/<int:pk>/", views.payout_detail, name="payout"),
    path("batches/new/", views.batch_create, name="batch_new"),
    path("batches/<int:pk>/", views.batch_detail, name="batch"),
    path("batches/<int:pk>/export.xlsx", views.batch_export, name="batch_export"),
    path("batches/<int:pk>/settle/", views.batch_settle, name="batch_settle"),
    path("batches/<int:pk>/retry/", views.batch_retry, name="batch_retry"),
]
