"""Member pages of this module, under /disputes/ (names: portal:disputes:…)."""

app_name = "disputes"
urlpatterns: list = []
