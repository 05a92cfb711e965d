import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gonghui.assistance import services
from gonghui.assistance.models import DocumentKind, Programme, ProgrammeKind
from tests.api.conftest import api_as  # noqa: F401 - the bearer-client fixture
from tests.factories import UserFactory, grant, make_member, valid_id_number

PDF = b"%PDF-1.4\n%test document\n"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def upload(name="证明.pdf", content=PDF):
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def certificate():
    return [(DocumentKind.UNIT_CERTIFICATE, upload())]


def poor(**extra):
    """A family of three living on 30,000 yuan a year with 6,000 of illness costs: 深度困难."""
    fields = dict(income="20000", household=[
        {"name": "张丽", "relation": "spouse", "id_number": valid_id_number(9001), "yearly_income": "10000",
         "work": "保洁"},
        {"name": "张小宝", "relation": "child", "id_number": valid_id_number(9002, birth=dt.date(2012, 3, 1))}],
        costs=[{"kind": "illness", "amount": "6000", "note": "慢性肾病"}], cause="配偶重病")
    fields.update(extra)
    return fields


@pytest.fixture
def yzt_cadre(tree):
    user = UserFactory(username="yzt_cadre")
    grant(user, tree.yzt)
    return user


@pytest.fixture
def member(tree):
    return make_member(tree.yze, name="张建国", id_number=valid_id_number(8001))


def past(days):
    return dt.date.today() - dt.timedelta(days=days)


def filed(member, *, cadre, approver, **extra):
    """A file applied for, noticed and approved (the notice started 20 days ago)."""
    f = services.file_apply(actor=cadre, member=member, documents=certificate(), on=past(20), **poor(**extra))
    f = services.file_start_notice(actor=cadre, file=f, on=past(20))
    return services.file_approve(actor=approver, file=f)


def programme(org, cadre, *, kind=ProgrammeKind.WINTER, budget="10000", **extra):
    fields = dict(kind=kind, name="2026年送温暖", cycle=2026, budget=budget,
                  amount_rule=Programme.AmountRule.BY_GRADE, amounts={"deep": "2000", "relative": "1000"})
    fields.update(extra)
    return services.programme_create(actor=cadre, org=org, **fields)
