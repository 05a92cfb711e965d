"""Audited exports (enrolments, a feed's result), previews (claim, selection, list) and timelines."""

import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from openpyxl import load_workbook

from gonghui.core.models import AuditEntry
from gonghui.mutualaid import exports, feeds, pricing, selectors, services
from gonghui.mutualaid.models import SettlementFeed
from tests.factories import make_member, valid_id_number
from tests.mutualaid.conftest import jan1, open_plan
from tests.mutualaid.helpers import claim_fields, documents, members_with_numbers, record


def sheet_rows(content: bytes, index: int = 0):
    return list(load_workbook(io.BytesIO(content), read_only=True).worksheets[index].iter_rows(values_only=True))


def test_enrolment_export_is_scoped_masked_and_audited(tree, plan, yz_cadre, bl_cadre):
    (m, number), = members_with_numbers(tree.yze, 1)
    make_member(tree.ble)
    services.enrol_batch(actor=yz_cadre, plan=plan, org=tree.yz, on=jan1())
    content, name, _ctype = exports.enrolment_export(actor=yz_cadre, org=tree.yz, plan=plan)
    rows = sheet_rows(content)
    assert rows[0][0] == "姓名" and len(rows) == 2 and rows[1][1] == m.id_masked
    assert number not in str(rows)
    assert AuditEntry.objects.filter(action="aid.enrolment_export").count() == 1
    with pytest.raises(PermissionDenied):
        exports.enrolment_export(actor=bl_cadre, org=tree.yz)


def test_feed_result_export_lists_records_and_unreadable_lines(tree, plan, nb_cadre, yz_cadre):
    (m, number), = members_with_numbers(tree.yze, 1)
    services.enrol_batch(actor=nb_cadre, plan=plan, org=tree.nb, on=jan1())
    feed, _result = feeds.feed_receive_api(actor=nb_cadre, org=tree.nb, records=[
        record(number, sid="A"), record(valid_id_number(), sid="B"), record("bad", sid="C")])
    content, _name, _ctype = exports.feed_result_export(actor=nb_cadre, feed=feed)
    records = sheet_rows(content, 0)
    assert [r[0] for r in records[1:]] == ["A", "B"] and records[1][8] == 5900
    assert records[2][6] == "not_a_member"
    assert sheet_rows(content, 1)[1][1] == "C"
    with pytest.raises(PermissionDenied):
        exports.feed_result_export(actor=yz_cadre, feed=feed)


def test_claim_preview_uses_the_patients_own_ledger(tree, worker, nb_cadre, yz_cadre):
    plan = open_plan(allows_dependants=True)
    services.enrol_member(actor=nb_cadre, plan=plan, member=worker.member, on=jan1())
    parent = services.claim_file(actor=worker, member=worker.member, documents=documents(relationship=True),
                                 relation="parent", patient_name="李父", patient_id_number=valid_id_number(),
                                 **claim_fields(self_pay_in="12000"))
    own = services.claim_file(actor=worker, member=worker.member, documents=documents(),
                              **claim_fields(self_pay_in="12000", hospital="别的医院"))
    services.claim_approve(actor=yz_cadre, claim=own)
    preview = selectors.claim_preview(claim=parent)
    assert preview["amount"] == Decimal("5900.00") and preview["paid_before"] == Decimal("0.00")
    assert services.claim_approve(actor=yz_cadre, claim=parent).amount == preview["amount"]
    assert [e.action for e in selectors.timeline(user=yz_cadre, obj=parent)] == ["aid.claim_approve",
                                                                                "aid.claim_file"]
    assert list(selectors.timeline(user=worker, obj=parent)) == []


def test_preview_of_a_selection_and_of_a_list(tree, plan, yz_cadre):
    people = members_with_numbers(tree.yze, 3)
    services.enrol_member(actor=yz_cadre, plan=plan, member=people[0][0], on=jan1())
    preview = selectors.enrolment_preview(user=yz_cadre, plan=plan, org=tree.yz,
                                          member_ids=[m.pk for m, _n in people])
    assert (preview["eligible"], preview["already"], preview["to_enrol"], preview["fee_due"]) == (
        3, 1, 2, Decimal("120.00"))
    preview = selectors.enrolment_preview(user=yz_cadre, plan=plan, org=tree.yz,
                                          id_numbers=[people[1][1], "nonsense", valid_id_number()])
    assert (preview["to_enrol"], preview["not_eligible"]) == (1, 2)


def test_pricing_without_a_line_per_chunk_for_a_caller_that_audits_its_whole_load(tree, plan, nb_cadre):
    (m, number), = members_with_numbers(tree.yze, 1)
    services.enrol_batch(actor=nb_cadre, plan=plan, org=tree.nb, on=jan1())
    feed = SettlementFeed.objects.create(org=tree.nb, org_path=tree.nb.path, source="api")
    feeds.receive(feed=feed, records=enumerate([record(number)], start=1))
    before = AuditEntry.objects.count()
    assert pricing.price_received(feed_id=feed.pk, audit_chunks=False).priced == 1
    assert AuditEntry.objects.count() == before


@pytest.fixture
def formula_people(tree, plan, nb_cadre):
    """Members whose names look like formulas, enrolled, each with a stay at a hospital named likewise, priced."""
    from tests.spreadsheets import FORMULAS

    people = [(make_member(tree.yze, name=name, id_number=(number := valid_id_number())), number) for name in FORMULAS]
    services.enrol_batch(actor=nb_cadre, plan=plan, org=tree.nb, on=jan1())
    feed, _result = feeds.feed_receive_api(actor=nb_cadre, org=tree.nb, records=[
        record(number, hospital=name) for name, (_m, number) in zip(FORMULAS, people, strict=True)])
    return feed


def test_the_feed_result_writes_hospitals_that_look_like_formulas_as_text(client, nb_cadre, formula_people):
    from tests.spreadsheets import FORMULAS, assert_shown_as_text, body

    client.force_login(nb_cadre)
    assert_shown_as_text(body(client.get(f"/staff/aid/feeds/{formula_people.pk}/result.xlsx")), FORMULAS)
    assert AuditEntry.objects.filter(action="aid.feed_result_export", object_id=str(formula_people.pk)).count() == 1


def test_the_payment_list_writes_names_that_look_like_formulas_as_text(client, api_as, tree, nb_cadre, yz_cadre,
                                                                      formula_people):
    from tests.spreadsheets import FORMULAS, assert_csv_neutralised, assert_shown_as_text, body

    batch = services.payment_batch_create(actor=yz_cadre, org=tree.yz, idempotency_key="formulas")
    client.force_login(yz_cadre)
    assert_shown_as_text(body(client.get(f"/staff/aid/batches/{batch.pk}/export.xlsx")), FORMULAS)
    assert_csv_neutralised(body(client.get(f"/staff/aid/batches/{batch.pk}/export.xlsx", {"format": "csv"})),
                           FORMULAS)
    assert_csv_neutralised(body(api_as(yz_cadre).get(f"/api/v1/aid/payment-batches/{batch.pk}/export", format="csv")),
                           FORMULAS)
    assert AuditEntry.objects.filter(action="aid.payment_batch_export").count() == 3  # one line per file


def test_the_enrolment_list_writes_names_that_look_like_formulas_as_text(tree, plan, yz_cadre, formula_people):
    from tests.spreadsheets import FORMULAS, assert_shown_as_text

    content, _name, _ctype = exports.enrolment_export(actor=yz_cadre, org=tree.yz, plan=plan)
    assert_shown_as_text(content, FORMULAS)
    assert AuditEntry.objects.filter(action="aid.enrolment_export").count() == 1
