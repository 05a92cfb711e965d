"""Staff workbench pages of this module, under /staff/activities/ (names: staff:activities:…)."""

from django.urls import path

from gonghui.activities import views

app_name = "activities"
urlpatterns = [
    path("", views.home, name="home"),
    path("new/", views.activity_new, name="new"),
    path("<int:pk>/", views.activity_detail, name="detail"),
    path("<int:pk>/copy/", views.activity_copy_view, name="copy"),
    path("<int:pk>/capacity/", views.activity_capacity_view, name="capacity"),
    path("<int:pk>/draw/", views.activity_draw_view, name="draw"),
    path("<int:pk>/shares/", views.activity_share_view, name="share"),
    path("<int:pk>/attendance.xlsx", views.attendance_export, name="attendance_export"),
    path("shares/<int:pk>/name/", views.share_name_view, name="share_name"),
    path("registrations/<int:pk>/cancel/", views.registration_cancel_view, name="registration_cancel"),
    path("sessions/<int:pk>/scan/", views.session_scan, name="scan"),
    path("sessions/<int:pk>/return/", views.session_return_view, name="return"),
]
