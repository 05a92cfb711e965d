"""批量导入 on the workbench: upload, background job, progress, outcome, error workbook, access."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from openpyxl import load_workbook

from gonghui.core.models import AuditEntry, Role
from gonghui.members.import_jobs import ProgressChannel, import_job_create, import_job_progress, import_job_run
from gonghui.members.models import ImportJob, ImportStatus, Member, Transfer
from tests.factories import UserFactory, grant, make_member, valid_id_number
from tests.roster.test_imports import HEADER, csv_bytes, xlsx_bytes

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
DATABASE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def row(name, id_number=None, org="YZE", phone="13800001234", joined="2023-05-01", new_form="是", category="快递员"):
    return [name, id_number or valid_id_number(), phone, org, joined, new_form, category]


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.TASKS = IMMEDIATE
    return settings.MEDIA_ROOT


def login(client, user):
    client.force_login(user)
    return client


def upload(client, code, data: bytes, filename="名册.csv", capture=None, **options):
    url = reverse("staff:member_import", kwargs={"code": code})
    payload = {"file": SimpleUploadedFile(filename, data), **{k: "on" for k, v in options.items() if v}}
    if capture is None:
        return client.post(url, payload)
    with capture(execute=True):
        return client.post(url, payload)


def stored_files(media: Path) -> list[Path]:
    folder = media / "imports"
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


# ---------------------------------------------------------------------------------------------
# Uploading and the outcome


def test_a_cadre_imports_a_gbk_csv_through_the_page(client, yz_cadre, tree, private_media,
                                                     django_capture_on_commit_callbacks):
    login(client, yz_cadre)
    data = csv_bytes([row("王芳"), row("李娜"), row("赵磊", org="")], encoding="gbk")
    response = upload(client, "YZ", data, "鄞州名册.csv", django_capture_on_commit_callbacks)

    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/staff/imports/{job.pk}/"
    assert job.status == ImportStatus.DONE and job.written
    assert (job.rows, job.imported, job.bad_rows, job.filename) == (3, 3, 0, "鄞州名册.csv")
    assert set(Member.objects.filter(org=tree.yze).values_list("name", flat=True)) == {"王芳", "李娜"}
    assert Member.objects.get(name="赵磊").org == tree.yz  # no 工会代码: the page's union
    assert stored_files(private_media) == []  # the file with plain ID numbers is gone once imported
    assert list(AuditEntry.objects.values_list("action", flat=True)) == ["member.import_queued", "member.import"]

    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert "导入完成" in html and 'data-testid="job-imported">3<' in html
    assert "hx-trigger" not in html  # finished: nothing polls


def test_an_xlsx_imports_too(client, yz_cadre, tree, django_capture_on_commit_callbacks):
    login(client, yz_cadre)
    upload(client, "YZE", xlsx_bytes([row("陈静", org=None), row("杨磊", org=None)]), "名册.xlsx",
           django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.DONE and job.imported == 2
    assert Member.objects.filter(org=tree.yze).count() == 2


def test_a_bad_file_is_refused_and_every_bad_row_listed(client, yz_cadre, tree, django_capture_on_commit_callbacks):
    login(client, yz_cadre)
    data = csv_bytes([row("王芳"), row("李娜", id_number="33021219900101123"), row("周杰", org="BLE"),
                      row("吴霞", joined="2099-01-01"), row("")])
    response = upload(client, "YZ", data, "有错的名册.csv", django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.REFUSED and not job.written
    assert Member.objects.count() == 0

    html = client.get(response["Location"]).content.decode()
    assert "文件被拒绝，未写入任何数据" in html
    assert "5 行中有 4 行有错误" in html
    table = html[html.index('data-testid="bad-rows"'):]
    for line, name, column in ((3, "李娜", "身份证号"), (4, "周杰", "工会代码"), (5, "吴霞", "入会日期"), (6, "—", "姓名")):
        assert f'<td class="text-end num">{line}</td><td>{name}</td><td class="text-nowrap">{column}</td>' in table
    assert "身份证号应为 18 位" in table or "18 位" in table
    assert "北仑" not in table and "BLE" in table  # the reason names the code, never another union's data

    download = client.get(reverse("staff:import_job_errors", kwargs={"pk": job.pk}))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(b"".join(download.streaming_content)), read_only=True).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("行号", "姓名", "列", "错误代码", "原因")
    assert [(r[0], r[1], r[2]) for r in rows[1:]] == [(3, "李娜", "身份证号"), (4, "周杰", "工会代码"),
                                                     (5, "吴霞", "入会日期"), (6, None, "姓名")]
    assert all(r[4] for r in rows[1:])


def test_valid_only_imports_the_correct_rows_and_lists_the_rest(client, yz_cadre, tree,
                                                                django_capture_on_commit_callbacks):
    login(client, yz_cadre)
    data = csv_bytes([row("王芳"), row("李娜", id_number="123"), row("赵磊")])
    upload(client, "YZ", data, capture=django_capture_on_commit_callbacks, valid_only=True)
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.DONE and job.written and (job.imported, job.bad_rows) == (2, 1)
    assert set(Member.objects.values_list("name", flat=True)) == {"王芳", "赵磊"}
    html = client.get(reverse("staff:import_job", kwargs={"pk": job.pk})).content.decode()
    assert "已导入正确的行；1 行有错误，未导入" in html
    assert client.get(reverse("staff:import_job_errors", kwargs={"pk": job.pk})).status_code == 200


def test_check_only_writes_nothing(client, yz_cadre, tree, django_capture_on_commit_callbacks):
    login(client, yz_cadre)
    upload(client, "YZ", csv_bytes([row("王芳")]), capture=django_capture_on_commit_callbacks, dry_run=True)
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.DONE and not job.written and job.imported == 1
    assert Member.objects.count() == 0
    html = client.get(reverse("staff:import_job", kwargs={"pk": job.pk})).content.decode()
    assert "检查完成，未写入任何数据" in html


def test_people_of_other_unions_become_transfer_requests(client, yz_cadre, tree, django_capture_on_commit_callbacks):
    number = valid_id_number()
    make_member(tree.ble, name="李四", id_number=number)
    login(client, yz_cadre)
    upload(client, "YZ", csv_bytes([row("王芳"), row("李四", id_number=number)]),
           capture=django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert (job.imported, job.transfers) == (1, 1)
    assert Transfer.objects.get().to_org == tree.yze
    html = client.get(reverse("staff:import_job", kwargs={"pk": job.pk})).content.decode()
    assert "第 3 行的人员已有会员记录" in html


def test_a_check_only_says_which_transfer_requests_an_import_would_make(client, yz_cadre, tree,
                                                                        django_capture_on_commit_callbacks):
    number = valid_id_number()
    make_member(tree.ble, name="李四", id_number=number)
    login(client, yz_cadre)
    upload(client, "YZ", csv_bytes([row("王芳"), row("李四", id_number=number)]),
           capture=django_capture_on_commit_callbacks, dry_run=True)
    job = ImportJob.objects.get()
    assert job.transfers == 1 and not Transfer.objects.exists()
    html = client.get(reverse("staff:import_job", kwargs={"pk": job.pk})).content.decode()
    assert "第 3 行的人员已有会员记录" in html and "导入后将生成转入本工会的转会申请" in html
    assert "均已有转入本工会的转会申请" not in html  # none was made
    assert "转会申请（将生成）" in html


def test_a_file_without_the_needed_columns_is_refused_with_the_reason(client, yz_cadre, tree,
                                                                      django_capture_on_commit_callbacks):
    login(client, yz_cadre)
    upload(client, "YZ", csv_bytes([["王芳", "x"]], header=["名字", "号码"]), capture=django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.REFUSED
    html = client.get(reverse("staff:import_job", kwargs={"pk": job.pk})).content.decode()
    assert "文件被拒绝，未写入任何数据" in html and "表头缺少" in html
    assert client.get(reverse("staff:import_job_errors", kwargs={"pk": job.pk})).status_code == 404


def test_the_form_refuses_old_excel_and_too_large_files(client, yz_cadre, tree, settings):
    login(client, yz_cadre)
    response = upload(client, "YZ", b"\xd0\xcf\x11\xe0", "名册.xls")
    assert response.status_code == 200 and "另存为" in response.content.decode()
    settings.ROSTER_UPLOAD_MAX_MB = 1
    response = upload(client, "YZ", b"x" * (1024 * 1024 + 1), "名册.csv")
    assert "上限为 1 MB" in response.content.decode()
    assert upload(client, "YZ", b"", "名册.csv").status_code == 200
    assert not ImportJob.objects.exists()


def test_the_upload_waits_in_private_storage_until_the_worker_runs(client, yz_cadre, tree, private_media, settings,
                                                                  django_capture_on_commit_callbacks):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    login(client, yz_cadre)
    response = upload(client, "YZ", csv_bytes([row("王芳")]), capture=django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.QUEUED
    [stored] = stored_files(private_media)
    assert stored.suffix == ".csv" and "名册" not in stored.name  # a random name, not the uploader's
    assert job.upload.name.startswith("imports/")

    page = client.get(response["Location"]).content.decode()
    assert 'hx-trigger="every 1s"' in page and "等待后台任务处理" in page

    assert import_job_run(job_id=job.pk) == ImportStatus.DONE
    assert import_job_run(job_id=job.pk) == "skipped"  # a task delivered twice imports once
    assert Member.objects.count() == 1 and stored_files(private_media) == []


def test_the_job_page_polls_a_running_job_and_shows_rows_read(client, yz_cadre, tree):
    job = ImportJob.objects.create(created_by=yz_cadre, org=tree.yz, filename="big.csv", size=1000,
                                   status=ImportStatus.RUNNING, rows_done=15000, bytes_done=400)
    login(client, yz_cadre)
    url = reverse("staff:import_job", kwargs={"pk": job.pk})
    partial = client.get(url, headers={"HX-Request": "true", "HX-Target": "import-job"})
    html = partial.content.decode()
    assert not html.lstrip().startswith("<!DOCTYPE")
    assert 'hx-trigger="every 1s"' in html and "15,000" in html and 'aria-valuenow="40"' in html

    job.filename, job.bytes_done = "big.xlsx", 0
    job.save()
    html = client.get(url, headers={"HX-Request": "true", "HX-Target": "import-job"}).content.decode()
    assert "progress-bar-animated" in html and "aria-valuenow" not in html  # rows known, share unknown

    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.DONE, rows=20000, imported=20000)
    html = client.get(url, headers={"HX-Request": "true", "HX-Target": "import-job"}).content.decode()
    assert "hx-trigger" not in html and "导入完成" in html


# ---------------------------------------------------------------------------------------------
# Who may do what


def test_a_viewer_cannot_upload(client, yz_viewer, tree):
    login(client, yz_viewer)
    assert client.get(reverse("staff:member_import", kwargs={"code": "YZ"})).status_code == 403
    assert upload(client, "YZ", csv_bytes([row("王芳")])).status_code == 403
    assert not ImportJob.objects.exists()
    page = client.get(reverse("staff:members", kwargs={"code": "YZ"})).content.decode()
    assert "批量导入" not in page


def test_a_cadre_cannot_upload_into_another_district(client, bl_cadre, tree):
    login(client, bl_cadre)
    assert client.get(reverse("staff:member_import", kwargs={"code": "YZ"})).status_code == 404
    assert upload(client, "YZ", csv_bytes([row("王芳")])).status_code == 404


def test_a_job_is_seen_by_its_creator_and_managers_above_only(client, yz_cadre, bl_cadre, nb_cadre, yz_viewer, tree,
                                                              django_capture_on_commit_callbacks):
    login(client, yz_cadre)
    upload(client, "YZ", csv_bytes([row("王芳")]), capture=django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    urls = [reverse("staff:import_job", kwargs={"pk": job.pk}),
            reverse("staff:import_job_errors", kwargs={"pk": job.pk})]
    assert client.get(urls[0]).status_code == 200
    for user, status in ((bl_cadre, 404), (yz_viewer, 404), (nb_cadre, 200)):
        client.logout()
        login(client, user)
        assert client.get(urls[0]).status_code == status, user
    client.logout()
    login(client, bl_cadre)
    assert client.get(urls[1]).status_code == 404
    assert client.get(reverse("staff:import_job", kwargs={"pk": 2**70})).status_code == 404


def test_recent_imports_lists_the_unions_jobs(client, yz_cadre, bl_cadre, tree, django_capture_on_commit_callbacks):
    login(client, yz_cadre)
    upload(client, "YZ", csv_bytes([row("王芳")]), "第一批.csv", django_capture_on_commit_callbacks)
    ImportJob.objects.create(created_by=bl_cadre, org=tree.bl, filename="北仑.csv")
    html = client.get(reverse("staff:member_import", kwargs={"code": "YZ"})).content.decode()
    recent = html[html.index('data-testid="recent-imports"'):]
    assert "第一批.csv" in recent and "北仑.csv" not in recent
    assert "下载模板" in html


def test_the_task_checks_the_uploaders_rights_again(client, yz_cadre, tree, settings,
                                                    django_capture_on_commit_callbacks):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    login(client, yz_cadre)
    upload(client, "YZ", csv_bytes([row("王芳")]), capture=django_capture_on_commit_callbacks)
    Role.objects.filter(user=yz_cadre).delete()  # the cadre left the post before the worker ran
    job = ImportJob.objects.get()
    assert import_job_run(job_id=job.pk) == ImportStatus.FAILED
    job.refresh_from_db()
    assert job.report["failure"] and Member.objects.count() == 0


def test_the_template_downloads(client, yz_viewer, tree):
    login(client, yz_viewer)
    response = client.get(reverse("staff:import_template"))
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).worksheets[0]
    assert [c.value for c in sheet[1]] == HEADER


# ---------------------------------------------------------------------------------------------
# The real queue: database backend and its worker


@pytest.mark.django_db(transaction=True)
def test_the_database_backend_queues_the_job_and_the_worker_runs_it(client, settings, tree):
    settings.TASKS = DATABASE
    cadre = UserFactory(username="queue_cadre")
    grant(cadre, tree.yz)
    login(client, cadre)
    upload(client, "YZ", csv_bytes([row("王芳"), row("李娜")]))  # autocommit: on_commit runs at once

    job = ImportJob.objects.get()
    task = DBTaskResult.objects.get()
    assert job.status == ImportStatus.QUEUED and task.status == "READY"
    assert task.args_kwargs == {"args": [job.pk], "kwargs": {}}  # only the id travels: no personal data

    Worker(queue_names=["default"], interval=0, batch=True, backend_name="default", startup_delay=False,
           max_tasks=None, worker_id="test-worker", excluded_queue_names=[]).run()

    job.refresh_from_db()
    task.refresh_from_db()
    assert task.status == "SUCCESSFUL" and task.return_value == "done"
    assert job.status == ImportStatus.DONE and job.imported == 2 and job.finished_at
    assert Member.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_progress_is_visible_outside_the_imports_transaction(tree):
    cadre = UserFactory(username="progress_cadre")
    grant(cadre, tree.yz)
    job = ImportJob.objects.create(created_by=cadre, org=tree.yz, filename="名册.csv", size=1000,
                                   status=ImportStatus.RUNNING)
    channel = ProgressChannel(job)
    channel.write(5000, 250)
    assert import_job_progress(job=ImportJob.objects.get(pk=job.pk)) == {"rows": 5000, "percent": 25}
    channel.close()


def test_a_service_call_without_manage_rights_is_refused(yz_viewer, tree):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        import_job_create(actor=yz_viewer, org=tree.yz, upload=SimpleUploadedFile("a.csv", b"x"))


def test_the_import_page_runs_a_fixed_number_of_queries(client, yz_cadre, nb_cadre, tree):
    login(client, yz_cadre)
    url = reverse("staff:member_import", kwargs={"code": "YZ"})

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    ImportJob.objects.create(created_by=yz_cadre, org=tree.yze, filename="a.csv")
    few = queries()
    for n in range(12):
        ImportJob.objects.create(created_by=nb_cadre if n % 2 else yz_cadre, org=tree.yzt, filename=f"{n}.csv")
    assert queries() == few


def test_the_error_workbook_writes_formula_like_names_as_text(client, yz_cadre, tree,
                                                              django_capture_on_commit_callbacks):
    from tests.spreadsheets import FORMULAS, assert_shown_as_text, body

    login(client, yz_cadre)
    upload(client, "YZ", csv_bytes([row(name, org="NOPE") for name in FORMULAS]), "名册.csv",
           django_capture_on_commit_callbacks)
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.REFUSED
    assert_shown_as_text(body(client.get(reverse("staff:import_job_errors", kwargs={"pk": job.pk}))), FORMULAS)
    assert AuditEntry.objects.filter(action="member.import_errors_export", object_id=str(job.pk)).count() == 1
