"""Who may open which workbench page: in scope 200, sibling subtree 404 (org pages, as an unknown code,
and objects), members without a role 403, anonymous visitors to the staff login."""

import pytest

# Org-level pages of the YZ subtree: (name, url template)
ORG_PAGES = [
    ("home", "/staff/?org=YZ"),
    ("stats", "/staff/stats/?org=YZ"),
    ("org", "/staff/orgs/YZ/"),
    ("org_child", "/staff/orgs/YZE/"),
    ("members", "/staff/orgs/YZ/members/"),
    ("members_of", "/staff/members/?org=YZ"),
    ("org_add", "/staff/orgs/YZ/add/"),
    ("org_edit", "/staff/orgs/YZT/edit/"),
    ("member_add", "/staff/orgs/YZE/members/add/"),
]
MANAGE_PAGES = {"org_add", "org_edit", "member_add"}
MEMBER_PAGES = [("member", "/staff/members/{pk}/"), ("member_edit", "/staff/members/{pk}/edit/")]


@pytest.mark.parametrize(("name", "url"), ORG_PAGES)
def test_a_cadre_opens_every_org_page_of_their_subtree(client, yz_cadre, name, url):
    client.force_login(yz_cadre)
    response = client.get(url, follow=name == "members_of")
    assert response.status_code == 200


@pytest.mark.parametrize(("name", "url"), MEMBER_PAGES)
def test_a_cadre_opens_member_pages_of_their_subtree(client, yz_cadre, yz_member, name, url):
    client.force_login(yz_cadre)
    assert client.get(url.format(pk=yz_member.pk)).status_code == 200


@pytest.mark.parametrize(("name", "url"), ORG_PAGES)
def test_a_sibling_district_cadre_gets_404_for_org_pages_as_for_an_unknown_code(client, bl_cadre, name, url):
    client.force_login(bl_cadre)
    assert client.get(url).status_code == 404
    assert client.get(url.replace("YZ", "NOSUCH")).status_code == 404


@pytest.mark.parametrize(("name", "url"), MEMBER_PAGES)
def test_a_sibling_district_cadre_gets_404_for_members_outside(client, bl_cadre, yz_member, name, url):
    client.force_login(bl_cadre)
    assert client.get(url.format(pk=yz_member.pk)).status_code == 404


def test_the_city_cadre_reaches_both_districts(client, nb_cadre, yz_member, bl_member):
    client.force_login(nb_cadre)
    assert client.get("/staff/orgs/BL/").status_code == 200
    assert client.get(f"/staff/members/{yz_member.pk}/").status_code == 200
    assert client.get(f"/staff/members/{bl_member.pk}/").status_code == 200


@pytest.mark.parametrize(("name", "url"), ORG_PAGES)
def test_a_viewer_reads_but_does_not_manage(client, yz_viewer, name, url):
    client.force_login(yz_viewer)
    expected = 403 if name in MANAGE_PAGES else 200
    assert client.get(url, follow=name == "members_of").status_code == expected


def test_a_viewer_cannot_edit_a_member(client, yz_viewer, yz_member):
    client.force_login(yz_viewer)
    assert client.get(f"/staff/members/{yz_member.pk}/").status_code == 200
    assert client.get(f"/staff/members/{yz_member.pk}/edit/").status_code == 403


@pytest.mark.parametrize("url", ["/staff/", "/staff/stats/", "/staff/orgs/YZ/", "/staff/orgs/YZ/members/"])
def test_a_member_without_a_role_gets_403(client, worker, url):
    client.force_login(worker)
    response = client.get(url)
    assert response.status_code == 403
    assert "工会工作台" in response.content.decode()  # the 403 page points to where they can go


def test_a_member_without_a_role_gets_403_for_member_pages(client, worker, yz_member):
    client.force_login(worker)
    assert client.get(f"/staff/members/{yz_member.pk}/").status_code == 403


@pytest.mark.parametrize("url", ["/staff/", "/staff/stats/", "/staff/orgs/YZ/", "/staff/orgs/YZ/members/",
                                 "/staff/members/1/", "/staff/orgs/YZ/add/"])
def test_anonymous_visitors_go_to_the_staff_login(client, tree, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/staff/login/?next=")


def test_an_unknown_union_code_is_404(client, yz_cadre):
    client.force_login(yz_cadre)
    assert client.get("/staff/orgs/NOPE/").status_code == 404
    assert client.get("/staff/stats/?org=NOPE").status_code == 404


def test_an_unknown_member_is_404(client, yz_cadre):
    client.force_login(yz_cadre)
    assert client.get("/staff/members/999999/").status_code == 404
