"""Member pages at /: mobile first, the 5·1 service card, no dead links."""

import re

from tests.factories import PASSWORD, grant


def test_anonymous_visitors_get_a_welcoming_home(client, db):
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "欢迎使用" in html and "甬工惠" in html
    assert 'href="/login/"' in html
    for tab in ("首页", "办事", "我的"):
        assert tab in html
    assert 'name="viewport"' in html


def test_the_services_grid_has_no_dead_links(client, db):
    html = client.get("/").content.decode()
    grid = html[html.index('class="gh-services'):html.index("</ul>", html.index('class="gh-services'))]
    links = re.findall(r'href="([^"]+)"', grid)
    assert {"/join/", "/disputes/", "/aid/"} <= set(links)
    for link in set(links):  # every tile opens a page (or asks an anonymous visitor to log in)
        response = client.get(link)
        assert response.status_code == 200 or response["Location"].startswith("/login/"), link
    assert "即将上线" in grid  # the rest is marked as coming soon, not linked


def test_member_pages_need_a_login(client, db):
    for url in ("/me/", "/services/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"/login/?next={url}"


def test_a_member_logs_in_at_login_and_lands_home(client, worker):
    response = client.post("/login/", {"username": "worker", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    html = client.get("/").content.decode()
    assert "李师傅，您好" in html


def test_a_wrong_password_is_refused(client, worker):
    html = client.post("/login/", {"username": "worker", "password": "nope"}).content.decode()
    assert "请输入一个正确的" in html


def test_the_member_card_shows_name_union_number_date_and_qr(client, worker):
    member = worker.member
    client.force_login(worker)
    html = client.get("/me/").content.decode()
    card = html[html.index('data-testid="member-card"'):html.index("</section>", html.index('data-testid="member-card"'))]
    assert "李师傅" in card and "鄞州某科技公司工会" in card
    number = member.card_number
    grouped = " ".join(number[i:i + 4] for i in range(0, len(number), 4))
    assert f'data-testid="card-number">{grouped}<' in card
    assert member.joined_on.strftime("%Y-%m-%d") in card
    assert "<svg" in card and "<path" in card  # the QR code, drawn on the server
    assert "5·1服务卡" in card
    assert member.id_masked in html  # membership details: masked ID only


def test_the_qr_code_holds_the_signed_card_code(client, worker):
    from gonghui.members.cards import card_code, read_card_code
    from gonghui.portal.views import card_qr_svg

    svg = card_qr_svg(worker.member.pk)
    assert svg.startswith("<svg") and "viewBox" in svg
    client.force_login(worker)
    html = client.get("/me/").content.decode()
    code = card_code(worker.member.pk)
    assert f'data-card-code="{code}"' in html and "GONGHUI:CARD:" not in html
    assert read_card_code(code) == worker.member.pk


def test_a_login_without_a_member_record_gets_a_friendly_note(client, member_without_record):
    client.force_login(member_without_record)
    html = client.get("/me/").content.decode()
    assert "您还不是工会会员" in html
    assert 'data-testid="member-card"' not in html
    assert client.get("/").status_code == 200


def test_a_cadre_on_the_member_pages_gets_a_link_to_the_workbench(client, yz_cadre):
    client.force_login(yz_cadre)
    html = client.get("/").content.decode()
    assert 'href="/staff/"' in html and "进入工会工作台" in html
    assert 'data-testid="to-staff"' in client.get("/me/").content.decode()


def test_a_member_gets_no_workbench_link(client, worker):
    client.force_login(worker)
    assert 'href="/staff/"' not in client.get("/").content.decode()


def test_my_matters_explains_what_will_show(client, worker):
    client.force_login(worker)
    html = client.get("/services/").content.decode()
    assert "暂无办理中的事项" in html


def test_logout_returns_home(client, worker):
    client.force_login(worker)
    response = client.post("/logout/")
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/me/").status_code == 302


def test_a_member_who_is_also_a_cadre_sees_both(client, worker, tree):
    grant(worker, tree.yze)
    client.force_login(worker)
    html = client.get("/me/").content.decode()
    assert 'data-testid="member-card"' in html and 'href="/staff/"' in html


def test_the_lockout_page_is_chinese(client, worker, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/login/", {"username": "worker", "password": "nope"})
    response = client.post("/login/", {"username": "worker", "password": PASSWORD})
    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()
