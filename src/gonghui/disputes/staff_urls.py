"""Staff workbench pages of this module, under /staff/disputes/ (names: staff:disputes:…)."""

app_name = "disputes"
urlpatterns: list = []
