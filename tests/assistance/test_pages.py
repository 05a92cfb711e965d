"""The staff and member pages: what a cadre and a worker see and do, in Chinese, within scope."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from gonghui.assistance import services
from gonghui.assistance.models import Disbursement, FileStatus, Grant, HardshipFile, Visit
from gonghui.core.models import AuditEntry
from tests.assistance.conftest import PDF, certificate, filed, past, programme, upload
from tests.factories import make_member, valid_id_number

pytestmark = pytest.mark.django_db


def test_the_home_shows_figures_the_queue_and_the_standard(client, yz_cadre, member, yzt_cadre):
    services.file_apply(actor=yzt_cadre, member=member, **_figures())
    client.force_login(yz_cadre)
    r = client.get(reverse("staff:assistance:home"))
    text = r.content.decode()
    assert r.status_code == 200 and 'data-testid="queue-submitted">1<' in text
    assert "1,062.00" in text and "困难职工帮扶" in text
    # the menu entry carries the badge of what waits
    assert 'data-testid="menu-assistance"' in text and "assistance-waiting" in text


def _figures():
    return dict(income="20000", household=[{"name": "张丽", "relation": "spouse",
                                            "id_number": valid_id_number(9001), "yearly_income": "10000"}])


def test_a_cadre_opens_a_file_for_a_member_by_id_number(client, yzt_cadre, member):
    client.force_login(yzt_cadre)
    r = client.post(reverse("staff:assistance:file_new"), {
        "id_number": valid_id_number(8001), "income": "20000", "homes": "1", "p0_name": "张丽", "p0_relation": "spouse",
        "p0_id": valid_id_number(9001), "p0_income": "10000", "document_kind": "unit_certificate",
        "documents": [upload()]})
    assert r.status_code == 302, r.content.decode()[:3000]
    f = HardshipFile.objects.get()
    assert f.grade == "relative" and f.documents.count() == 1
    page = client.get(reverse("staff:assistance:file", args=[f.pk])).content.decode()
    assert "1,250.00" in page or "1250.00" in page  # 30000 ÷ 12 ÷ 2
    assert "低保" in page and 'data-testid="working"' in page


def test_a_stranger_id_number_is_refused_with_a_chinese_message(client, yzt_cadre, tree):
    client.force_login(yzt_cadre)
    r = client.post(reverse("staff:assistance:file_new"), {"id_number": valid_id_number(7777), "income": "100",
                                                           "homes": "1", "document_kind": "unit_certificate"})
    assert r.status_code == 422 and "会员" in r.content.decode()
    assert not HardshipFile.objects.exists()


def test_the_actions_move_a_file_through_notice_and_approval(client, yzt_cadre, yz_cadre, member):
    f = services.file_apply(actor=yzt_cadre, member=member, documents=certificate(), **_figures())
    client.force_login(yzt_cadre)
    client.post(reverse("staff:assistance:file_action", args=[f.pk, "notice"]))
    f.refresh_from_db()
    assert f.status == FileStatus.NOTICE
    HardshipFile.objects.filter(pk=f.pk).update(notice_end=past(1))
    client.force_login(yz_cadre)
    page = client.get(reverse("staff:assistance:file", args=[f.pk])).content.decode()
    assert 'data-testid="approve"' in page
    client.post(reverse("staff:assistance:file_action", args=[f.pk, "approve"]))
    f.refresh_from_db()
    assert f.status == FileStatus.ACTIVE
    r = client.post(reverse("staff:assistance:file_action", args=[f.pk, "visit"]), {
        "visited_on": past(2).isoformat(), "kind": "night", "visitors": "王主席", "persons": "2", "per_capita": "900"})
    assert r.status_code == 302 and Visit.objects.get().persons == 2


def test_a_cadre_of_another_district_gets_404(client, bl_cadre, yzt_cadre, yz_cadre, member):
    f = filed(member, cadre=yzt_cadre, approver=yz_cadre)
    client.force_login(bl_cadre)
    assert client.get(reverse("staff:assistance:file", args=[f.pk])).status_code == 404
    assert client.post(reverse("staff:assistance:file_action", args=[f.pk, "pause"]), {"reason": "x"}).status_code == 404
    assert client.get(reverse("staff:assistance:home") + "?org=YZ").status_code == 404


def test_reveal_shows_the_full_id_numbers_and_is_audited(client, yz_cadre, yzt_cadre, member):
    f = filed(member, cadre=yzt_cadre, approver=yz_cadre)
    client.force_login(yz_cadre)
    page = client.get(reverse("staff:assistance:file", args=[f.pk])).content.decode()
    assert valid_id_number(9001) not in page
    page = client.post(reverse("staff:assistance:file_reveal", args=[f.pk])).content.decode()
    assert valid_id_number(9001) in page and AuditEntry.objects.filter(action="hardship.reveal").exists()


def test_a_list_is_drafted_approved_and_paid_from_the_pages(client, yz_cadre, yzt_cadre, member, tree):
    f = filed(member, cadre=yzt_cadre, approver=yz_cadre)
    p = programme(tree.yz, yz_cadre)
    client.force_login(yz_cadre)
    r = client.post(reverse("staff:assistance:programme", args=[p.pk]), {"file": [f.pk], "key": "k"})
    dl = Disbursement.objects.get()
    assert r.status_code == 302
    client.post(reverse("staff:assistance:list_action", args=[dl.pk, "approve"]))
    client.post(reverse("staff:assistance:list_action", args=[dl.pk, "pay"]), {"method": "cash"})
    client.post(reverse("staff:assistance:list_action", args=[dl.pk, "pay"]), {"method": "cash"})
    assert Grant.objects.get().status == "paid"
    assert AuditEntry.objects.filter(action="hardship.list_pay").count() == 2


def test_the_file_list_exports_and_counts_queries(client, yz_cadre, yzt_cadre, tree):
    client.force_login(yz_cadre)
    url = reverse("staff:assistance:files")

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx)

    filed(make_member(tree.yze, name="甲", id_number=valid_id_number(8601)), cadre=yzt_cadre, approver=yz_cadre)
    one = count()
    for i in range(4):
        filed(make_member(tree.yze, name=f"乙{i}", id_number=valid_id_number(8610 + i)), cadre=yzt_cadre,
              approver=yz_cadre)
    assert count() == one
    r = client.get(url + "?format=xlsx")
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxml")
    assert AuditEntry.objects.filter(action="hardship.file_export").count() == 1


def test_a_member_self_tests_applies_and_follows_the_file(client, worker):
    client.force_login(worker)
    page = client.get(reverse("portal:assistance:self_test"), {"income": "48000", "household_size": "2"})
    text = page.content.decode()
    assert "相对困难" in text and 'data-testid="apply-with-figures"' in text
    r = client.post(reverse("portal:assistance:apply"), {"income": "20000", "homes": "1",
                                                          "document_kind": "unit_certificate",
                                                          "documents": [upload("证明.pdf", PDF)]})
    assert r.status_code == 302, r.content.decode()[:2000]
    text = client.get(reverse("portal:assistance:cover")).content.decode()
    assert 'data-testid="my-file"' in text and "工会" in text


def test_the_home_grid_has_the_hardship_tile(client, worker):
    client.force_login(worker)
    text = client.get("/").content.decode()
    assert reverse("portal:assistance:cover") in text
