"""Room staff (mediators, lawyers without a union role) find their cases from the staff login."""

from tests.factories import PASSWORD


def test_a_room_mediator_logs_in_and_lands_on_the_room_cases(client, blt_mediator):
    response = client.post("/staff/login/", {"username": blt_mediator.username, "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == "/staff/disputes/"
    html = response.content.decode()
    assert 'data-testid="menu-disputes"' in html  # the module is in the menu without a union role


def test_a_user_with_no_role_and_no_room_is_still_refused(client, db):
    from tests.factories import UserFactory

    user = UserFactory(username="nobody")
    client.force_login(user)
    assert client.get("/staff/").status_code == 403
