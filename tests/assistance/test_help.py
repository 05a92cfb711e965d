"""Help paid exactly once: once a cycle city-wide, the budget never below zero, a retry never pays twice."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from gonghui.assistance import services
from gonghui.assistance.models import Disbursement, Grant, GrantStatus, Programme, ProgrammeKind
from gonghui.core.models import AuditEntry
from gonghui.stats import activity
from tests.assistance.conftest import filed, past, programme
from tests.concurrency import run_together
from tests.factories import UserFactory, grant, make_member, valid_id_number

pytestmark = pytest.mark.django_db


@pytest.fixture
def family(member, yzt_cadre, yz_cadre):
    return filed(member, cadre=yzt_cadre, approver=yz_cadre)


def test_a_list_is_approved_paid_and_counted(family, yz_cadre, tree):
    p = programme(tree.yz, yz_cadre)
    dl = services.disbursement_create(actor=yz_cadre, programme=p, lines=[{"file": family.pk}])
    assert dl.total == Decimal("2000.00") and dl.status == "draft"
    services.disbursement_approve(actor=yz_cadre, disbursement=dl)
    p.refresh_from_db()
    assert p.remaining == Decimal("8000.00")
    assert services.disbursement_pay(actor=yz_cadre, disbursement=dl) == 1
    assert services.disbursement_pay(actor=yz_cadre, disbursement=dl) == 0  # the double click
    dl.refresh_from_db()
    assert dl.status == Disbursement.Status.CLOSED
    grant_ = Grant.objects.get()
    figures = activity.period_figures(tree.nb.path, grant_.paid_on, grant_.paid_on)
    assert figures["assistance_paid_amount"] == Decimal("2000.00")
    assert figures["assistance_recipients"] == 1


def test_approving_twice_takes_the_budget_once(family, yz_cadre, tree):
    p = programme(tree.yz, yz_cadre)
    dl = services.disbursement_create(actor=yz_cadre, programme=p, lines=[{"file": family.pk}])
    services.disbursement_approve(actor=yz_cadre, disbursement=dl)
    services.disbursement_approve(actor=yz_cadre, disbursement=dl)
    p.refresh_from_db()
    assert p.remaining == Decimal("8000.00")


def test_the_same_help_twice_in_a_cycle_is_refused(family, yz_cadre, tree):
    p = programme(tree.yz, yz_cadre)
    services.disbursement_create(actor=yz_cadre, programme=p, lines=[{"file": family.pk}])
    with pytest.raises(ValidationError, match="already|本周期"):
        services.disbursement_create(actor=yz_cadre, programme=p, lines=[{"file": family.pk}])
    assert Grant.objects.count() == 1


def test_another_union_is_told_only_that_the_person_was_helped(family, yz_cadre, bl_cadre, tree):
    """The same person listed by two districts (a member who moved): the second is refused."""
    services.disbursement_create(actor=yz_cadre, programme=programme(tree.yz, yz_cadre), lines=[{"file": family.pk}])
    moved = family.member
    bl_programme = programme(tree.bl, bl_cadre, open_to=Programme.OpenTo.ANY, amounts={"other": "500"})
    moved.org, moved.org_path = tree.ble, tree.ble.path  # the Member row now sits in Beilun
    moved.save(update_fields=["org", "org_path"])
    with pytest.raises(ValidationError) as exc:
        services.disbursement_create(actor=bl_cadre, programme=bl_programme, lines=[{"member": moved.pk}])
    assert "another union" in str(exc.value) or "其他工会" in str(exc.value)
    assert Grant.objects.count() == 1


def test_an_over_budget_list_is_refused_and_nothing_is_written(member, yzt_cadre, yz_cadre, tree):
    f = filed(member, cadre=yzt_cadre, approver=yz_cadre)
    p = programme(tree.yz, yz_cadre, budget="1999")
    with pytest.raises(ValidationError, match="budget|预算"):
        services.disbursement_create(actor=yz_cadre, programme=p, lines=[{"file": f.pk}])
    assert not Disbursement.objects.exists() and not AuditEntry.objects.filter(action="hardship.list_create").exists()


def test_typed_amounts_stay_in_the_range(family, yz_cadre, tree):
    p = programme(tree.yz, yz_cadre, kind=ProgrammeKind.SCHOOL, name="金秋助学", amount_rule="range",
                  amounts={}, min_amount="1000", max_amount="3000")
    with pytest.raises(ValidationError):
        services.disbursement_create(actor=yz_cadre, programme=p, lines=[{"file": family.pk, "amount": "5000"}])
    with pytest.raises(ValidationError):
        services.disbursement_create(actor=yz_cadre, programme=p, lines=[{"file": family.pk, "amount": "1000.005"}])
    dl = services.disbursement_create(actor=yz_cadre, programme=p,
                                      lines=[{"file": family.pk, "amount": "2800", "students": 2}])
    services.disbursement_approve(actor=yz_cadre, disbursement=dl)
    services.disbursement_pay(actor=yz_cadre, disbursement=dl)
    day = Grant.objects.get().paid_on
    figures = activity.period_figures(tree.nb.path, day, day)
    assert figures["school_aid_students"] == 2 and figures["school_aid_amount"] == Decimal("2800.00")


def test_a_failed_payment_is_retried_and_paid_once(family, yz_cadre, tree):
    p = programme(tree.yz, yz_cadre)
    dl = services.disbursement_create(actor=yz_cadre, programme=p, lines=[{"file": family.pk}])
    services.disbursement_approve(actor=yz_cadre, disbursement=dl)
    g = Grant.objects.get()
    assert services.disbursement_pay(actor=yz_cadre, disbursement=dl, failed={g.pk: "账号不符"}) == 0
    g.refresh_from_db()
    assert g.status == GrantStatus.FAILED
    services.grant_retry(actor=yz_cadre, grant=g)
    services.grant_retry(actor=yz_cadre, grant=g)
    assert services.disbursement_pay(actor=yz_cadre, disbursement=dl, method="cash") == 1
    assert services.disbursement_pay(actor=yz_cadre, disbursement=dl) == 0
    g.refresh_from_db()
    assert (g.status, g.method) == ("paid", "cash")


def test_a_list_outside_the_programme_union_is_refused(family, bl_cadre, tree):
    p = programme(tree.bl, bl_cadre)
    with pytest.raises(ValidationError):
        services.disbursement_create(actor=bl_cadre, programme=p, lines=[{"file": family.pk}])


def test_the_same_idempotency_key_returns_the_first_list(family, yz_cadre, tree):
    p = programme(tree.yz, yz_cadre)
    a = services.disbursement_create(actor=yz_cadre, programme=p, lines=[{"file": family.pk}], idempotency_key="k1")
    b = services.disbursement_create(actor=yz_cadre, programme=p, lines=[{"file": family.pk}], idempotency_key="k1")
    assert a.pk == b.pk and Grant.objects.count() == 1


pg = pytest.mark.skipif(connection.vendor != "postgresql", reason="real concurrency needs PostgreSQL")


@pg
@pytest.mark.django_db(transaction=True)
def test_two_cadres_paying_at_once_pay_once(tree, yzt_cadre, yz_cadre):
    member = make_member(tree.yze, name="并发甲", id_number=valid_id_number(8301))
    f = filed(member, cadre=yzt_cadre, approver=yz_cadre)
    other = UserFactory()
    grant(other, tree.yz)
    p = programme(tree.yz, yz_cadre)
    dl = services.disbursement_create(actor=yz_cadre, programme=p, lines=[{"file": f.pk}])
    results = run_together([lambda: services.disbursement_approve(actor=yz_cadre, disbursement=dl),
                            lambda: services.disbursement_approve(actor=other, disbursement=dl)])
    assert not any(isinstance(r, Exception) for r in results), results
    p.refresh_from_db()
    assert p.remaining == Decimal("8000.00")
    results = run_together([lambda: services.disbursement_pay(actor=yz_cadre, disbursement=dl),
                            lambda: services.disbursement_pay(actor=other, disbursement=dl)])
    assert sorted(results) == [0, 1]
    assert AuditEntry.objects.filter(action="hardship.list_approve").count() == 1


@pg
@pytest.mark.django_db(transaction=True)
def test_lists_approved_at_once_never_take_the_budget_below_zero(tree, yzt_cadre, yz_cadre):
    p = programme(tree.yz, yz_cadre, budget="5000")
    lists = []
    for i in range(4):
        member = make_member(tree.yze, name=f"并发{i}", id_number=valid_id_number(8400 + i))
        f = filed(member, cadre=yzt_cadre, approver=yz_cadre)
        lists.append(services.disbursement_create(actor=yz_cadre, programme=p, lines=[{"file": f.pk}]))
    results = run_together([lambda dl=dl: services.disbursement_approve(actor=yz_cadre, disbursement=dl)
                            for dl in lists])
    ok = [r for r in results if not isinstance(r, Exception)]
    assert len(ok) == 2 and all(isinstance(r, ValidationError) for r in results if r not in ok)
    p.refresh_from_db()
    assert p.remaining == Decimal("1000.00")


@pg
@pytest.mark.django_db(transaction=True)
def test_two_unions_listing_one_person_at_once_list_them_once(tree, yz_cadre, bl_cadre):
    person = make_member(tree.yze, name="并发乙", id_number=valid_id_number(8501))
    a = programme(tree.nb, UserFactory(is_superuser=True), open_to="any", amounts={"other": "500"}, name="市送温暖")
    b = programme(tree.yz, yz_cadre, open_to="any", amounts={"other": "500"}, name="区送温暖")
    cadre_nb = UserFactory()
    grant(cadre_nb, tree.nb)
    results = run_together([
        lambda: services.disbursement_create(actor=cadre_nb, programme=a, lines=[{"member": person.pk}]),
        lambda: services.disbursement_create(actor=yz_cadre, programme=b, lines=[{"member": person.pk}])])
    assert sum(isinstance(r, Disbursement) for r in results) == 1, results
    assert Grant.objects.filter(person_hash=person.id_hash).count() == 1
    assert past(0)
