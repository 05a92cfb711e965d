"""A long member export in Chromium: the job page polls while the worker writes, then offers the download."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from gonghui.members.export_jobs import export_job_run
from gonghui.members.models import ExportJob
from tests.browser.test_pages import _login, city  # noqa: F401 - the fixture

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_long_export_shows_progress_then_the_download(staff_page, live_server, city, shot, settings, tmp_path):  # noqa: F811
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EXPORT_BACKGROUND_ROWS = 10  # the test city's 60 members count as a long list
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}  # no worker runs: it waits
    page = staff_page
    _login(page, f"{live_server.url}/staff/login/", "yz")
    page.wait_for_url(re.compile(r"/staff/"))
    page.goto(f"{live_server.url}/staff/orgs/YZ/members/")
    page.get_by_test_id("export-menu").click()
    page.get_by_test_id("export-masked").click()
    page.wait_for_url(re.compile(r"/staff/exports/\d+/$"))
    expect(page.get_by_test_id("export-progress-text")).to_be_visible()
    shot(page, "staff-export-waiting")
    export_job_run(job_id=ExportJob.objects.get().pk)  # the worker's part
    download = page.get_by_test_id("export-download")
    expect(download).to_be_visible(timeout=5000)  # htmx polled and swapped in the outcome
    shot(page, "staff-export-ready")
    with page.expect_download() as info:
        download.click()
    assert info.value.suggested_filename.endswith(".xlsx")
    assert page.problems == []
