"""The settlement feed: matching with every reason code, idempotent re-sending, files, batch = rule."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from openpyxl import Workbook

from gonghui.core.models import AuditEntry
from gonghui.mutualaid import feeds, pricing, rules, selectors, services
from gonghui.mutualaid.models import (
    FeedStatus,
    Ledger,
    Payout,
    PayoutStatus,
    Product,
    SettlementFeed,
    SettlementRecord,
    SettlementStatus,
)
from gonghui.stats.activity import period_figures
from tests.factories import make_member, valid_id_number
from tests.mutualaid.conftest import jan1, open_plan, stay_day
from tests.mutualaid.helpers import members_with_numbers, record


@pytest.fixture
def enrolled(tree, plan, nb_cadre):
    """Two enrolled members of YZE (with their ID numbers) and one of BLE."""
    people = members_with_numbers(tree.yze, 2) + members_with_numbers(tree.ble, 1)
    services.enrol_batch(actor=nb_cadre, plan=plan, org=tree.nb, on=jan1())
    return people


def outcome(result, sid):
    return next(line for line in result.lines if line.settlement_id == sid)


def test_each_record_is_priced_or_rejected_with_its_reason(tree, plan, enrolled, nb_cadre):
    (m1, n1), (m2, n2), (m3, n3) = enrolled
    not_enrolled = valid_id_number()
    make_member(tree.yze, id_number=not_enrolled)
    late_number = valid_id_number()
    late = make_member(tree.yze, id_number=late_number)
    services.enrol_member(actor=nb_cadre, plan=plan, member=late, on=stay_day(1))
    records = [
        record(n1, sid="OK1"),
        record(valid_id_number(), sid="NOBODY"),
        record(not_enrolled, sid="NOTENROLLED"),
        record(late_number, sid="LATE", days_ago=20),  # before the member's cover began
        record(n2, sid="OK2", self_pay_in="300.00"),  # below the deductible: priced at 0
        record(n1, sid="ZDUP", hospital="宁波市第一医院"),  # the same stay as OK1 under another id
        record(n3, sid="CRIT", product="critical_illness"),  # no critical-illness enrolment
        record("330212199001011234", sid="BADID"),
        record(n1, sid="BADAMOUNT", self_pay_in="12.345"),
        record(n1, sid="SUMS", total_cost="100.00"),
        record(n1, sid="FUTURE", discharged_on=str(dt.date.today() + dt.timedelta(days=400))),
        {"settlement_id": "", "id_number": n1},
    ]
    records[5]["admitted_on"], records[5]["discharged_on"] = records[0]["admitted_on"], records[0]["discharged_on"]
    feed, result = feeds.feed_receive_api(actor=nb_cadre, org=tree.nb, records=records)
    assert (result.stored, result.invalid) == (7, 5)
    for sid in ("BADID", "BADAMOUNT", "SUMS", "FUTURE"):
        assert outcome(result, sid).code == "invalid"
    assert outcome(result, "BADAMOUNT").column == "self_pay_in"
    status = dict(SettlementRecord.objects.values_list("settlement_id", "reason_code"))
    assert status == {"OK1": "", "NOBODY": "not_a_member", "NOTENROLLED": "not_enrolled", "LATE": "not_covered_dates",
                      "OK2": "", "ZDUP": "duplicate", "CRIT": "not_enrolled"}
    assert (feed.status, feed.priced, feed.rejected, feed.invalid) == (FeedStatus.DONE, 2, 5, 5)
    ok1 = Payout.objects.get(settlement__settlement_id="OK1")
    assert ok1.amount == Decimal("5900.00") and ok1.member_id == m1.pk and ok1.org_path == tree.yze.path
    assert Payout.objects.get(settlement__settlement_id="OK2").status == PayoutStatus.NIL
    assert feed.paid_amount == Decimal("5900.00")
    assert selectors.feed_reasons(feed=feed) == {"not_a_member": 1, "not_enrolled": 2, "not_covered_dates": 1,
                                                 "duplicate": 1}
    # No plain ID number anywhere in what is kept about the feed.
    assert n1 not in str(feed.report) and n1 not in str(list(AuditEntry.objects.values_list("data", flat=True)))


def test_resending_never_pays_twice_and_a_changed_record_is_refused(tree, plan, enrolled, nb_cadre):
    (m1, n1), _, _ = enrolled
    first = [record(n1, sid="S1"), record(n1, sid="S2", days_ago=40, hospital="鄞州人民医院")]
    feeds.feed_receive_api(actor=nb_cadre, org=tree.nb, records=first)
    paid = Payout.objects.filter(member=m1).count()
    feed, result = feeds.feed_receive_api(actor=nb_cadre, org=tree.nb, records=first + first)
    assert result.stored == 0 and result.repeated == 4
    assert Payout.objects.filter(member=m1).count() == paid == 2
    changed = dict(first[0], self_pay_in="13000.00")
    _feed, result = feeds.feed_receive_api(actor=nb_cadre, org=tree.nb, records=[changed])
    assert outcome(result, "S1").outcome == "conflict" and outcome(result, "S1").code == "conflict"
    assert SettlementRecord.objects.get(settlement_id="S1").self_pay_in == Decimal("12000.00")
    assert Ledger.objects.get(member=m1).paid_total == Decimal("11800.00")


def test_a_stay_priced_in_an_earlier_feed_is_a_duplicate_under_a_new_id(tree, plan, enrolled, nb_cadre):
    (m1, n1), (m2, n2), _ = enrolled
    paid, nothing = record(n1, sid="P1"), record(n2, sid="N1", self_pay_in="300.00")  # 0: below the deductible
    feeds.feed_receive_api(actor=nb_cadre, org=tree.nb, records=[paid, nothing])
    assert sorted(Payout.objects.values_list("amount", flat=True)) == [Decimal("0.00"), Decimal("5900.00")]
    assert Ledger.objects.filter(member__in=[m1, m2]).count() == 2  # a row for the payout of nothing too
    # The insurer sends both stays again under new settlement ids, in another feed and chunk.
    again = [dict(paid, settlement_id="P2"), dict(nothing, settlement_id="N2")]
    feeds.feed_receive_api(actor=nb_cadre, org=tree.nb, records=again)
    assert dict(SettlementRecord.objects.filter(settlement_id__in=["P2", "N2"]).values_list(
        "settlement_id", "reason_code")) == {"P2": "duplicate", "N2": "duplicate"}
    assert Payout.objects.count() == 2
    assert Ledger.objects.get(member=m1).paid_total == Decimal("5900.00")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the statement-level guards are PostgreSQL triggers")
def test_the_database_keeps_payouts_tied_to_their_sources(tree, plan, enrolled, nb_cadre):
    """Migrations 0008 and 0009: the payout's keys are checked per statement instead of per row."""
    (_m1, n1), _, _ = enrolled
    records = [record(n1, sid="P1"), record(n1, sid="P2", days_ago=40)]
    feeds.feed_receive_api(actor=nb_cadre, org=tree.nb, records=records)
    payout = Payout.objects.get(settlement__settlement_id="P1")
    with connection.cursor() as cursor:
        # A source with a payout cannot be deleted, even bypassing the ORM (PROTECT)…
        with pytest.raises(IntegrityError, match="with a payout cannot be deleted"), transaction.atomic():
            cursor.execute("DELETE FROM mutualaid_settlementrecord WHERE id = %s", [payout.settlement_id])
        with pytest.raises(IntegrityError, match="with a payout cannot be deleted"), transaction.atomic():
            cursor.execute("DELETE FROM mutualaid_enrolment WHERE id = %s", [payout.enrolment_id])
        # …and a payout cannot name a settlement record or an enrolment that does not exist.
        columns = ", ".join(f.column for f in Payout._meta.concrete_fields if f.column != "id")
        missing = SettlementRecord.objects.order_by("-pk").first().pk + 1000
        with pytest.raises(IntegrityError, match="does not exist"), transaction.atomic():
            cursor.execute(f"INSERT INTO mutualaid_payout ({columns}) SELECT {columns.replace('settlement_id', '%s')} "
                           "FROM mutualaid_payout WHERE id = %s", [missing, payout.pk])
        free = SettlementRecord.objects.get(settlement_id="P2")
        Payout.objects.filter(settlement=free).delete()
        enrolments = columns.replace("settlement_id", "%s").replace("enrolment_id", "enrolment_id + 1000")
        with pytest.raises(IntegrityError, match="does not exist"), transaction.atomic():
            cursor.execute(f"INSERT INTO mutualaid_payout ({columns}) SELECT {enrolments} "
                           "FROM mutualaid_payout WHERE id = %s", [free.pk, payout.pk])
        # The same insert naming a record without a payout and a real enrolment goes in.
        cursor.execute(f"INSERT INTO mutualaid_payout ({columns}) SELECT {columns.replace('settlement_id', '%s')} "
                       "FROM mutualaid_payout WHERE id = %s", [free.pk, payout.pk])
    assert Payout.objects.filter(settlement__settlement_id__in=["P1", "P2"]).count() == 2


def test_the_yearly_cap_holds_across_stays_in_the_feed(tree, plan, enrolled, nb_cadre):
    (m1, n1), _, _ = enrolled
    records = [record(n1, sid=f"C{i}", self_pay_in="40000", days_ago=10 + i, hospital=f"医院{i}",
                      total_cost="99000") for i in range(3)]
    feeds.feed_receive_api(actor=nb_cadre, org=tree.nb, records=records)
    amounts = sorted(Payout.objects.filter(member=m1).values_list("amount", flat=True))
    assert sum(amounts) == Decimal("20000.00")  # 15000 (stay cap) + 5000 (cap left) + 0
    assert amounts == [Decimal("0.00"), Decimal("5000.00"), Decimal("15000.00")]
    assert Ledger.objects.get(member=m1).paid_total == Decimal("20000.00")


def test_the_batch_result_equals_the_per_record_rule(tree, nb_cadre):
    plan = open_plan(deductible="800", tiers=[{"upto": "5000", "ratio": "0.45"}, {"upto": "30000", "ratio": "0.55"},
                                               {"upto": None, "ratio": "0.7"}], yearly_cap="30000", stay_cap=None)
    people = members_with_numbers(tree.yze, 6) + members_with_numbers(tree.blt, 6)
    services.enrol_batch(actor=nb_cadre, plan=plan, org=tree.nb, on=jan1())
    records = []
    for i, (_m, number) in enumerate(people):
        for k in range(1 + i % 4):
            records.append(record(number, self_pay_in=f"{(i * 7919 + k * 104729) % 60000}.{(i + k) % 100:02d}",
                                  days_ago=3 + k * 9, hospital=f"医院{k}", total_cost="99000.00"))
    with_feed = SettlementFeed.objects.create(org=tree.nb, org_path=tree.nb.path, source="api")
    feeds.receive(feed=with_feed, records=enumerate(records, start=1))
    result = pricing.price_received(feed_id=with_feed.pk, chunk=7)  # small chunks: people straddle them
    assert result.priced == len(records) and result.chunks > 3
    # The rule applied record by record, in person order, with a ledger per person.
    rule = rules.Rule.of(plan)
    expected, ledger = {}, {}
    ordered = sorted(SettlementRecord.objects.all(), key=lambda r: (r.id_hash, r.discharged_on, r.settlement_id))
    for r in ordered:
        p = rules.price(rule, r.self_pay_in, ledger.get(r.id_hash, Decimal("0")))
        ledger[r.id_hash] = ledger.get(r.id_hash, Decimal("0")) + p.amount
        expected[r.settlement_id] = p.amount
    got = dict(Payout.objects.values_list("settlement__settlement_id", "amount"))
    assert got == expected
    assert result.amount == sum(expected.values())
    for payout in Payout.objects.all()[:5]:
        assert selectors.payout_explanation(payout=payout)["consistent"]


def test_a_crash_mid_batch_loses_nothing_and_running_again_finishes(tree, plan, enrolled, nb_cadre):
    numbers = [n for _m, n in enrolled]
    feed = SettlementFeed.objects.create(org=tree.nb, org_path=tree.nb.path, source="api")
    feeds.receive(feed=feed, records=enumerate([record(n, days_ago=d, hospital=f"H{d}") for n in numbers
                                                for d in (3, 30, 60)], start=1))

    class Crash(Exception):
        pass

    def crash(_progress):
        raise Crash

    with pytest.raises(Crash):
        pricing.price_received(feed_id=feed.pk, chunk=4, progress=crash)
    assert SettlementRecord.objects.filter(status=SettlementStatus.RECEIVED).count() == 5
    assert Payout.objects.count() == 4
    again = pricing.price_received(feed_id=feed.pk, chunk=4)
    assert again.records == 5
    assert Payout.objects.count() == 9 and not SettlementRecord.objects.filter(status="received").exists()
    assert pricing.price_received(feed_id=feed.pk).records == 0
    total = Payout.objects.filter(amount__gt=0).count()
    assert period_figures(tree.nb.path)["aid_payouts"] == total


def test_payout_statistics_and_distinct_members_paid(tree, plan, enrolled, nb_cadre, api_as):
    (m1, n1), (m2, n2), (m3, n3) = enrolled
    feeds.feed_receive_api(actor=nb_cadre, org=tree.nb, records=[
        record(n1, days_ago=3), record(n1, days_ago=30, hospital="H2"), record(n3, days_ago=3),
        record(n2, self_pay_in="100")])
    today = dt.date.today().isoformat()
    nb = api_as(nb_cadre).get("/api/v1/orgs/NB/stats", **{"from": today, "to": today}).json()
    assert nb["aid_payouts"] == 3 and nb["aid_paid_members"] == 2
    assert Decimal(nb["aid_paid_amount"]) == Payout.objects.aggregate(s=__import__("django").db.models.Sum("amount"))["s"]
    assert nb["breakdown"]["aid_payouts"]["product"]["inpatient"]["n"] == 3
    yz = api_as(nb_cadre).get("/api/v1/orgs/YZ/stats", **{"from": today, "to": today}).json()
    assert yz["aid_payouts"] == 2 and yz["aid_paid_members"] == 1
    assert api_as(nb_cadre).get("/api/v1/orgs/YZ/stats", **{"from": "2000-01-01", "to": "2000-12-31"}).json()[
        "aid_paid_members"] == 0


def _csv_upload(rows: list[dict], *, encoding="utf-8-sig", english=False) -> SimpleUploadedFile:
    headers = list(feeds.HEADERS) if english else [feeds.HEADERS[k][0] for k in feeds.HEADERS]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(headers)
    for r in rows:
        writer.writerow([r.get(k, "") for k in feeds.HEADERS])
    return SimpleUploadedFile("结算.csv", out.getvalue().encode(encoding), content_type="text/csv")


def test_a_settlement_file_is_read_priced_and_deleted(tree, plan, enrolled, nb_cadre, bl_cadre):
    (m1, n1), _, (m3, n3) = enrolled
    rows = [record(n1, product="住院"), record(n3, self_pay_in="8,500.00"), record("bad", sid="X1")]
    with pytest.raises(PermissionDenied):
        feeds.feed_file_create(actor=bl_cadre, org=tree.nb, upload=_csv_upload(rows))
    feed = feeds.feed_file_create(actor=nb_cadre, org=tree.nb, upload=_csv_upload(rows, encoding="gb18030"))
    stored_name = feed.upload.name
    assert feeds.feed_run(feed_id=feed.pk) == FeedStatus.DONE
    feed.refresh_from_db()
    assert (feed.rows, feed.stored, feed.invalid, feed.priced) == (3, 2, 1, 2)
    assert feed.report["lines"][0]["line"] == 4 and feed.report["lines"][0]["column"] == "id_number"
    assert not feed.upload and not feed.__class__.upload.field.storage.exists(stored_name)
    assert Payout.objects.get(member=m3).amount == Decimal("4000.00")  # (8500 − 500) × 50%
    assert feeds.feed_run(feed_id=feed.pk) == "skipped"  # a task delivered twice reads the file once


def test_xlsx_with_english_headers_and_a_file_without_the_columns(tree, plan, enrolled, nb_cadre):
    (m1, n1), _, _ = enrolled
    wb = Workbook()
    ws = wb.active
    ws.append(list(feeds.HEADERS))
    r = record(n1)
    ws.append([r.get(k) if k not in ("admitted_on", "discharged_on") else dt.date.fromisoformat(r[k])
               for k in feeds.HEADERS])
    buf = io.BytesIO()
    wb.save(buf)
    feed = feeds.feed_file_create(actor=nb_cadre, org=tree.nb, upload=SimpleUploadedFile("feed.xlsx", buf.getvalue()))
    assert feeds.feed_run(feed_id=feed.pk) == FeedStatus.DONE
    assert Payout.objects.get(member=m1).amount == Decimal("5900.00")
    bad = feeds.feed_file_create(actor=nb_cadre, org=tree.nb,
                                 upload=SimpleUploadedFile("x.csv", "结算编号,身份证号\nA,B\n".encode()))
    assert feeds.feed_run(feed_id=bad.pk) == FeedStatus.REFUSED
    bad.refresh_from_db()
    assert "医院" in bad.report["file_error"]


def test_critical_illness_records_are_priced_by_the_critical_illness_plan(tree, nb_cadre):
    inpatient = open_plan()
    critical = open_plan(product=Product.CRITICAL_ILLNESS, name="特种重病", deductible="0",
                         tiers=[{"upto": None, "ratio": "0.8"}], yearly_cap="50000", stay_cap=None)
    (m, n), = members_with_numbers(tree.yze, 1)
    services.enrol_batch(actor=nb_cadre, plan=inpatient, org=tree.nb, on=jan1())
    services.enrol_batch(actor=nb_cadre, plan=critical, org=tree.nb, on=jan1())
    feeds.feed_receive_api(actor=nb_cadre, org=tree.nb, records=[
        record(n, sid="I"), record(n, sid="C", product="特种重病")])
    by = dict(Payout.objects.values_list("settlement__settlement_id", "amount"))
    assert by == {"I": Decimal("5900.00"), "C": Decimal("9600.00")}
    assert Payout.objects.get(settlement__settlement_id="C").plan_id == critical.pk


def test_a_feed_left_mid_pricing_by_a_crash_is_finished_by_running_it_again(tree, plan, enrolled, nb_cadre):
    (m1, n1), _, _ = enrolled
    feed = SettlementFeed.objects.create(org=tree.nb, org_path=tree.nb.path, source="file", filename="x.csv",
                                         status=FeedStatus.PRICING, created_by=nb_cadre)
    feeds.receive(feed=feed, records=enumerate([record(n1)], start=1))
    assert feeds.feed_run(feed_id=feed.pk) == FeedStatus.DONE
    assert Payout.objects.get(member=m1).amount == Decimal("5900.00")
    with pytest.raises(Exception):
        feeds.feed_file_create(actor=nb_cadre, org=tree.nb, upload=SimpleUploadedFile("x.exe", b"MZ"))


def test_an_uploaded_file_is_read_and_priced_by_the_background_task(tree, plan, enrolled, nb_cadre, settings,
                                                                     django_capture_on_commit_callbacks):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    (m1, n1), _, _ = enrolled
    with django_capture_on_commit_callbacks(execute=True):
        feed = feeds.feed_file_create(actor=nb_cadre, org=tree.nb, upload=_csv_upload([record(n1)], english=True))
    feed.refresh_from_db()
    assert (feed.status, feed.priced, feed.paid_amount) == (FeedStatus.DONE, 1, Decimal("5900.00"))
