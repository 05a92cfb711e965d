"""Staff workbench pages of this module, under /staff/hardship/ (names: staff:assistance:…)."""

from django.urls import path

from gonghui.assistance import views

app_name = "assistance"
urlpatterns = [
    path("", views.home, name="home"),
    path("standard/", views.standard_set_view, name="standard"),
    path("files/", views.file_list_page, name="files"),
    path("files/new/", views.file_new, name="file_new"),
    path("files/<int:pk>/", views.file_detail, name="file"),
    path("files/<int:pk>/reveal/", views.file_reveal_view, name="file_reveal"),
    path("files/<int:pk>/<slug:action>/", views.file_action, name="file_action"),
    path("documents/<int:pk>/", views.document_download, name="document"),
    path("programmes/", views.programme_list_page, name="programmes"),
    path("programmes/<int:pk>/", views.programme_detail, name="programme"),
    path("lists/<int:pk>/", views.list_detail, name="list"),
    path("lists/<int:pk>/<slug:action>/", views.list_action, name="list_action"),
    path("visits/", views.visit_list_page, name="visits"),
    path("notices/", views.notice_page, name="notices"),
]
