"""Mutual-aid workbench pages (Django test client): they render, keep to the user's subtree, refuse
bad input with a Chinese message and change nothing, and serve claim documents only after a check."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gonghui.mutualaid import services
from gonghui.mutualaid.feeds import feed_receive_api
from gonghui.mutualaid.models import (
    Claim,
    ClaimStatus,
    Enrolment,
    PaymentBatch,
    Payout,
    PayoutStatus,
    Plan,
    SettlementFeed,
)
from tests.factories import grant, make_member, UserFactory, valid_id_number
from tests.mutualaid.conftest import jan1, open_plan
from tests.mutualaid.helpers import claim_fields, documents, members_with_numbers, record

pytestmark = pytest.mark.django_db


@pytest.fixture
def yz_enrolled(tree, plan, yz_cadre):
    """Three enrolled members of YZE and their ID numbers."""
    people = members_with_numbers(tree.yze, 3)
    services.enrol_batch(actor=yz_cadre, plan=plan, org=tree.yz, on=jan1())
    return people


@pytest.fixture
def yz_claim(tree, yz_enrolled, yz_cadre):
    member, _number = yz_enrolled[0]
    return services.claim_file(actor=yz_cadre, member=member, documents=documents(), **claim_fields())


@pytest.fixture
def priced(tree, nb_cadre, yz_enrolled):
    """A settlement feed received by the city union, with a priced record of a YZ member."""
    _member, number = yz_enrolled[1]
    feed, _result = feed_receive_api(actor=nb_cadre, org=tree.nb, records=[record(number, self_pay_in="8500.00")])
    return feed


def html(response) -> str:
    return response.content.decode()


class TestPagesRender:
    def test_the_module_home_shows_the_figures_and_the_queue(self, client, yz_cadre, yz_claim, priced):
        client.force_login(yz_cadre)
        page = html(client.get("/staff/aid/"))
        assert "互助保障" in page
        assert 'data-testid="kpi-aid_enrolments">3<' in page
        assert 'data-testid="kpi-aid_payouts">1<' in page
        assert 'data-testid="queue-claims">1<' in page
        assert "chart-aid-enrol-product" in page

    @pytest.mark.parametrize("url", ["/staff/aid/plans/", "/staff/aid/enrolments/", "/staff/aid/feeds/",
                                     "/staff/aid/claims/", "/staff/aid/payouts/"])
    def test_each_list_renders(self, client, yz_cadre, yz_claim, priced, url):
        client.force_login(yz_cadre)
        response = client.get(url)
        assert response.status_code == 200

    def test_a_plan_shows_its_rules_in_plain_words(self, client, yz_cadre, plan):
        client.force_login(yz_cadre)
        page = html(client.get(f"/staff/aid/plans/{plan.pk}/"))
        assert "500.00 元" in page and "50%" in page and "60%" in page and "20,000.00 元" in page
