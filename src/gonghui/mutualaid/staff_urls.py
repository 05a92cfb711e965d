"""Staff workbench pages of this module, under /staff/aid/ (names: staff:mutualaid:…)."""

app_name = "mutualaid"
urlpatterns: list = []
