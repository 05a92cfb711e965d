"""`gonghui cleanup`: stale SMS codes, expired API tokens and the mobiles of abandoned sign-ups go,
with what the other apps registered; everything still in use stays; a second run finds nothing."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from gonghui.core.cleanup import CleanupJob, Found, cleanup, jobs
from gonghui.core.models import AccountPhone, ApiToken, AuditEntry, SmsCode
from gonghui.core.services import account_for_verified_phone, api_token_issue
from gonghui.core.sms import sms_code_send
from gonghui.core.tasks import run_cleanup
from gonghui.members.models import Member
from gonghui.members.services import join_apply
from tests.factories import make_member, valid_id_number, verified_account

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
NOW = timezone.now


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def run(**options) -> str:
    out = io.StringIO()
    call_command("cleanup", stdout=out, **options)
    return out.getvalue()


# ---------------------------------------------------------------------------------------------


def test_sms_codes_go_a_day_after_they_were_sent_not_before(db):
    sms_code_send(phone="13900000001")
    sms_code_send(phone="13900000002")
    sms_code_send(phone="13900000003")
    # 1: expired and sent two days ago → goes. 2: expired but sent today → stays (it counts against the
    # daily limit). 3: still valid → stays.
    SmsCode.objects.filter(pk=SmsCode.objects.order_by("pk")[0].pk).update(
        created_at=NOW() - dt.timedelta(days=2), expires_at=NOW() - dt.timedelta(days=2) + dt.timedelta(minutes=5))
    SmsCode.objects.filter(pk=SmsCode.objects.order_by("pk")[1].pk).update(
        created_at=NOW() - dt.timedelta(hours=1), expires_at=NOW() - dt.timedelta(minutes=55))
    assert cleanup().counts["sms_codes"] == 1
    assert SmsCode.objects.count() == 2


def test_expired_api_tokens_go_and_live_ones_stay(tree, yz_cadre, bl_cadre):
    api_token_issue(user=yz_cadre)
    live = api_token_issue(user=bl_cadre)
    ApiToken.objects.filter(user=yz_cadre).update(expires_at=NOW() - dt.timedelta(seconds=1))
    assert cleanup().counts["api_tokens"] == 1
    assert list(ApiToken.objects.values_list("user", flat=True)) == [bl_cadre.pk]
    assert live  # still usable: see tests/core/test_api_tokens.py


def test_abandoned_sign_ups_lose_their_mobile_and_are_deactivated(tree, yz_cadre):
    abandoned = verified_account("13900000011")
    applied = verified_account("13900000012")
    join_apply(applicant=applied, org=tree.yze, name="赵申请", id_number=valid_id_number(), employer="美团外卖")
    member = verified_account("13900000013")
    Member.objects.filter(pk=make_member(tree.yze).pk).update(user=member)
    recent = verified_account("13900000014")
    users = [abandoned, applied, member, recent, yz_cadre]
    for user in users[:3]:
        type(user).objects.filter(pk=user.pk).update(date_joined=NOW() - dt.timedelta(days=60))
    type(yz_cadre).objects.filter(pk=yz_cadre.pk).update(date_joined=NOW() - dt.timedelta(days=60), last_login=None)

    result = cleanup()
    assert (result.counts["accounts"], result.data["account_ids"]) == (1, [abandoned.pk])
    abandoned.refresh_from_db()
    assert not abandoned.is_active and not AccountPhone.objects.filter(user=abandoned).exists()
    assert all(type(u).objects.get(pk=u.pk).is_active for u in users[1:])
    assert AccountPhone.objects.count() == 3
    entry = AuditEntry.objects.get(action="core.cleanup")
    assert entry.data["account_ids"] == [abandoned.pk] and "13900000011" not in str(entry.data)
    # The owner of the mobile comes back: the mobile makes a new account.
    again, created = account_for_verified_phone(phone="13900000011")
    assert created and again.pk != abandoned.pk


def test_a_sign_up_that_logged_in_lately_is_not_abandoned(db):
    user = verified_account("13900000021")
    type(user).objects.filter(pk=user.pk).update(date_joined=NOW() - dt.timedelta(days=90),
                                                 last_login=NOW() - dt.timedelta(days=3))
    assert cleanup().counts["accounts"] == 0
    assert cleanup(days=2).data["account_ids"] == [user.pk]


def test_the_command_prints_what_it_removed_audits_once_and_is_idempotent(tree, yz_cadre):
    api_token_issue(user=yz_cadre)
    ApiToken.objects.update(expires_at=NOW() - dt.timedelta(days=1))
    abandoned = verified_account("13900000031")
    type(abandoned).objects.filter(pk=abandoned.pk).update(date_joined=NOW() - dt.timedelta(days=45))

    dry = run(dry_run=True)
    assert "Would remove" in dry and "expired API tokens:     1" in dry and "abandoned sign-ups:     1" in dry
    assert ApiToken.objects.exists() and not AuditEntry.objects.filter(action="core.cleanup").exists()

    out = run()
    assert "Removed" in out and "expired API tokens:     1" in out
    assert "abandoned sign-ups:     1 (mobile removed, account deactivated)" in out
    second = run()
    assert "Nothing was stale." in second
    assert AuditEntry.objects.filter(action="core.cleanup").count() == 1


def test_days_come_from_the_setting_or_the_option(db, settings):
    user = verified_account("13900000041")
    type(user).objects.filter(pk=user.pk).update(date_joined=NOW() - dt.timedelta(days=10))
    settings.CLEANUP_AFTER_DAYS = 30
    assert "abandoned sign-ups:     0" in run(dry_run=True)
    settings.CLEANUP_AFTER_DAYS = 7
    assert "abandoned sign-ups:     1" in run(dry_run=True)
    assert "abandoned sign-ups:     0" in run(dry_run=True, days=11)
    with pytest.raises(CommandError, match="at least 1"):
        run(days=0)


def test_the_task_runs_the_same_cleanup(tree, yz_cadre, settings):
    settings.TASKS = IMMEDIATE
    api_token_issue(user=yz_cadre)
    ApiToken.objects.update(expires_at=NOW() - dt.timedelta(days=1))
    result = run_cleanup.enqueue()
    assert result.return_value["api_tokens"] == 1
    assert not ApiToken.objects.exists()


def test_a_job_an_app_registers_is_run_printed_and_audited(db, monkeypatch):
    seen = []

    def old_visits(window, *, dry_run):
        seen.append((window.days, dry_run))
        return Found(count=2, data={"visit_ids": [7, 9]})

    from gonghui.core import cleanup as runner

    monkeypatch.setitem(runner._jobs, "visits", CleanupJob("visits", "old night visits", old_visits))
    assert jobs()[-1].key == "visits"
    assert "old night visits:       2" in run(dry_run=True, days=5)
    assert not AuditEntry.objects.filter(action="core.cleanup").exists()
    assert "old night visits:       2" in run(days=5)
    assert seen == [(5, True), (5, False)]
    entry = AuditEntry.objects.get(action="core.cleanup")
    assert (entry.data["visits"], entry.data["visit_ids"], entry.data["days"]) == (2, [7, 9], 5)
