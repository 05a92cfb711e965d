"""/admin/ in Chinese: every app and model heading is translated, the third-party ones too."""

from __future__ import annotations

import re

import pytest
from django.contrib import admin
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
ACRONYMS = {"API", "IP", "GET", "POST", "HTTP"}


def _english(texts) -> list[str]:
    return [t for t in texts if any(w not in ACRONYMS for w in LATIN_WORD.findall(t))]


def _text(fragment: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", fragment)).strip()


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_superuser=True, is_staff=True))
    return client


def test_the_admin_index_names_every_app_and_model_in_chinese(admin_client):
    page = admin_client.get("/admin/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    apps = [_text(c) for c in re.findall(r"<caption>(.*?)</caption>", page, re.S)]
    models = [_text(m) for m in re.findall(r'<th scope="row"[^>]*>(.*?)</th>', page, re.S)]
    hidden = [_text(h) for h in re.findall(r'<th scope="col"[^>]*>(.*?)</th>', page, re.S)]
    assert len(apps) >= 7 and len(models) >= 15
    assert "劳动争议调处" in apps and "登录锁定" in apps and "后台任务" in apps
    assert _english(apps + models + hidden) == []


@pytest.mark.parametrize("model", list(admin.site._registry), ids=lambda m: m._meta.label)
def test_each_admin_list_is_headed_in_chinese(admin_client, model):
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    page = admin_client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    headings = [_text(h) for h in re.findall(r"<h1>(.*?)</h1>", page, re.S)]
    title = _text(re.search(r"<title>(.*?)</title>", page, re.S)[1])
    assert _english([*headings, title.split("|")[0]]) == []


OUR_MODELS = [m for m in admin.site._registry if m.__module__.startswith("gonghui.")]


@pytest.mark.parametrize("model", OUR_MODELS, ids=lambda m: m._meta.label)
def test_each_admin_column_filter_and_field_is_named_in_chinese(rf, model):
    """The column headings and filters of a list and the labels of its form, not only the headings:
    a field without a verbose name shows its code name ("Org path", "Created at")."""
    from django.contrib.admin.utils import label_for_field
    from django.utils import translation

    model_admin = admin.site._registry[model]
    request = rf.get("/admin/")
    request.user = UserFactory(is_superuser=True, is_staff=True)
    names = [*model_admin.get_list_display(request),
             *(f if isinstance(f, str) else f[0] for f in model_admin.get_list_filter(request)),
             *model_admin.get_fields(request)]
    with translation.override("zh-hans"):
        labels = {name: str(label_for_field(name, model, model_admin)) for name in names if isinstance(name, str)}
    assert {name: label for name, label in labels.items() if _english([label.replace("ID", "")])} == {}
