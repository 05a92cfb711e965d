"""What a logged-in member meets on the member pages: 我的工会 shows their union, 申请入会 needs
no SMS step for them, every page of a module highlights the same tab, and a dispute application
uses the ID number on record (shown masked, never in plain in the page)."""

from __future__ import annotations

import re

from gonghui.core import pii
from gonghui.members.models import Member, Transfer
from tests.factories import make_org


def own(user) -> Member:
    return Member.objects.get(user=user)


def plain_id(member: Member) -> str:
    return pii.decrypt(member.id_cipher, key_id=member.pii_key_id, bound_to=member.id_hash)


def current_tab(html: str) -> str:
    bar = html[html.index('class="gh-tabbar"'):]
    return re.search(r'aria-current="page"><i [^>]*></i>([^<]+)</a>', bar).group(1)


def test_my_union_opens_the_members_union_not_the_card(client, worker, tree):
    client.force_login(worker)
    home = client.get("/").content.decode()
    tile = re.search(r'<a [^>]*href="([^"]+)"[^>]*>(?:(?!</a>).)*我的工会', home, re.S)
    assert tile and tile.group(1) == "/union/"
    html = client.get("/union/").content.decode()
    assert 'data-testid="union-name">鄞州某科技公司工会<' in html
    assert "宁波市总工会" in html and "鄞州区总工会" in html and "首南街道总工会" in html  # the unions above
    assert 'data-testid="member-card"' not in html and 'href="/me/"' in html


def test_my_union_for_an_account_without_membership_offers_joining(client, member_without_record):
    client.force_login(member_without_record)
    html = client.get("/union/").content.decode()
    assert 'data-testid="not-a-member"' in html and 'href="/join/"' in html


def test_a_logged_in_member_goes_straight_to_the_details_step(client, worker, tree):
    client.force_login(worker)
    html = client.get("/join/").content.decode()
    assert 'data-testid="join-step-2"' in html and 'data-testid="join-step-1"' not in html
    member = own(worker)
    assert member.id_masked in html and plain_id(member) not in html


def test_a_member_who_changed_jobs_asks_to_move_without_an_sms_code(client, worker, tree):
    target = make_org(tree.yzt, code="YZNF", name="鄞州美团骑手工会", kind="new_form")
    client.force_login(worker)
    response = client.post("/join/", {"name": "李师傅", "employer": "美团外卖", "category": "delivery_rider",
                                      "district": "YZ", "q": "", "org": "YZNF"})
    assert response.status_code == 302, response.content.decode()[:3000]
    transfer = Transfer.objects.get()
    assert transfer.member == own(worker) and transfer.to_org == target
    assert transfer.released_at is not None  # their own move: no union needs to agree for them


def test_every_page_of_mutual_aid_highlights_the_same_tab(client, worker, tree):
    client.force_login(worker)
    tabs = {url: current_tab(client.get(url).content.decode()) for url in ("/aid/", "/aid/claims/new/")}
    assert set(tabs.values()) == {"首页"}, tabs


def test_every_page_of_disputes_highlights_the_same_tab(client, worker, tree):
    client.force_login(worker)
    tabs = {url: current_tab(client.get(url).content.decode()) for url in ("/disputes/", "/disputes/apply/")}
    assert set(tabs.values()) == {"首页"}, tabs


def test_a_member_applying_for_mediation_need_not_type_the_id_number(client, worker, tree):
    from gonghui.disputes.models import Case

    client.force_login(worker)
    member = own(worker)
    html = client.get("/disputes/apply/").content.decode()
    field = re.search(r'<input[^>]*name="id_number"[^>]*>', html).group(0)
    assert f'value="{member.id_masked}"' in field and ("disabled" in field or "readonly" in field)
    assert plain_id(member) not in html
    response = client.post("/disputes/apply/", {
        "district": "YZ", "phone": "13977778888", "employer_name": "鄞州某科技公司", "employment_start": "2023-04-01",
        "claims-TOTAL_FORMS": "1", "claims-INITIAL_FORMS": "0", "claims-0-kind": "unpaid_wages",
        "claims-0-amount": "18600", "knew_on": "2026-10-01", "summary": "拖欠三个月工资"})
    assert response.status_code == 302, response.content.decode()[:3000]
    case = Case.objects.get()
    assert case.id_hash == member.id_hash and case.applicant_user_id == worker.pk
    # The case page is a page of the module too: the same tab as the list and the form.
    assert current_tab(client.get(f"/disputes/{case.pk}/").content.decode()) == "首页"
