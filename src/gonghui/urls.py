from django.contrib import admin
from django.urls import include, path

from gonghui.api import api
from gonghui.core.views import healthz

admin.site.site_header = "Gonghui 工会 · 系统管理"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("staff/", include("gonghui.staff.urls")),
    path("", include("gonghui.portal.urls")),
]
