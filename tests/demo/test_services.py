"""The demo load against the database (SQLite, and PostgreSQL when DATABASE_URL says so)."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import F

from gonghui.core import pii
from gonghui.core.ids import is_luhn_valid, mask_id_number, parse_id_number
from gonghui.core.models import AuditEntry, Role, RoleKind
from gonghui.core.paths import subtree_q
from gonghui.core.scope import Perm, scope_for
from gonghui.demo import bulk
from gonghui.demo.calibration import SEED_FIGURES, scaled
from gonghui.demo.services import ACTION, demo_load
from gonghui.members.figures import subtree_stats
from gonghui.members.models import Category, Member, MemberStatus
from gonghui.members.services import card_number_for
from gonghui.orgs.models import Org, OrgKind
from tests.demo.conftest import PASSWORD, TEST_SCALE
from tests.factories import make_org

User = get_user_model()
STATS_KEYS = ("orgs", "members", "new_form_orgs", "new_form_members")


def _expected(code: str, scale: Decimal) -> tuple[int, ...]:
    return tuple(scaled(v, scale) for v in SEED_FIGURES[code].as_tuple())


def _totals(code: str) -> tuple[int, ...]:
    stats = subtree_stats(org=Org.objects.get(code=code))
    return tuple(stats[k] for k in STATS_KEYS)


def _snapshot() -> dict:
    return {
        "orgs": list(Org.objects.order_by("path").values_list("code", "name", "kind", "credit_code", "depth")),
        "members": list(Member.objects.order_by("card_number").values_list(
            "name", "id_hash", "id_masked", "org__code", "birth_date", "sex", "region_code", "category", "status",
            "is_new_form", "employer", "joined_on", "left_on", "card_number", "phone_hash", "phone_masked")),
    }


def test_subtree_totals_are_the_seed_figures_times_the_scale(demo):
    for code in ("NB", "YZ", "BL", "FH", "YY"):
        assert _totals(code) == _expected(code, TEST_SCALE), code


def test_every_district_and_the_city_unions_are_there(demo):
    nb = Org.objects.get(code="NB")
    districts = Org.objects.get_children(nb)
    assert [d.code for d in districts[:10]] == ["HS", "JB", "ZH", "BL", "YZ", "FH", "YY", "CX", "NH", "XS"]
    assert {d.kind for d in districts[:10]} == {OrgKind.DISTRICT}
    assert nb.kind == OrgKind.CITY and nb.name == "宁波市总工会"
    others = sum(_totals(c)[1] for c in ["HS", "JB", "ZH", "BL", "YZ", "FH", "YY", "CX", "NH", "XS"])
    city_level = Member.objects.filter(org__depth=2, org__kind=OrgKind.INDUSTRY, status=MemberStatus.ACTIVE).count()
    assert others + city_level == _totals("NB")[1]


def test_the_tree_is_a_valid_treebeard_tree(demo):
    assert Org.objects.find_problems() == ([], [], [], [], [])
    nb = Org.objects.get(code="NB")
    assert nb.depth == 1 and nb.numchild == Org.objects.get_children(nb).count()
    assert Org.objects.get_parent(Org.objects.get(code="YZ")) == nb
    # The next union added the ordinary way lands after the demo's.
    yz = Org.objects.get(code="YZ")
    added = Org.objects.add_child(yz, dict(code="YZ-NEW", name="新加工会", kind=OrgKind.TOWNSHIP))
    assert added.path > max(Org.objects.filter(subtree_q(yz.path)).exclude(pk=added.pk).values_list("path", flat=True))


def test_members_carry_their_unions_path(demo):
    assert not Member.objects.exclude(org_path=F("org__path")).exists()


def test_id_numbers_are_valid_unique_and_protected_like_the_service_does(demo):
    rows = list(Member.objects.values_list(
        "pk", "id_hash", "id_cipher", "id_masked", "pii_key_id", "birth_date", "sex", "region_code", "card_number",
        "phone_hash", "phone_cipher", "phone_masked"))
    numbers = set()
    for pk, id_hash, cipher, masked, key_id, birth, sex, region, card, phone_hash, phone_cipher, phone_masked in rows:
        number = pii.decrypt(cipher, key_id=key_id, bound_to=id_hash)
        info = parse_id_number(number)
        assert (info.birth_date, info.sex, info.region_code) == (birth, sex, region)
        assert masked == mask_id_number(number) and id_hash == pii.digest("id", number)
        assert card == card_number_for(pk) and is_luhn_valid(card)
        if phone_hash:
            phone = pii.decrypt(phone_cipher, key_id=key_id, bound_to=phone_hash)
            assert phone_masked == f"{phone[:3]}****{phone[-4:]}" and len(phone) == 11
        numbers.add(number)
    assert len(numbers) == len(rows)


def test_members_look_like_a_workforce(demo):
    members = Member.objects.filter(status=MemberStatus.ACTIVE)
    total = members.count()
    men = members.filter(sex="M").count()
    assert 0.5 < men / total < 0.65
    ningbo = members.filter(region_code__startswith="3302").count()
    assert 0.6 < ningbo / total < 0.9
    new_form = members.filter(is_new_form=True)
    assert new_form.exclude(category="").count() / new_form.count() > 0.85
    assert not members.filter(is_new_form=False).exclude(category="").exists()
    left = Member.objects.filter(status=MemberStatus.LEFT)
    assert left.exists() and not left.filter(left_on__isnull=True).exists()
    assert not members.exclude(left_on__isnull=True).exists()
    assert members.filter(joined_on__year=2025).count() > members.filter(joined_on__year=2006).count()


def test_loading_the_same_scale_again_changes_nothing(demo):
    before = _snapshot()
    counts = (Org.objects.count(), Member.objects.count(), User.objects.count(), Role.objects.count(),
              AuditEntry.objects.count())
    passwords = dict(User.objects.values_list("username", "password"))
    result = demo_load(scale=TEST_SCALE, password=PASSWORD)
    assert not result.loaded
    assert (Org.objects.count(), Member.objects.count(), User.objects.count(), Role.objects.count(),
            AuditEntry.objects.count()) == counts
    assert dict(User.objects.values_list("username", "password")) == passwords
    assert _snapshot() == before


def test_the_same_scale_gives_the_same_data_and_another_scale_replaces_it(demo):
    first = _snapshot()
    other = Decimal("0.001")
    replaced = demo_load(scale=other, password=PASSWORD)
    assert replaced.loaded and replaced.replaced == "0.002"
    for code in ("NB", "YZ", "BL", "FH", "YY"):
        assert _totals(code) == _expected(code, other)
    assert Org.objects.find_problems() == ([], [], [], [], [])
    demo_load(scale=TEST_SCALE, password=PASSWORD)
    assert _snapshot() == first
    # One audit line per load, none removed.
    loads = [entry.data["scale"] for entry in AuditEntry.objects.filter(action=ACTION).order_by("seq")]
    assert loads == ["0.002", "0.001", "0.002"]


def test_logins_and_roles(demo):
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff and admin.check_password(PASSWORD)
    for username, code in {"nb": "NB", "yz": "YZ", "bl": "BL", "fh": "FH", "yy": "YY"}.items():
        user = User.objects.get(username=username)
        assert user.check_password(PASSWORD) and not user.is_superuser
        assert Role.objects.filter(user=user, kind=RoleKind.CADRE, org__code=code).exists()
        assert scope_for(user, Perm.MANAGE).paths == (Org.objects.get(code=code).path,)
    worker = User.objects.get(username="worker")
    member = Member.objects.select_related("org").get(user=worker)
    assert member.status == MemberStatus.ACTIVE and member.is_new_form
    assert member.org_path.startswith(Org.objects.get(code="YZ").path)
    assert member.category == Category.DELIVERY_RIDER
    assert worker.check_password(PASSWORD) and not Role.objects.filter(user=worker).exists()


def test_one_audit_line_per_load(demo):
    entries = AuditEntry.objects.filter(action=ACTION)
    assert entries.count() == 1
    assert entries.get().data["scale"] == "0.002"
    assert AuditEntry.objects.count() == 1  # not one per row


def test_the_command_refuses_the_default_password_without_debug(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--password"):
        call_command("demo", "--scale", "0.002")
    assert not Org.objects.exists()


def test_the_command_accepts_an_explicit_password_and_prints_the_logins(db, settings, capsys):
    settings.DEBUG = False
    call_command("demo", "--scale", "0.002", "--password", PASSWORD)
    out = capsys.readouterr().out
    assert "Loaded the demo at scale 0.002" in out and "worker" in out and PASSWORD not in out
    call_command("demo", "--scale", "0.002", "--password", PASSWORD)
    assert "already loaded" in capsys.readouterr().out


def test_the_command_uses_the_default_password_in_debug(db, settings, capsys):
    settings.DEBUG = True
    call_command("demo", "--scale", "0.001")
    assert "password gonghui-demo" in capsys.readouterr().out
    assert User.objects.get(username="yz").check_password("gonghui-demo")


@pytest.mark.parametrize("scale", ["0", "2", "tiny", "0.00001"])
def test_the_command_explains_a_bad_scale(db, scale):
    with pytest.raises(CommandError, match="scale"):
        call_command("demo", "--scale", scale, "--password", PASSWORD)
    assert not Org.objects.exists()


def test_it_never_overwrites_an_nb_it_did_not_create(db):
    make_org(code="NB", name="宁波市总工会", kind=OrgKind.CITY)
    with pytest.raises(CommandError, match="did not create"):
        call_command("demo", "--scale", "0.002", "--password", PASSWORD)
    assert Org.objects.count() == 1


@pytest.mark.postgres
def test_a_big_load_on_postgresql_is_parallel_and_rebuilds_every_index_and_key(db, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")

    def definitions():
        with connection.cursor() as cursor:
            cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = 'members_member' ORDER BY 1")
            indexes = [r[0] for r in cursor.fetchall()]
            cursor.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                           "WHERE conrelid = 'members_member'::regclass ORDER BY 1")
            return indexes, cursor.fetchall()

    before = definitions()
    monkeypatch.setattr(bulk, "BARE_TABLE_MIN_ROWS", 0)
    monkeypatch.setattr(bulk, "PARALLEL_MIN_ROWS", 0)
    monkeypatch.setattr(bulk, "MAX_WORKERS", 2)
    monkeypatch.setattr(bulk, "CHUNK_ROWS", 500)
    messages = []
    demo_load(scale=TEST_SCALE, password=PASSWORD, log=messages.append)
    assert any(m.startswith("Dropped") for m in messages) and any(m.startswith("Rebuilt") for m in messages)
    assert definitions() == before
    for code in ("NB", "YZ", "BL", "FH", "YY"):
        assert _totals(code) == _expected(code, TEST_SCALE)
    member = Member.objects.filter(phone_hash__gt="").order_by("id").first()
    number = pii.decrypt(member.id_cipher, key_id=member.pii_key_id, bound_to=member.id_hash)
    assert parse_id_number(number).birth_date == member.birth_date and member.card_number == card_number_for(member.pk)
    # COPY text written by the producers holds exactly what the sequential path writes.
    parallel = _snapshot()
    monkeypatch.setattr(bulk, "PARALLEL_MIN_ROWS", 10**9)
    demo_load(scale=Decimal("0.001"), password=PASSWORD)
    demo_load(scale=TEST_SCALE, password=PASSWORD)
    assert _snapshot() == parallel
    # The id sequence was moved past the explicit ids.
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence('members_member', 'id'))")
        assert cursor.fetchone()[0] > Member.objects.order_by("-id").values_list("id", flat=True).first()


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="VACUUM is PostgreSQL's")
def test_the_command_leaves_the_tables_vacuumed_and_analysed_on_postgresql(transactional_db, capsys):
    call_command("demo", "--scale", "0.001", "--password", PASSWORD)
    assert "Vacuumed and analysed" in capsys.readouterr().out
    with connection.cursor() as cursor:
        cursor.execute("SELECT relallvisible, reltuples FROM pg_class WHERE relname = 'members_member'")
        all_visible, tuples = cursor.fetchone()
    assert all_visible > 0 and tuples > 0  # index-only counts and real statistics from the first request
