"""Member pages of this module, under /aid/ (names: portal:mutualaid:…)."""

app_name = "mutualaid"
urlpatterns: list = []
