from django.urls import path

from gonghui.members import views as member_views
from gonghui.orgs import views as org_views
from gonghui.staff import views

app_name = "staff"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.StaffLoginView.as_view(), name="login"),
    path("logout/", views.StaffLogoutView.as_view(), name="logout"),
    path("stats/", views.stats, name="stats"),
    path("orgs/<str:code>/", org_views.org_detail, name="org"),
    path("orgs/<str:code>/add/", org_views.org_add_child, name="org_add"),
    path("orgs/<str:code>/edit/", org_views.org_edit, name="org_edit"),
    path("orgs/<str:code>/members/", member_views.member_list_page, name="members"),
    path("orgs/<str:code>/members/add/", member_views.member_add, name="member_add"),
    path("members/", member_views.members_redirect, name="members_of"),
    path("members/<int:pk>/", member_views.member_detail, name="member"),
    path("members/<int:pk>/edit/", member_views.member_edit, name="member_edit"),
    path("members/<int:pk>/reveal/", member_views.member_reveal, name="member_reveal"),
]
