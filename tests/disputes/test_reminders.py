"""Mediators of rooms with overdue cases get one text each; nobody else does."""

import datetime as dt

import pytest
from django.utils import timezone

from gonghui.disputes import services
from gonghui.disputes.tasks import send_overdue_reminders
from tests.disputes.conftest import open_case
from tests.factories import verified_account

pytestmark = pytest.mark.django_db


def test_overdue_reminders(tree, rooms, bl_cadre, yz_cadre, sms_outbox):
    admin_mediator = verified_account("13600001111")
    services.room_staff_add(actor=bl_cadre, room=rooms.bl, user=admin_mediator, kind="mediator")
    quiet = verified_account("13600002222")
    services.room_staff_add(actor=yz_cadre, room=rooms.yz, user=quiet, kind="mediator")
    lawyer = verified_account("13600003333")
    services.room_staff_add(actor=bl_cadre, room=rooms.bl, user=lawyer, kind="lawyer")
    old = timezone.now() - dt.timedelta(days=20)
    for _ in range(2):
        case = open_case(bl_cadre, tree.bl, received_at=old)
        services.case_triage(actor=bl_cadre, case=case, room=rooms.bl)
    fresh = open_case(yz_cadre, tree.yz)
    services.case_triage(actor=yz_cadre, case=fresh, room=rooms.yz)

    result = services.overdue_reminders()
    assert result == {"rooms": 1, "cases": 2, "mediators": 1, "texts": 1}
    assert [m.phone for m in sms_outbox] == ["13600001111"]
    assert "2" in sms_outbox[0].text


def test_the_task_runs_the_same(tree, sms_outbox):
    assert send_overdue_reminders.call() == {"rooms": 0, "cases": 0, "mediators": 0, "texts": 0}
