"""`gonghui check --deploy` refuses the development SECRET_KEY published in the repository
(gonghui.E003), whatever DEBUG says."""

import secrets

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from gonghui.core.checks import secret_key_check


def test_check_deploy_fails_with_the_published_development_key(settings):
    settings.SECRET_KEY = settings.DEV_SECRET_KEY
    with pytest.raises(SystemCheckError) as error:
        call_command("check", "--deploy")
    assert "gonghui.E003" in str(error.value) and "published in the repository" in str(error.value)


@pytest.mark.parametrize("debug", [True, False])
def test_the_published_key_is_refused_as_key_or_fallback(settings, debug):
    settings.DEBUG = debug
    settings.SECRET_KEY = settings.DEV_SECRET_KEY
    assert [e.id for e in secret_key_check()] == ["gonghui.E003"]
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = secrets.token_urlsafe(50), [settings.DEV_SECRET_KEY]
    assert [e.id for e in secret_key_check()] == ["gonghui.E003"]


def test_a_key_of_ones_own_passes(settings):
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = secrets.token_urlsafe(50), [secrets.token_urlsafe(50)]
    assert secret_key_check() == []
