"""Member pages of this module, under /aid/ (names: portal:mutualaid:…)."""

from django.urls import path

from gonghui.mutualaid import portal_views

app_name = "mutualaid"
urlpatterns = [
    path("", portal_views.cover, name="cover"),
    path("payouts/<int:pk>/", portal_views.payout_detail, name="payout"),
    path("claims/new/", portal_views.claim_new, name="claim_new"),
    path("claims/<int:pk>/", portal_views.claim_detail, name="claim"),
    path("claims/<int:pk>/withdraw/", portal_views.claim_withdraw, name="claim_withdraw"),
    path("documents/<int:pk>/", portal_views.document, name="document"),
]
