"""The hardship API: the whole story over HTTP, masking and reveal, and the scope matrix."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from gonghui.assistance.models import Grade, HardshipFile
from gonghui.core.models import AuditEntry
from tests.api.conftest import assert_json_error
from tests.assistance.conftest import certificate, filed, programme
from tests.factories import UserFactory, grant, make_member, valid_id_number

pytestmark = pytest.mark.django_db
BASE = "/api/v1/hardship"


def figures(**extra):
    body = {"income": "20000", "household": [
        {"name": "张丽", "relation": "spouse", "id_number": valid_id_number(9001), "yearly_income": "10000"}],
        "costs": [{"kind": "illness", "amount": "6000"}], "flags": {}}
    body.update(extra)
    return body


def test_a_member_applies_and_follows_the_file(api_as, worker):
    api = api_as(worker)
    r = api.post(f"{BASE}/self-test", {"income": "30000", "household_size": 3})
    assert r.status_code == 200 and r.json()["grade"] == "deep", r.content
    assert any("1062" in line for line in r.json()["working"])
    r = api.post(f"{BASE}/files", figures(cause="妻子重病"))
    assert r.status_code == 201, r.content
    assert r.json()["status"] == "submitted" and r.json()["status_label"]
    mine = api.get(f"{BASE}/my/files").json()
    assert [f["id"] for f in mine] == [r.json()["id"]]


def test_bad_figures_answer_422_and_write_nothing(api_as, worker):
    api = api_as(worker)
    assert_json_error(api.post(f"{BASE}/files", figures(income="-5")), 422)
    assert_json_error(api.post(f"{BASE}/files", figures(income=1000.5)), 422)
    assert_json_error(api.post(f"{BASE}/self-test", {"income": "100", "household_size": 0}), 422)
    assert not HardshipFile.objects.exists()


def test_a_non_member_cannot_apply(api_as, tree):
    assert_json_error(api_as(UserFactory()).post(f"{BASE}/files", figures()), 422)


def test_cadre_flow_over_http(api_as, member, yzt_cadre, yz_cadre, tree):
    cadre = api_as(yzt_cadre)
    r = cadre.post(f"{BASE}/files", figures(member=member.pk))
    fid = r.json()["id"]
    assert_json_error(cadre.post(f"{BASE}/files/{fid}/notice", {}), 422)  # no unit certificate yet
    from django.test import Client

    from gonghui.core.services import api_token_issue

    c = Client()
    token = api_token_issue(user=yzt_cadre)
    [(kind, upload)] = certificate()
    r = c.post(f"{BASE}/files/{fid}/documents", {"kind": kind, "upload": upload},
               headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 201, r.content
    assert cadre.post(f"{BASE}/files/{fid}/notice", {}).json()["status"] == "notice"
    HardshipFile.objects.filter(pk=fid).update(notice_end="2020-01-01")
    assert_json_error(cadre.post(f"{BASE}/files/{fid}/approve", {}), 403)
    r = api_as(yz_cadre).post(f"{BASE}/files/{fid}/approve", {})
    assert r.json()["status"] == "active"


def test_a_viewer_sees_incomes_masked_and_a_cadre_reveals_with_an_audit_line(api_as, member, yzt_cadre, yz_cadre,
                                                                            yz_viewer):
    f = filed(member, cadre=yzt_cadre, approver=yz_cadre)
    seen = api_as(yz_viewer).get(f"{BASE}/files/{f.pk}").json()
    assert seen["per_capita"] is None and seen["gradings"] == []
    assert all(p["yearly_income"] is None for p in seen["household"])
    assert_json_error(api_as(yz_viewer).get(f"{BASE}/files/{f.pk}/household"), 403)
    full = api_as(yz_cadre).get(f"{BASE}/files/{f.pk}/household").json()
    assert valid_id_number(9001) in [p["id_number"] for p in full]
    assert AuditEntry.objects.filter(action="hardship.reveal").count() == 1
    assert api_as(yz_cadre).get(f"{BASE}/files/{f.pk}").json()["gradings"][0]["grade"] == "deep"


def test_help_over_http_pays_once(api_as, member, yzt_cadre, yz_cadre, tree):
    f = filed(member, cadre=yzt_cadre, approver=yz_cadre)
    api = api_as(yz_cadre)
    r = api.post(f"{BASE}/programmes", {"org": "YZ", "kind": "winter", "name": "2026年送温暖", "cycle": 2026,
                                        "budget": "10000", "amount_rule": "by_grade", "amounts": {"deep": "2000"}})
    assert r.status_code == 201, r.content
    r = api.post(f"{BASE}/programmes/{r.json()['id']}/lists", {"lines": [{"file": f.pk}], "idempotency_key": "a"})
    lid = r.json()["id"]
    assert api.post(f"{BASE}/lists/{lid}/approve", {}).json()["status"] == "approved"
    assert api.post(f"{BASE}/lists/{lid}/pay", {}).json() == {"paid": 1}
    assert api.post(f"{BASE}/lists/{lid}/pay", {}).json() == {"paid": 0}
    stats = api.get("/api/v1/orgs/YZ/stats", **{"from": "2020-01-01", "to": "2099-12-31"}).json()
    assert stats["assistance_paid_amount"] == "2000.00" and stats["hardship_filed"] == 1


def test_the_notice_board_masks_names(api_as, member, yzt_cadre, worker):
    from gonghui.assistance import services

    f = services.file_apply(actor=yzt_cadre, member=member, documents=certificate(), income="20000")
    f = services.file_start_notice(actor=yzt_cadre, file=f)
    board = api_as(worker).get(f"{BASE}/notices").json()
    assert board == [{"name": "张**", "org": member.org.name, "grade": str(Grade.RELATIVE.label),
                      "notice_end": f.notice_end.isoformat()}]


def test_the_file_list_runs_a_fixed_number_of_queries(api_as, tree, yzt_cadre, yz_cadre):
    api = api_as(yz_cadre)

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert api.get(f"{BASE}/files").status_code == 200
        return len(ctx)

    filed(make_member(tree.yze, name="甲", id_number=valid_id_number(8601)), cadre=yzt_cadre, approver=yz_cadre)
    one = count()
    for i in range(5):
        filed(make_member(tree.yze, name=f"乙{i}", id_number=valid_id_number(8610 + i)), cadre=yzt_cadre,
              approver=yz_cadre)
    assert count() == one


# --- scope matrix: every endpoint × a cadre of each district, the city, a viewer, a member, anonymous -----

READ_PATHS = ["/files/{file}", "/files?org={org}", "/lists/{list}"]
WRITE_PATHS = ["/files/{file}/pause", "/files/{file}/visits", "/lists/{list}/approve", "/files/{file}/household"]


@pytest.fixture
def world(tree, yzt_cadre, yz_cadre, bl_cadre, nb_cadre, yz_viewer, worker):
    blt_cadre = UserFactory()
    grant(blt_cadre, tree.blt)
    out = {}
    for code, org, cadre, approver in (("YZ", tree.yze, yzt_cadre, yz_cadre), ("BL", tree.ble, blt_cadre, bl_cadre)):
        f = filed(make_member(org, name=f"{code}职工", id_number=valid_id_number(8700 + len(out))), cadre=cadre,
                  approver=approver)
        dl_org = tree.yz if code == "YZ" else tree.bl
        from gonghui.assistance import services

        dl = services.disbursement_create(actor=approver, programme=programme(dl_org, approver),
                                          lines=[{"file": f.pk}])
        out[code] = {"file": f.pk, "list": dl.pk, "org": org.code}
    users = {"yz": yz_cadre, "bl": bl_cadre, "nb": nb_cadre, "yz_viewer": yz_viewer, "member": worker,
             "anonymous": None}
    return out, users


READS = {"yz": {"YZ"}, "bl": {"BL"}, "nb": {"YZ", "BL"}, "yz_viewer": {"YZ"}, "member": set(), "anonymous": set()}
WRITES = {"yz": {"YZ"}, "bl": {"BL"}, "nb": {"YZ", "BL"}, "yz_viewer": set(), "member": set(), "anonymous": set()}


@pytest.mark.parametrize("who", list(READS))
def test_no_read_or_write_crosses_a_subtree(api_as, world, who):
    targets, users = world
    api = api_as(users[who])
    for district, ids in targets.items():
        for path in READ_PATHS:
            r = api.get(BASE + path.format(**ids))
            if who == "anonymous":
                assert r.status_code == 401
            elif district in READS[who]:
                assert r.status_code == 200, (who, path, r.content)
            else:
                assert r.status_code == 404 and r.json()["code"] == "not_found", (who, path, district, r.content)
        for path in WRITE_PATHS:
            body = {"visited_on": "2025-01-05", "visitors": "王主席", "reason": "外出"} if "visits" in path or \
                "pause" in path else {}
            url = BASE + path.format(**ids)
            r = api.get(url) if path.endswith("household") else api.post(url, body)
            if who == "anonymous":
                assert r.status_code == 401
            elif district in WRITES[who]:
                assert r.status_code == 200, (who, path, r.content)
            elif district in READS[who]:
                assert r.status_code == 403, (who, path, r.content)
            else:
                assert r.status_code == 404, (who, path, district, r.content)
