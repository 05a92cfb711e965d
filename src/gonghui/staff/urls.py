from django.urls import path

from gonghui.staff import org_views, views
from gonghui.workbench import routes

app_name = "staff"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.StaffLoginView.as_view(), name="login"),
    path("logout/", views.StaffLogoutView.as_view(), name="logout"),
    path("stats/", views.stats, name="stats"),
    path("orgs/<str:code>/", org_views.org_detail, name="org"),
    path("orgs/<str:code>/add/", org_views.org_add_child, name="org_add"),
    path("orgs/<str:code>/edit/", org_views.org_edit, name="org_edit"),
    # The pages that apps registered (gonghui.workbench.routes): members, the service modules.
    *routes.staff_urlpatterns(),
]
