"""批量导入 and 导出 in a real browser: upload through the page, follow the job, read the result."""

from __future__ import annotations

import csv
import io
import re

import pytest
from playwright.sync_api import expect

from gonghui.members.models import ImportJob, ImportStatus, Member
from gonghui.orgs.models import OrgKind
from tests.factories import PASSWORD, UserFactory, grant, make_org, valid_id_number

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def district(transactional_db, settings, tmp_path):
    # The task runs inline when enqueued: live_server's in-memory SQLite is not reachable from a worker.
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.MEDIA_ROOT = tmp_path / "media"
    nb = make_org(code="NB", name="宁波市总工会", kind=OrgKind.CITY)
    yz = make_org(nb, code="YZ", name="鄞州区总工会", kind=OrgKind.DISTRICT)
    make_org(yz, code="YZNF", name="鄞州区快递行业联合工会", kind=OrgKind.NEW_FORM)
    cadre = UserFactory(username="yz")
    grant(cadre, yz)
    return {"yz": yz, "cadre": cadre}


def _login(page, base: str):
    page.goto(f"{base}/staff/login/")
    page.get_by_label("用户名").fill("yz")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{base}/staff/")


def _roster_csv() -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["姓名", "身份证号", "手机号", "工会代码", "入会日期", "新就业形态", "群体"])
    names = "张伟 王芳 李娜 刘洋 陈静 杨磊 赵敏 黄勇".split()
    for n, name in enumerate(names):
        writer.writerow([name, valid_id_number(7000 + n), f"1390000{n:04d}", "YZNF", "2024-03-01", "是", "快递员"])
    writer.writerow(["周杰", "33021219900101123", "", "YZNF", "2024-03-01", "是", "快递员"])  # 17 characters
    writer.writerow(["吴霞", valid_id_number(7100), "", "BL", "2024-03-01", "否", ""])  # no such union
    return out.getvalue().encode("gbk")


def test_a_cadre_uploads_a_roster_and_lands_on_the_result(staff_page, live_server, district, shot):
    page = staff_page
    _login(page, live_server.url)
    page.goto(f"{live_server.url}/staff/orgs/YZ/members/")
    page.get_by_role("link", name="批量导入").click()
    page.wait_for_url(re.compile(r"/staff/orgs/YZ/members/import/$"))
    assert page.get_by_test_id("template-link").get_attribute("href") == "/staff/members/import/template.xlsx"
    page.get_by_label("名册文件（CSV 或 XLSX）").set_input_files(
        {"name": "快递员名册.csv", "mimeType": "text/csv", "buffer": _roster_csv()})
    page.get_by_label("仅导入正确的行").check()
    shot(page, "staff-import-upload")
    page.get_by_role("button", name="上传并开始").click()

    page.wait_for_url(re.compile(r"/staff/imports/\d+/$"))
    outcome = page.get_by_test_id("job-outcome")
    expect(outcome).to_contain_text("导入完成")
    expect(outcome).to_contain_text("已导入正确的行；2 行有错误，未导入")
    assert page.get_by_test_id("job-imported").inner_text() == "8"
    assert page.get_by_test_id("job-bad").inner_text() == "2"
    bad = page.get_by_test_id("bad-rows").locator("tbody tr")
    assert bad.count() == 2
    assert bad.nth(0).inner_text().split("\t")[:3] == ["10", "周杰", "身份证号"]
    assert "身份证号应为 18 位" in bad.nth(0).inner_text()
    assert "BL" in bad.nth(1).inner_text()
    with page.expect_download() as download:
        page.get_by_test_id("errors-download").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    shot(page, "staff-import-result", full_page=True)

    assert Member.objects.filter(org__code="YZNF").count() == 8
    page.get_by_role("link", name="查看会员名册").click()
    expect(page.get_by_test_id("member-count")).to_have_text(re.compile(r"^共 8 名会员"))
    page.get_by_test_id("export-menu").click()
    expect(page.get_by_test_id("export-full")).to_be_visible()
    shot(page, "staff-members-export-menu")
    with page.expect_download() as download:
        page.get_by_test_id("export-masked").click()
    assert download.value.suggested_filename.startswith("会员名册-YZ-")
    assert page.problems == []


def test_the_job_page_follows_a_running_import(staff_page, live_server, district, shot):
    job = ImportJob.objects.create(created_by=district["cadre"], org=district["yz"], filename="全区名册.csv",
                                   size=40_000_000, status=ImportStatus.RUNNING, rows_done=185_000,
                                   bytes_done=25_000_000)
    page = staff_page
    _login(page, live_server.url)
    page.goto(f"{live_server.url}/staff/imports/{job.pk}/")
    expect(page.get_by_test_id("job-progress-text")).to_contain_text("已读取 185,000 行 · 62%")
    assert page.get_by_role("progressbar").get_attribute("aria-valuenow") == "62"
    shot(page, "staff-import-progress")

    ImportJob.objects.filter(pk=job.pk).update(rows_done=290_000, bytes_done=39_000_000)
    expect(page.get_by_test_id("job-progress-text")).to_contain_text("已读取 290,000 行 · 97%")
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportStatus.REFUSED, rows=300_000, bad_rows=1,
        report={"errors": [{"line": 2001, "name": "王芳", "column": "id_number", "code": "id_check",
                            "message": "身份证号校验位不正确，请逐位核对。"}], "error_total": 1})
    expect(page.get_by_test_id("job-outcome")).to_contain_text("文件被拒绝，未写入任何数据")
    assert page.get_by_test_id("bad-rows").locator("tbody tr").inner_text().split("\t")[:3] == ["2001", "王芳", "身份证号"]
    shot(page, "staff-import-refused")
    assert page.problems == []
