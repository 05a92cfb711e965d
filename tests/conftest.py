from dataclasses import dataclass

import pytest

from gonghui.orgs.models import Org, OrgKind
from tests.factories import UserFactory, grant, make_member, make_org


@dataclass
class Tree:
    """NB ─┬─ YZ ── YZT (township) ── YZE (enterprise)
           └─ BL ── BLT (township) ── BLE (enterprise)"""

    nb: Org
    yz: Org
    yzt: Org
    yze: Org
    bl: Org
    blt: Org
    ble: Org


@pytest.fixture(scope="session", autouse=True)
def _urls_loaded_before_any_test():
    """The API's stats schema is built from the registered metrics when the URLconf first loads;
    loading it here keeps a test that swaps the registry (``activity.SOURCES``) from shaping it."""
    import gonghui.urls  # noqa: F401


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # The production hasher takes about half a second per password; fixtures make several users a test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session", autouse=True)
def _flush_may_empty_the_audit_log():
    """The database refuses to delete audit lines; emptying a test database between tests is the
    one purge allowed (``audit.purge_allowed``)."""
    from django.core.management.commands import flush

    from gonghui.core import audit

    original = flush.Command.handle

    def handle(self, *args, **options):
        with audit.purge_allowed(options.get("database") or "default"):
            return original(self, *args, **options)

    flush.Command.handle = handle
    yield
    flush.Command.handle = original


@pytest.fixture(autouse=True)
def _audit_anchor_file(settings, tmp_path):
    """Each test anchors its audit log in its own file: the test database is emptied between tests,
    a shared file would read as a cut log."""
    settings.AUDIT_ANCHOR_FILE = str(tmp_path / "audit-anchors.log")


@pytest.fixture(autouse=True)
def sms_outbox(settings):
    """Texts go to an in-memory outbox (``LocmemSender.outbox``), emptied for each test."""
    from gonghui.core.sms import LocmemSender

    settings.SMS_BACKEND = "gonghui.core.sms.LocmemSender"
    LocmemSender.outbox.clear()
    yield LocmemSender.outbox
    LocmemSender.outbox.clear()


@pytest.fixture
def tree(db) -> Tree:
    nb = make_org(code="NB", name="宁波市总工会", kind=OrgKind.CITY)
    yz = make_org(nb, code="YZ", name="鄞州区总工会", kind=OrgKind.DISTRICT)
    yzt = make_org(yz, code="YZT", name="首南街道总工会", kind=OrgKind.TOWNSHIP)
    yze = make_org(yzt, code="YZE", name="鄞州某科技公司工会", kind=OrgKind.ENTERPRISE)
    bl = make_org(nb, code="BL", name="北仑区总工会", kind=OrgKind.DISTRICT)
    blt = make_org(bl, code="BLT", name="新碶街道总工会", kind=OrgKind.TOWNSHIP)
    ble = make_org(blt, code="BLE", name="北仑某港口公司工会", kind=OrgKind.ENTERPRISE)
    return Tree(*(Org.objects.get(pk=o.pk) for o in (nb, yz, yzt, yze, bl, blt, ble)))


@pytest.fixture
def nb_cadre(tree):
    user = UserFactory(username="nb_cadre")
    grant(user, tree.nb)
    return user


@pytest.fixture
def yz_cadre(tree):
    user = UserFactory(username="yz_cadre")
    grant(user, tree.yz)
    return user


@pytest.fixture
def bl_cadre(tree):
    user = UserFactory(username="bl_cadre")
    grant(user, tree.bl)
    return user


@pytest.fixture
def yz_viewer(tree):
    user = UserFactory(username="yz_viewer")
    grant(user, tree.yz, "viewer")
    return user


@pytest.fixture
def worker(tree):
    """A member with a login and no staff role."""
    user = UserFactory(username="worker")
    member = make_member(tree.yze, name="李师傅", phone="13900001111")
    member.user = user
    member.save(update_fields=["user"])
    return user
