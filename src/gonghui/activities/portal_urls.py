"""Member pages of this module, under /activities/ (names: portal:activities:…)."""

from django.urls import path

from gonghui.activities import portal_views

app_name = "activities"
urlpatterns = [
    path("", portal_views.home, name="home"),
    path("code/", portal_views.my_code, name="code"),
    path("<int:pk>/", portal_views.activity_detail, name="detail"),
    path("<int:pk>/register/", portal_views.register_view, name="register"),
    path("registrations/<int:pk>/cancel/", portal_views.cancel_view, name="cancel"),
    path("registrations/<int:pk>/accept/", portal_views.accept_view, name="accept"),
    path("check-in/<str:code>/", portal_views.self_check_in, name="self_check_in"),
]
