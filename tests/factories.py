"""Test data built through the real services, so every fixture obeys the same rules as users."""

from __future__ import annotations

import datetime as dt
import itertools

import factory
from django.contrib.auth import get_user_model

from gonghui.core.ids import make_credit_code, make_id_number
from gonghui.core.models import Role
from gonghui.members.models import Member
from gonghui.members.services import member_create
from gonghui.orgs.models import Org, OrgKind
from gonghui.orgs.tallies import org_tally_delta
from gonghui.stats import tallies

User = get_user_model()
_seq = itertools.count(1)

PASSWORD = "test-pass-9f3k"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def save_password(obj, create, extracted, **kwargs):
        if create:
            obj.save()


def system_user():
    user, _ = User.objects.get_or_create(username="system", defaults={"is_superuser": True, "is_staff": True})
    return user


def make_org(parent: Org | None = None, *, code: str | None = None, name: str | None = None,
             kind: str = OrgKind.ENTERPRISE, is_new_form: bool = False, credit_code: str = "") -> Org:
    n = next(_seq)
    fields = dict(code=code or f"T{n:05d}", name=name or f"测试工会{n}", kind=kind,
                  is_new_form=is_new_form or kind == OrgKind.NEW_FORM, credit_code=credit_code)
    if parent is None:
        org = Org.objects.add_root(fields)
    else:
        org = Org.objects.add_child(Org.objects.get(pk=parent.pk), fields)
    tallies.apply(org_tally_delta(org, +1))  # as orgs.services.org_create counts it
    return org


def valid_id_number(n: int | None = None, *, region: str = "330212", birth: dt.date = dt.date(1990, 1, 1)) -> str:
    """A valid, unique-per-n synthetic ID number."""
    n = next(_seq) if n is None else n
    return make_id_number(region, birth + dt.timedelta(days=n // 1000), n % 1000)


def valid_credit_code(n: int | None = None) -> str:
    n = next(_seq) if n is None else n
    return make_credit_code(f"91330212{n:09d}")


def make_member(org: Org, *, name: str = "王小明", id_number: str | None = None, **fields) -> Member:
    return member_create(actor=system_user(), org=org, name=name, id_number=id_number or valid_id_number(),
                         **fields)


def grant(user, org: Org, kind: str = "cadre") -> Role:
    return Role.objects.create(user=user, org=org, kind=kind)


def make_cadre(org: Org, **fields):
    """A new user holding the cadre role on ``org``."""
    user = UserFactory(**fields)
    grant(user, org)
    return user


def verified_account(phone: str, username: str | None = None):
    """A worker's account with a verified mobile, as an SMS code makes it (``account_for_verified_phone``)."""
    from gonghui.core.services import account_for_verified_phone

    user, _created = account_for_verified_phone(phone=phone)
    if username:
        user.username = username
        user.set_password(PASSWORD)
        user.save()
    return user
