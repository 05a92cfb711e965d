"""Member pages of stations, under /stations/ (names: portal:stations:…)."""

from django.urls import path

from gonghui.stations import portal_views

app_name = "stations"
urlpatterns = [
    path("", portal_views.near, name="near"),
    path("photos/<int:pk>/", portal_views.photo, name="photo"),
    path("<str:code>/", portal_views.station, name="station"),
    path("<str:code>/visit/", portal_views.visit, name="visit"),
    path("<str:code>/rate/", portal_views.rate, name="rate"),
    path("<str:code>/report/", portal_views.report, name="report"),
]
