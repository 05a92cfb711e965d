"""The Django admin browses mutual aid without showing hashes or ciphertexts, and changes nothing."""

import pytest
from django.urls import reverse

from gonghui.mutualaid import feeds, services
from tests.factories import UserFactory, make_member, valid_id_number
from tests.mutualaid.conftest import jan1
from tests.mutualaid.helpers import record


@pytest.mark.parametrize("model", ["plan", "settlementfeed", "settlementrecord", "payout"])
def test_admin_lists_mutual_aid_read_only(client, tree, plan, nb_cadre, model):
    number = valid_id_number()
    make_member(tree.yze, id_number=number)
    services.enrol_batch(actor=nb_cadre, plan=plan, org=tree.nb, on=jan1())
    feeds.feed_receive_api(actor=nb_cadre, org=tree.nb, records=[record(number)])
    admin = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(admin)
    response = client.get(reverse(f"admin:mutualaid_{model}_changelist"))
    assert response.status_code == 200
    assert number not in response.content.decode()
    assert client.get(reverse(f"admin:mutualaid_{model}_add")).status_code == 403
