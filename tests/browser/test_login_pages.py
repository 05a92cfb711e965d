"""The two login pages (workbench and member pages) in a real browser, empty and after a wrong password.

Both forms come from one include; the screenshots (test-artifacts/login-*.png) show they look as
before it.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize(("fixture", "path", "name"), [
    ("staff_page", "/staff/login/", "login-staff"), ("member_page", "/login/", "login-member"),
])
def test_a_login_page_shows_its_form_and_a_wrong_password(request, live_server, shot, fixture, path, name):
    UserFactory(username="yz")
    page = request.getfixturevalue(fixture)
    page.goto(f"{live_server.url}{path}")
    expect(page.get_by_label("用户名")).to_be_visible()
    shot(page, name, full_page=True)
    page.get_by_label("用户名").fill("yz")
    page.get_by_label("密码").fill("wrong password")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.get_by_label("用户名")).to_have_value("yz")
    shot(page, f"{name}-error", full_page=True)
    assert page.problems == []
