"""The full ID number: only for roles that may, only on POST, always audited, never cached."""

from gonghui.core.models import AuditEntry
from tests.pages.conftest import YZ_MEMBER_ID


def _reveals():
    return AuditEntry.objects.filter(action="member.reveal_id")


def test_a_cadre_reveals_through_htmx_and_it_is_audited(client, yz_cadre, yz_member):
    client.force_login(yz_cadre)
    response = client.post(f"/staff/members/{yz_member.pk}/reveal/", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert YZ_MEMBER_ID in html and "<html" not in html
    assert "no-store" in response["Cache-Control"]
    entry = _reveals().get()
    assert entry.actor == yz_cadre and entry.object_id == str(yz_member.pk)
    assert YZ_MEMBER_ID not in str(entry.data)


def test_without_javascript_the_page_comes_back_with_the_number(client, yz_cadre, yz_member):
    client.force_login(yz_cadre)
    response = client.post(f"/staff/members/{yz_member.pk}/reveal/")
    html = response.content.decode()
    assert response.status_code == 200 and "<html" in html and YZ_MEMBER_ID in html
    assert "查看了完整身份证号" in html  # the timeline already shows this reveal
    assert _reveals().count() == 1


def test_reveal_needs_a_post_with_csrf(client, yz_cadre, yz_member):
    from django.test import Client

    client.force_login(yz_cadre)
    assert client.get(f"/staff/members/{yz_member.pk}/reveal/").status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(yz_cadre)
    assert strict.post(f"/staff/members/{yz_member.pk}/reveal/").status_code == 403
    assert not _reveals().exists()


def test_the_htmx_button_carries_the_csrf_header(client, yz_cadre, yz_member):
    client.force_login(yz_cadre)
    html = client.get(f"/staff/members/{yz_member.pk}/").content.decode()
    assert 'hx-headers=\'{"X-CSRFToken": "' in html
    assert f'hx-post="/staff/members/{yz_member.pk}/reveal/"' in html


def test_a_viewer_sees_no_button_and_is_refused(client, yz_viewer, yz_member):
    client.force_login(yz_viewer)
    html = client.get(f"/staff/members/{yz_member.pk}/").content.decode()
    assert "显示完整身份证号" not in html
    response = client.post(f"/staff/members/{yz_member.pk}/reveal/", HTTP_HX_REQUEST="true")
    assert response.status_code == 403
    assert YZ_MEMBER_ID not in response.content.decode()
    assert not _reveals().exists()


def test_another_district_gets_404(client, bl_cadre, yz_member):
    client.force_login(bl_cadre)
    response = client.post(f"/staff/members/{yz_member.pk}/reveal/", HTTP_HX_REQUEST="true")
    assert response.status_code == 404
    assert not _reveals().exists()


def test_a_member_without_a_role_is_refused(client, worker, yz_member):
    client.force_login(worker)
    assert client.post(f"/staff/members/{yz_member.pk}/reveal/").status_code == 403
    assert not _reveals().exists()


def test_anonymous_is_sent_to_login(client, yz_member):
    response = client.post(f"/staff/members/{yz_member.pk}/reveal/")
    assert response.status_code == 302
    assert not _reveals().exists()
