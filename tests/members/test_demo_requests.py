"""The demo fills the cadres' join and transfer queues, without changing any calibrated count."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from gonghui.core import pii
from gonghui.core.ids import parse_id_number, parse_phone
from gonghui.core.models import AccountPhone, AuditEntry
from gonghui.demo.calibration import SEED_FIGURES, scaled
from gonghui.demo.services import demo_load
from gonghui.members.demo import USERNAME_PREFIX
from gonghui.members.figures import subtree_stats
from gonghui.members.models import JoinApplication, JoinStatus, Member, Transfer, TransferStatus
from gonghui.members.selectors import join_queue, transfer_queue
from gonghui.members.services import join_approve, transfer_approve
from gonghui.orgs.models import Org, OrgKind
from tests.demo.conftest import PASSWORD, TEST_SCALE

User = get_user_model()
KEYS = ("orgs", "members", "new_form_orgs", "new_form_members")


def _requests() -> dict:
    return {
        "joins": list(JoinApplication.objects.order_by("pk").values_list(
            "applicant__username", "org__code", "name", "id_hash", "phone_hash", "status", "category", "employer")),
        "transfers": list(Transfer.objects.order_by("pk").values_list(
            "member__card_number", "from_org__code", "to_org__code", "status", "changes", "requested_by__username")),
    }


@pytest.fixture
def small(db):
    return demo_load(scale=Decimal("0.01"), password=PASSWORD)


def test_cadres_of_yz_and_bl_find_applications_waiting_also_in_new_form_unions(small):
    for code in ("YZ", "BL"):
        cadre, district = User.objects.get(username=code.lower()), Org.objects.get(code=code)
        waiting = list(join_queue(user=cadre, org=district))
        assert len(waiting) >= 3
        assert any(a.org.kind == OrgKind.NEW_FORM for a in waiting)
        assert all(a.status == JoinStatus.PENDING for a in waiting)
    assert JoinApplication.objects.filter(status=JoinStatus.REFUSED).exclude(reason="").exists()
    approved = JoinApplication.objects.select_related("member").get(status=JoinStatus.APPROVED)
    assert approved.member.user_id == approved.applicant_id and approved.member.id_hash == approved.id_hash


def test_transfers_wait_between_districts_and_the_sending_union_sees_them(small):
    pending = Transfer.objects.filter(status=TransferStatus.PENDING).select_related("from_org", "to_org")
    assert pending.count() >= 3
    for transfer in pending:
        assert transfer.from_path[:8] != transfer.to_path[:8]  # different districts
    yz, bl = User.objects.get(username="yz"), User.objects.get(username="bl")
    assert transfer_queue(user=yz, org=Org.objects.get(code="YZ")).exists()
    assert transfer_queue(user=bl, org=Org.objects.get(code="BL"), direction="out").exists()


def test_requests_do_not_change_the_calibrated_counts(small):
    for code in ("NB", "YZ", "BL", "FH", "YY"):
        stats = subtree_stats(org=Org.objects.get(code=code))
        assert tuple(stats[k] for k in KEYS) == tuple(scaled(v, Decimal("0.01")) for v in SEED_FIGURES[code].as_tuple())


def test_applicants_are_protected_like_real_ones(small):
    applications = JoinApplication.objects.filter(status=JoinStatus.PENDING)
    hashes = list(applications.values_list("id_hash", flat=True))
    assert not Member.objects.filter(id_hash__in=hashes).exists()  # nobody applies who is a member already
    for application in applications:
        number = pii.decrypt(application.id_cipher, key_id=application.pii_key_id, bound_to=application.id_hash)
        assert parse_id_number(number).masked == application.id_masked
        assert pii.digest("id", number) == application.id_hash
        phone = pii.decrypt(application.phone_cipher, key_id=application.pii_key_id, bound_to=application.phone_hash)
        account = AccountPhone.objects.get(user=application.applicant)
        assert account.phone_hash == application.phone_hash == pii.digest("phone", parse_phone(phone))
        assert not application.applicant.has_usable_password()
    # The demo load stays one audit line.
    assert AuditEntry.objects.count() == 1


def test_a_cadre_can_decide_the_demo_requests(small):
    yz = User.objects.get(username="yz")
    application = join_queue(user=yz, org=Org.objects.get(code="YZ")).first()
    member = join_approve(actor=yz, application=application)
    assert member.card_number and member.user_id == application.applicant_id
    transfer = transfer_queue(user=yz, org=Org.objects.get(code="YZ")).first()
    transfer_approve(actor=yz, transfer=transfer)
    assert Member.objects.get(pk=transfer.member_id).org_id == transfer.to_org_id


def test_the_same_scale_gives_the_same_requests_and_another_scale_removes_them(db):
    demo_load(scale=TEST_SCALE, password=PASSWORD)
    first = _requests()
    assert first["joins"] and first["transfers"]
    applicants = User.objects.filter(username__startswith=USERNAME_PREFIX).count()
    demo_load(scale=Decimal("0.001"), password=PASSWORD)
    nb = Org.objects.get(code="NB")
    assert not JoinApplication.objects.exclude(org_path__startswith=nb.path).exists()
    assert not Transfer.objects.exclude(to_path__startswith=nb.path).exists()
    assert User.objects.filter(username__startswith=USERNAME_PREFIX).count() == (
        JoinApplication.objects.count() + Transfer.objects.count())
    demo_load(scale=TEST_SCALE, password=PASSWORD)
    assert _requests() == first
    assert User.objects.filter(username__startswith=USERNAME_PREFIX).count() == applicants


def test_an_applicant_who_acted_since_keeps_the_account_and_the_demo_still_reloads(db):
    demo_load(scale=TEST_SCALE, password=PASSWORD)
    from gonghui.members.services import join_cancel

    application = JoinApplication.objects.filter(status=JoinStatus.PENDING).first()
    join_cancel(actor=application.applicant, application=application)  # audited: the account is referred to
    demo_load(scale=Decimal("0.001"), password=PASSWORD)
    assert User.objects.filter(pk=application.applicant_id).exists()
    assert JoinApplication.objects.filter(status=JoinStatus.PENDING).exists()
