"""Cadres of unions with rounds past a legal deadline get one text each, from the daily task."""

import datetime as dt

import pytest
from django.utils import timezone

from gonghui.bargaining import services
from gonghui.bargaining.tasks import send_overdue_reminders
from tests.bargaining.helpers import open_round
from tests.factories import grant, verified_account

pytestmark = pytest.mark.django_db


def test_cadres_of_the_union_and_the_one_above_are_texted(tree, yz_cadre, bl_cadre, sms_outbox):
    enterprise_chair = verified_account("13600001111")
    grant(enterprise_chair, tree.yze)
    township = verified_account("13600002222")
    grant(township, tree.yzt)
    elsewhere = verified_account("13600003333")
    grant(elsewhere, tree.bl)
    long_ago = timezone.localdate() - dt.timedelta(days=40)
    open_round(yz_cadre, tree.yze, offered_on=long_ago, today=timezone.localdate())  # the reply was due 20 days after
    open_round(yz_cadre, tree.yze, offered_on=long_ago, today=timezone.localdate())
    open_round(bl_cadre, tree.ble, offered_on=timezone.localdate(), today=timezone.localdate())  # not due yet
    result = services.overdue_reminders()
    assert result == {"rounds": 2, "unions": 1, "cadres": 2, "texts": 2}
    assert sorted(m.phone for m in sms_outbox) == ["13600001111", "13600002222"]
    assert "2" in sms_outbox[0].text


def test_the_task_runs_the_same(tree, sms_outbox):
    assert send_overdue_reminders.call() == {"rounds": 0, "unions": 0, "cadres": 0, "texts": 0}
