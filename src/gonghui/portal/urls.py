from django.urls import path

from gonghui.portal import joining, views
from gonghui.workbench import routes

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.MemberLoginView.as_view(), name="login"),
    path("login/sms/", joining.login_sms, name="login_sms"),
    path("join/", joining.join, name="join"),
    path("join/unions/", joining.join_unions, name="join_unions"),
    path("services/<str:kind>/<int:pk>/withdraw/", joining.withdraw, name="withdraw"),
    path("logout/", views.MemberLogoutView.as_view(), name="logout"),
    path("services/", views.services, name="services"),
    path("me/", views.me, name="me"),
    path("union/", views.union, name="union"),
    # The member pages that modules registered (gonghui.workbench.routes).
    *routes.portal_urlpatterns(),
]
