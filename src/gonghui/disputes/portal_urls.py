"""Member pages of this module, under /disputes/ (names: portal:disputes:…)."""

from django.urls import path

from gonghui.disputes import portal_views

app_name = "disputes"
urlpatterns = [
    path("", portal_views.my_cases, name="list"),
    path("apply/", portal_views.apply, name="apply"),
    path("<int:pk>/", portal_views.case_page, name="case"),
    path("<int:pk>/agreement/", portal_views.agreement_print, name="agreement"),
    path("<int:pk>/rate/", portal_views.case_post, {"action": "rate"}, name="rate"),
    path("<int:pk>/legal-aid/", portal_views.case_post, {"action": "legal_aid"}, name="legal_aid"),
    path("<int:pk>/withdraw/", portal_views.case_post, {"action": "withdraw"}, name="withdraw"),
    path("documents/<int:pk>/", portal_views.attachment_download, name="attachment"),
]
