import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from gonghui.mutualaid.models import Product
from gonghui.mutualaid.services import plan_create
from tests.api.conftest import api_as  # noqa: F401 - the bearer-client fixture
from tests.factories import system_user


def open_plan(*, product=Product.INPATIENT, year=None, **overrides):
    """A plan whose enrolment window is open today and whose cover includes today (in ``year``)."""
    today = timezone.localdate()
    year = year or today.year
    fields = dict(
        name=f"{year}年在职职工住院医疗互助保障", fee=Decimal("60.00"),
        window_start=dt.date(year - 1, 11, 1), window_end=today + dt.timedelta(days=30),
        cover_start=dt.date(year, 1, 1), cover_end=dt.date(year, 12, 31),
        deductible=Decimal("500.00"), tiers=[{"upto": "10000", "ratio": "0.5"}, {"upto": None, "ratio": "0.6"}],
        yearly_cap=Decimal("20000.00"), stay_cap=Decimal("15000.00"),
    )
    fields.update(overrides)
    return plan_create(actor=system_user(), product=product, year=year, **fields)


@pytest.fixture
def plan(tree):
    return open_plan()


def jan1():
    return dt.date(timezone.localdate().year, 1, 1)


def stay_day(days_ago: int = 5) -> dt.date:
    """A day this year, ``days_ago`` before today when possible."""
    return max(jan1(), timezone.localdate() - dt.timedelta(days=days_ago))


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    """Claim documents and uploaded feeds go to a temporary media root."""
    settings.MEDIA_ROOT = tmp_path / "media"
