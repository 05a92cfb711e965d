import datetime as dt
import itertools

import pytest
from django.utils import timezone

from gonghui.activities import services
from gonghui.activities.models import ActivityKind, Mode
from gonghui.core.services import api_token_issue
from tests.api.conftest import api_as  # noqa: F401 - the bearer-client fixture
from tests.factories import UserFactory, make_member, system_user

_n = itertools.count(1)


def soon(days: int = 7, hours: int = 0) -> dt.datetime:
    return timezone.now() + dt.timedelta(days=days, hours=hours)


def kind(code: str = "talk") -> ActivityKind:
    # get_or_create: a transactional test's flush empties the kinds that the migration seeded.
    return ActivityKind.objects.get_or_create(code=code, defaults={"name": code})[0]


def make_activity(org, *, mode=Mode.FIRST_COME, capacity=None, sessions=1, actor=None, **fields):
    fields.setdefault("title", f"测试活动{next(_n)}")
    if mode == Mode.LOTTERY:
        fields.setdefault("closes_at", soon(3))
    return services.activity_create(
        actor=actor or system_user(), org=org, kind=fields.pop("kind", None) or kind(), mode=mode, capacity=capacity,
        sessions=[(soon(5 + i), soon(5 + i, 2)) for i in range(sessions)], **fields)


def member_with_login(org, **fields):
    """A member with an account of their own (the worker who registers)."""
    user = UserFactory()
    member = make_member(org, name=fields.pop("name", "职工"), **fields)
    member.user = user
    member.save(update_fields=["user"])
    return member


def token_of(member) -> str:
    return api_token_issue(user=member.user)


@pytest.fixture
def yz_member(tree):
    return member_with_login(tree.yze)
