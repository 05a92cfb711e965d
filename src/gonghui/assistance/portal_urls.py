"""Member pages of this module, under /hardship/ (names: portal:assistance:…)."""

from django.urls import path

from gonghui.assistance import portal_views

app_name = "assistance"
urlpatterns = [
    path("", portal_views.cover, name="cover"),
    path("self-test/", portal_views.self_test, name="self_test"),
    path("apply/", portal_views.apply, name="apply"),
]
