"""Workbench pages of the member roster, joins, transfers and leaving (names: staff:members, staff:joins…).

Registered with ``gonghui.workbench.routes`` under the workbench's root, without a namespace of its own.
"""

from django.urls import path

from gonghui.members import queue_views, views as member_views

urlpatterns = [
    path("orgs/<str:code>/members/", member_views.member_list_page, name="members"),
    path("orgs/<str:code>/members/add/", member_views.member_add, name="member_add"),
    path("orgs/<str:code>/members/export.xlsx", member_views.member_export_xlsx, name="member_export"),
    path("exports/<int:pk>/", member_views.export_job_page, name="export_job"),
    path("exports/<int:pk>/members.xlsx", member_views.export_job_file, name="export_job_file"),
    path("orgs/<str:code>/members/import/", member_views.member_import, name="member_import"),
    path("members/import/template.xlsx", member_views.import_template, name="import_template"),
    path("imports/<int:pk>/", member_views.import_job_page, name="import_job"),
    path("imports/<int:pk>/errors.xlsx", member_views.import_job_errors, name="import_job_errors"),
    path("members/", member_views.members_redirect, name="members_of"),
    path("members/<int:pk>/", member_views.member_detail, name="member"),
    path("members/<int:pk>/edit/", member_views.member_edit, name="member_edit"),
    path("members/<int:pk>/reveal/", member_views.member_reveal, name="member_reveal"),
    path("members/<int:pk>/leave/", queue_views.member_leave_view, name="member_leave"),
    path("orgs/<str:code>/joins/", queue_views.join_queue_page, name="joins"),
    path("joins/<int:pk>/", queue_views.join_detail, name="join"),
    path("joins/<int:pk>/approve/", queue_views.join_approve_view, name="join_approve"),
    path("joins/<int:pk>/refuse/", queue_views.join_refuse_view, name="join_refuse"),
    path("orgs/<str:code>/transfers/", queue_views.transfer_queue_page, name="transfers"),
    path("orgs/<str:code>/transfers/new/", queue_views.transfer_new, name="transfer_new"),
    path("transfers/<int:pk>/", queue_views.transfer_detail, name="transfer"),
    path("transfers/<int:pk>/approve/", queue_views.transfer_decide, {"decision": "approve"}, name="transfer_approve"),
    path("transfers/<int:pk>/refuse/", queue_views.transfer_decide, {"decision": "refuse"}, name="transfer_refuse"),
    path("transfers/<int:pk>/release/", queue_views.transfer_decide, {"decision": "release"}, name="transfer_release"),
    path("transfers/<int:pk>/object/", queue_views.transfer_decide, {"decision": "object"}, name="transfer_object"),
    path("transfers/<int:pk>/cancel/", queue_views.transfer_decide, {"decision": "cancel"}, name="transfer_cancel"),
]
