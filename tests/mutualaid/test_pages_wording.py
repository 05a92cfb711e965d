"""The mutual-aid pages speak to cadres in sentences: no internal reason code reaches the screen,
and a refused ID number says which check it failed, as the roster import does."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gonghui.mutualaid import services
from gonghui.mutualaid.feeds import feed_receive_api
from gonghui.mutualaid.models import Reason
from tests.factories import make_member, valid_id_number
from tests.mutualaid.conftest import jan1
from tests.mutualaid.helpers import claim_fields, documents, members_with_numbers, record

pytestmark = pytest.mark.django_db

CODES = [r.value for r in Reason]


def visible(response) -> str:
    """The text a person reads: tags (and the codes kept in their attributes) removed."""
    page = response.content.decode()
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"<[^>]+>", " ", page)


def shown_codes(text: str) -> set[str]:
    return {code for code in CODES if re.search(rf"(?<![\w-]){re.escape(code)}(?![\w-])", text)}


def test_the_feed_result_names_each_rejection_in_words(client, tree, plan, nb_cadre, yz_cadre):
    enrolled = members_with_numbers(tree.yze, 1)
    services.enrol_batch(actor=yz_cadre, plan=plan, org=tree.yz, on=jan1())
    not_enrolled = valid_id_number()
    make_member(tree.yze, id_number=not_enrolled)  # joined after the batch: not enrolled
    feed, _result = feed_receive_api(actor=nb_cadre, org=tree.nb, records=[
        record(enrolled[0][1]), record(valid_id_number()), record(not_enrolled)])
    client.force_login(nb_cadre)
    text = visible(client.get(f"/staff/aid/feeds/{feed.pk}/"))
    assert "非工会会员" in text and "未参加" in text
    assert not shown_codes(text)


def test_an_enrolment_list_says_what_is_wrong_with_an_id_number(client, tree, yz_cadre, plan):
    good = valid_id_number()
    wrong_check = good[:-1] + ("0" if good[-1] != "0" else "1")
    body = f"身份证号\n{wrong_check}\n12345\n"
    client.force_login(yz_cadre)
    response = client.post(f"/staff/aid/plans/{plan.pk}/enrol/?org=YZ",
                           {"mode": "list", "confirm": "1", "file": SimpleUploadedFile("名单.csv", body.encode())},
                           follow=True)
    text = visible(response)
    assert "校验位不正确" in text  # the check character, as the roster import names it
    assert "身份证号应为 18 位，当前为 5 位" in text  # the short one: its length
    assert not shown_codes(text)


def test_a_refused_claim_shows_its_reason_not_its_code(client, tree, plan, yz_cadre):
    member, _number = members_with_numbers(tree.yze, 1)[0]
    services.enrol_batch(actor=yz_cadre, plan=plan, org=tree.yz, on=jan1())
    claim = services.claim_file(actor=yz_cadre, member=member, documents=documents(), **claim_fields())
    client.force_login(yz_cadre)
    client.post(f"/staff/aid/claims/{claim.pk}/refuse/", {"code": "documents_missing", "reason": "发票不清晰"})
    text = visible(client.get(f"/staff/aid/claims/{claim.pk}/"))
    assert "发票不清晰" in text
    assert not shown_codes(text)
