"""The bargaining pages through Django's test client: each renders, steps are recorded from the
round's page, bad input comes back beside the field, out-of-reach answers 404, the menu's badge."""

import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from gonghui.bargaining.models import Round
from gonghui.core.models import AuditEntry
from tests.bargaining.helpers import D, open_round, signed_round

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_pages_render_for_a_cadre(tree, yz_cadre, django_assert_max_num_queries):
    row = signed_round(yz_cadre, tree.yze)
    open_round(yz_cadre, tree.yze, offered_on=D(2026, 4, 1))  # long overdue for its reply
    client = client_for(yz_cadre)
    home = client.get("/staff/bargaining/")
    assert home.status_code == 200
    text = home.content.decode()
    assert 'data-testid="kpi-contracts_in_force"' in text and 'data-testid="queue-overdue"' in text
    assert 'data-testid="bargaining-waiting"' in text  # the menu's badge: one round past its deadline
    for url in ("/staff/bargaining/rounds/", "/staff/bargaining/rounds/?overdue=on", f"/staff/bargaining/rounds/{row.pk}/",
                "/staff/bargaining/contracts/", "/staff/bargaining/contracts/?expiring=90",
                f"/staff/bargaining/contracts/{row.contract_id}/", "/staff/bargaining/rounds/new/"):
        assert client.get(url).status_code == 200, url
    with django_assert_max_num_queries(40):
        client.get("/staff/bargaining/rounds/")


def test_a_step_is_recorded_from_the_round_page_and_bad_input_comes_back(tree, yz_cadre):
    row = open_round(yz_cadre, tree.yze, offered_on=D(2026, 9, 1))
    client = client_for(yz_cadre)
    bad = client.post(f"/staff/bargaining/rounds/{row.pk}/reply/", {"on": "2026-08-20"})
    assert bad.status_code == 400 and 'data-testid="error-on"' in bad.content.decode()
    assert Round.objects.get(pk=row.pk).replied_on is None
    ok = client.post(f"/staff/bargaining/rounds/{row.pk}/reply/", {"on": "2026-09-10"})
    assert ok.status_code == 302
    assert Round.objects.get(pk=row.pk).replied_on == D(2026, 9, 10)


def test_out_of_reach_is_not_found(tree, yz_cadre, bl_cadre):
    row = signed_round(yz_cadre, tree.yze)
    client = client_for(bl_cadre)
    assert client.get(f"/staff/bargaining/rounds/{row.pk}/").status_code == 404
    assert client.get(f"/staff/bargaining/contracts/{row.contract_id}/").status_code == 404
    assert client.get("/staff/bargaining/?org=YZ").status_code == 404
    assert client.post(f"/staff/bargaining/rounds/{row.pk}/announce/", {"on": "2026-06-01"}).status_code == 404


def test_the_export_is_audited(tree, yz_cadre):
    signed_round(yz_cadre, tree.yze)
    response = client_for(yz_cadre).get("/staff/bargaining/contracts/export.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True).active
    assert len(list(sheet.iter_rows())) == 2
    assert AuditEntry.objects.filter(action="bargaining.export").count() == 1
