"""Workbench pages of stations, under /staff/stations/ (names: staff:stations:…)."""

from django.urls import path

from gonghui.stations import views

app_name = "stations"
urlpatterns = [
    path("", views.home, name="home"),
    path("list/", views.station_list, name="list"),
    path("new/", views.station_new, name="new"),
    path("import/", views.station_import, name="import"),
    path("reports/", views.reports, name="reports"),
    path("reports/<int:pk>/resolve/", views.report_resolve, name="report_resolve"),
    path("photos/<int:pk>/", views.photo, name="photo"),
    path("<int:pk>/", views.station_detail, name="station"),
    path("<int:pk>/edit/", views.station_edit, name="edit"),
    path("<int:pk>/review/", views.review_new, name="review"),
]
