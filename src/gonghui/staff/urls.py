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
    path("orgs/<str:code>/members/export.xlsx", member_views.member_export_xlsx, name="member_export"),
    path("orgs/<str:code>/members/import/", member_views.member_import, name="member_import"),
    path("members/import/template.xlsx", member_views.import_template, name="import_template"),
    path("imports/<int:pk>/", member_views.import_job_page, name="import_job"),
    path("imports/<int:pk>/errors.xlsx", member_views.import_job_errors, name="import_job_errors"),
    path("members/", member_views.members_redirect, name="members_of"),
    path("members/<int:pk>/", member_views.member_detail, name="member"),
    path("members/<int:pk>/edit/", member_views.member_edit, name="member_edit"),
    path("members/<int:pk>/reveal/", member_views.member_reveal, name="member_reveal"),
]
