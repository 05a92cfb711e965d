"""The OpenAPI description and the Swagger UI at /api/v1/docs, which must work under our CSP."""

import os
import re
import shutil

import pytest
from django.contrib.staticfiles import finders


@pytest.fixture
def spec(client, db):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()


def test_the_spec_lists_every_endpoint_of_the_contract(spec):
    assert set(spec["paths"]) >= {
        "/api/v1/auth/token", "/api/v1/orgs/{code}", "/api/v1/orgs/{code}/children", "/api/v1/orgs/{code}/stats",
        "/api/v1/members", "/api/v1/members/{member_id}",
    }


def test_the_spec_declares_bearer_auth_and_the_error_shape(spec):
    schemes = spec["components"]["securitySchemes"]
    assert any(s.get("scheme") == "bearer" for s in schemes.values())
    detail = spec["paths"]["/api/v1/members/{member_id}"]["get"]["responses"]
    assert {"200", "401", "403", "404", "422"} <= set(detail)
    assert spec["paths"]["/api/v1/auth/token"]["post"].get("security") in (None, [], [{}])
    assert "429" in spec["paths"]["/api/v1/auth/token"]["post"]["responses"]


def test_the_stats_parameters_are_described(spec):
    params = {p["name"] for p in spec["paths"]["/api/v1/orgs/{code}/stats"]["get"]["parameters"]}
    assert params >= {"code", "on", "from", "to"}


def test_the_docs_page_loads_only_our_own_scripts(client, db):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    scripts = re.findall(r"<script[^>]*\bsrc=\"([^\"]+)\"", html)
    assert scripts and all(src.startswith("/static/") for src in scripts), scripts
    assert "cdn" not in html.lower()
    inline = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", html)
    assert all('type="application/json"' in attrs for attrs in inline), inline  # data, not code
    assert "script-src 'self'" in response["Content-Security-Policy"]
    for src in scripts + re.findall(r"href=\"(/static/[^\"]+)\"", html):
        assert finders.find(src.removeprefix("/static/")), src


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.mark.browser
def test_the_swagger_ui_renders_under_the_csp_in_a_real_browser(live_server):
    if not os.path.exists(CHROMIUM):
        if os.environ.get("GONGHUI_REQUIRE_BROWSER"):
            pytest.fail("Chromium is required")
        pytest.skip("no Chromium")
    playwright = pytest.importorskip("playwright.sync_api")
    problems = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            page = browser.new_page()
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.goto(f"{live_server.url}/api/v1/docs")
            page.wait_for_selector(".opblock", timeout=15_000)
            assert page.locator(".opblock").count() >= 6
            assert "Gonghui API" in page.locator(".info .title").inner_text()
        finally:
            browser.close()
    assert problems == []
