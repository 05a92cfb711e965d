"""Mutual-aid workbench pages (Django test client): they render, keep to the user's subtree, refuse
bad input with a Chinese message and change nothing, and serve claim documents only after a check."""

from __future__ import annotations

import datetime as dt
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
)
from tests.factories import UserFactory, valid_id_number
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


# --- scope: another district's objects and org pages answer 404 ------------------------------


class TestScope:
    def test_another_districts_claim_payout_and_documents_are_not_found(self, client, bl_cadre, yz_claim):
        client.force_login(bl_cadre)
        doc = yz_claim.documents.first()
        assert client.get(f"/staff/aid/claims/{yz_claim.pk}/").status_code == 404
        assert client.get(f"/staff/aid/documents/{doc.pk}/").status_code == 404
        assert client.post(f"/staff/aid/claims/{yz_claim.pk}/approve/").status_code == 404
        assert Claim.objects.get(pk=yz_claim.pk).status == ClaimStatus.SUBMITTED

    def test_another_districts_feed_payouts_and_batches_are_not_found(self, client, tree, bl_cadre, yz_cadre, priced):
        batch = services.payment_batch_create(actor=yz_cadre, org=tree.yz)
        payout = Payout.objects.get()
        client.force_login(bl_cadre)
        assert client.get(f"/staff/aid/feeds/{priced.pk}/").status_code == 404
        assert client.get(f"/staff/aid/payouts/{payout.pk}/").status_code == 404
        assert client.get(f"/staff/aid/batches/{batch.pk}/").status_code == 404
        assert client.get(f"/staff/aid/batches/{batch.pk}/export.xlsx").status_code == 404
        assert client.post(f"/staff/aid/batches/{batch.pk}/settle/").status_code == 404

    def test_lists_show_only_the_users_subtree(self, client, tree, bl_cadre, yz_claim, yz_enrolled):
        client.force_login(bl_cadre)
        assert "0 人次参保" in html(client.get("/staff/aid/enrolments/"))
        assert yz_claim.member.name not in html(client.get("/staff/aid/claims/"))
        assert client.get("/staff/aid/claims/?org=YZ").status_code == 404

    def test_a_viewer_sees_but_cannot_decide(self, client, tree, yz_viewer, yz_claim):
        client.force_login(yz_viewer)
        page = html(client.get(f"/staff/aid/claims/{yz_claim.pk}/"))
        assert 'data-testid="approve"' not in page
        assert client.post(f"/staff/aid/claims/{yz_claim.pk}/approve/").status_code == 403
        assert Claim.objects.get(pk=yz_claim.pk).status == ClaimStatus.SUBMITTED

    def test_a_member_cannot_open_the_workbench_pages(self, client, worker):
        client.force_login(worker)
        assert client.get("/staff/aid/").status_code == 403


# --- attachments -----------------------------------------------------------------------------


class TestDocuments:
    def test_the_reviewing_union_opens_a_document(self, client, yz_cadre, yz_claim):
        client.force_login(yz_cadre)
        doc = yz_claim.documents.get(kind="invoice")
        response = client.get(f"/staff/aid/documents/{doc.pk}/")
        assert response.status_code == 200
        assert b"".join(response.streaming_content).startswith(b"%PDF-")
        assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Security-Policy"].startswith("default-src 'none'")  # nothing in it may run

    def test_the_member_opens_their_own_document_and_no_one_elses(self, client, tree, yz_claim, yz_enrolled):
        owner = UserFactory(username="owner")
        yz_claim.member.user = owner
        yz_claim.member.save(update_fields=["user"])
        stranger = UserFactory(username="stranger")
        doc = yz_claim.documents.first()
        client.force_login(owner)
        assert client.get(f"/aid/documents/{doc.pk}/").status_code == 200
        client.force_login(stranger)
        assert client.get(f"/aid/documents/{doc.pk}/").status_code == 404
        assert client.get(f"/aid/claims/{yz_claim.pk}/").status_code == 404

    def test_an_anonymous_visitor_is_sent_to_the_login(self, client, yz_claim):
        doc = yz_claim.documents.first()
        assert client.get(f"/aid/documents/{doc.pk}/").status_code == 302
        assert client.get(f"/staff/aid/documents/{doc.pk}/").status_code == 302

    def test_documents_are_never_under_a_public_url(self, client, yz_cadre, yz_claim):
        client.force_login(yz_cadre)
        page = html(client.get(f"/staff/aid/claims/{yz_claim.pk}/"))
        for doc in yz_claim.documents.all():
            assert doc.file.name not in page  # the stored name (aid/claims/<random>) never reaches a page
            assert f"/staff/aid/documents/{doc.pk}/" in page


# --- plans -----------------------------------------------------------------------------------

PLAN_POST = {
    "product": "critical_illness", "year": "2027", "name": "2027年特种重病互助保障", "eligibility": "in_service",
    "fee": "30.00", "window_start": "2026-12-01", "window_end": "2027-03-31", "cover_start": "2027-01-01",
    "cover_end": "2027-12-31", "deductible": "0", "ratio_1": "50", "upto_1": "", "yearly_cap": "50000",
    "stay_cap": "",
}


class TestPlans:
    def test_the_city_defines_a_plan_with_ratio_bands(self, client, nb_cadre, tree):
        client.force_login(nb_cadre)
        response = client.post("/staff/aid/plans/new/", {**PLAN_POST, "upto_1": "10000", "ratio_2": "60"})
        plan = Plan.objects.get(product="critical_illness", year=2027)
        assert response.status_code == 302 and response["Location"] == f"/staff/aid/plans/{plan.pk}/"
        assert [(t["upto"] and Decimal(t["upto"]), Decimal(t["ratio"])) for t in plan.tiers] == [
            (Decimal(10000), Decimal("0.5")), (None, Decimal("0.6"))]

    def test_a_band_bound_without_the_next_ratio_is_refused_and_nothing_is_made(self, client, nb_cadre, tree):
        client.force_login(nb_cadre)
        response = client.post("/staff/aid/plans/new/", {**PLAN_POST, "upto_1": "10000"})
        assert response.status_code == 422
        assert "请填写最后一档上限以上部分的比例" in html(response)
        assert not Plan.objects.filter(year=2027).exists()

    def test_the_services_rule_comes_back_beside_the_field(self, client, nb_cadre, tree):
        client.force_login(nb_cadre)
        response = client.post("/staff/aid/plans/new/", {**PLAN_POST, "cover_start": "2028-01-01",
                                                         "cover_end": "2028-12-31"})
        assert response.status_code == 422
        assert "保障开始日期须在方案年度内" in html(response)
        assert not Plan.objects.filter(year=2027).exists()

    def test_a_district_cannot_define_plans(self, client, yz_cadre, plan):
        client.force_login(yz_cadre)
        assert client.get("/staff/aid/plans/new/").status_code == 403
        assert client.post("/staff/aid/plans/new/", PLAN_POST).status_code == 403
        assert 'data-testid="plan-new"' not in html(client.get("/staff/aid/plans/"))

    def test_a_plan_without_enrolments_can_be_changed(self, client, nb_cadre, plan):
        client.force_login(nb_cadre)
        form = html(client.get(f"/staff/aid/plans/{plan.pk}/edit/"))
        assert 'value="60.00"' in form
        data = {**PLAN_POST, "product": plan.product, "year": plan.year, "name": plan.name,
                "window_start": plan.window_start, "window_end": plan.window_end, "cover_start": plan.cover_start,
                "cover_end": plan.cover_end, "fee": "80.00", "deductible": "500", "ratio_1": "50"}
        response = client.post(f"/staff/aid/plans/{plan.pk}/edit/", data)
        assert response.status_code == 302
        assert Plan.objects.get(pk=plan.pk).fee == Decimal("80.00")

    def test_editing_is_refused_once_anyone_is_enrolled(self, client, nb_cadre, plan, yz_enrolled):
        client.force_login(nb_cadre)
        page = html(client.get(f"/staff/aid/plans/{plan.pk}/"))
        assert 'data-testid="plan-locked"' in page and 'data-testid="plan-edit"' not in page
        response = client.post(f"/staff/aid/plans/{plan.pk}/edit/", {**PLAN_POST, "fee": "1.00"}, follow=True)
        assert "已有会员参保，本年度方案不能再修改" in html(response)
        assert Plan.objects.get(pk=plan.pk).fee == Decimal("60.00")

    def test_next_years_version_starts_from_this_years_rules(self, client, nb_cadre, plan, yz_enrolled):
        client.force_login(nb_cadre)
        form = html(client.get(f"/staff/aid/plans/new/?from={plan.pk}"))
        assert f'value="{plan.year + 1}"' in form and 'value="500.00"' in form


# --- enrolment -------------------------------------------------------------------------------


class TestEnrolment:
    def test_the_page_shows_the_fee_due_before_confirming(self, client, tree, yz_cadre, plan):
        members_with_numbers(tree.yze, 4)
        client.force_login(yz_cadre)
        page = html(client.get(f"/staff/aid/plans/{plan.pk}/enrol/?org=YZ"))
        assert 'data-testid="fee-due-all">240.00 元<' in page
        assert not Enrolment.objects.exists()

    def test_confirming_enrols_all_eligible_members_and_lands_on_the_batch(self, client, tree, yz_cadre, plan):
        members_with_numbers(tree.yze, 4)
        client.force_login(yz_cadre)
        response = client.post(f"/staff/aid/plans/{plan.pk}/enrol/?org=YZ", {"mode": "all", "confirm": "1"},
                               follow=True)
        assert Enrolment.objects.count() == 4
        assert 'data-testid="batch-fee">240.00 元<' in html(response)

    def test_a_selection_enrols_only_the_ticked_members(self, client, tree, yz_cadre, plan):
        people = members_with_numbers(tree.yze, 3)
        client.force_login(yz_cadre)
        picked = [people[0][0].pk, people[2][0].pk]
        page = html(client.get(f"/staff/aid/plans/{plan.pk}/enrol/", {"org": "YZ", "mode": "selection",
                                                                      "pick": picked}))
        assert 'data-testid="fee-due-selected">120.00 元<' in page
        client.post(f"/staff/aid/plans/{plan.pk}/enrol/?org=YZ",
                    {"mode": "selection", "members": ",".join(map(str, picked)), "confirm": "1"})
        assert set(Enrolment.objects.values_list("member_id", flat=True)) == set(picked)

    def test_an_uploaded_list_enrols_and_lists_the_lines_it_cannot(self, client, tree, yz_cadre, plan):
        people = members_with_numbers(tree.yze, 2)
        outsider = valid_id_number()
        body = "身份证号\n" + "\n".join([people[0][1], people[1][1], outsider, "12345"]) + "\n"
        client.force_login(yz_cadre)
        response = client.post(f"/staff/aid/plans/{plan.pk}/enrol/?org=YZ",
                               {"mode": "list", "confirm": "1",
                                "file": SimpleUploadedFile("名单.csv", body.encode("utf-8"))}, follow=True)
        page = html(response)
        assert Enrolment.objects.count() == 2
        assert "不是本工会（含下级）会员" in page and "身份证号应为 18 位，当前为 5 位" in page
        assert outsider not in page

    def test_enrolment_outside_the_window_is_refused_and_changes_nothing(self, client, tree, yz_cadre):
        closed = open_plan(window_start=dt.date(2025, 11, 1), window_end=dt.date(2026, 1, 31))
        members_with_numbers(tree.yze, 2)
        client.force_login(yz_cadre)
        page = html(client.get(f"/staff/aid/plans/{closed.pk}/enrol/?org=YZ"))
        assert 'data-testid="window-closed"' in page
        response = client.post(f"/staff/aid/plans/{closed.pk}/enrol/?org=YZ", {"mode": "all", "confirm": "1"})
        assert response.status_code == 422
        assert "参保登记期为" in html(response)
        assert not Enrolment.objects.exists()

    def test_a_district_cannot_enrol_another_districts_members(self, client, tree, bl_cadre, plan):
        client.force_login(bl_cadre)
        assert client.post(f"/staff/aid/plans/{plan.pk}/enrol/?org=YZ", {"mode": "all", "confirm": "1"}
                           ).status_code == 404
        assert not Enrolment.objects.exists()


# --- claims ----------------------------------------------------------------------------------


class TestClaimReview:
    def test_the_review_page_shows_the_payout_and_its_steps_before_approving(self, client, yz_cadre, yz_claim):
        client.force_login(yz_cadre)
        page = html(client.get(f"/staff/aid/claims/{yz_claim.pk}/"))
        # 12,000 − 500 = 11,500: 10,000 × 50% + 1,500 × 60% = 5,900.
        assert 'data-testid="claim-preview">5,900.00 元<' in page
        assert "目录内自付 12000.00 元 − 起付线 500.00 元 = 11500.00 元" in page

    def test_approving_records_the_payout_shown(self, client, yz_cadre, yz_claim):
        client.force_login(yz_cadre)
        response = client.post(f"/staff/aid/claims/{yz_claim.pk}/approve/", follow=True)
        assert Payout.objects.get(claim=yz_claim).amount == Decimal("5900.00")
        assert 'data-testid="claim-payout">5,900.00 元<' in html(response)

    def test_a_refusal_needs_a_code_and_for_other_a_sentence(self, client, yz_cadre, yz_claim):
        client.force_login(yz_cadre)
        response = client.post(f"/staff/aid/claims/{yz_claim.pk}/refuse/", {"code": "other", "reason": ""})
        assert response.status_code == 422
        assert "请填写原因，会员会看到" in html(response)
        response = client.post(f"/staff/aid/claims/{yz_claim.pk}/refuse/", {"code": "bogus", "reason": "x"})
        assert response.status_code == 422
        assert Claim.objects.get(pk=yz_claim.pk).status == ClaimStatus.SUBMITTED
        client.post(f"/staff/aid/claims/{yz_claim.pk}/refuse/", {"code": "documents_missing", "reason": "发票不清晰"})
        claim = Claim.objects.get(pk=yz_claim.pk)
        assert (claim.status, claim.reason_code, claim.reason) == (ClaimStatus.REFUSED, "documents_missing", "发票不清晰")


# --- payouts and payment batches --------------------------------------------------------------


class TestPayments:
    def test_a_batch_is_made_exported_and_settled_with_one_failure_then_retried(self, client, tree, yz_cadre,
                                                                             yz_enrolled, nb_cadre):
        records = [record(number, self_pay_in="3500.00") for _member, number in yz_enrolled]
        feed_receive_api(actor=nb_cadre, org=tree.nb, records=records)
        client.force_login(yz_cadre)
        response = client.post("/staff/aid/batches/new/?org=YZ", {"key": "k1"})
        batch = PaymentBatch.objects.get()
        assert response["Location"] == f"/staff/aid/batches/{batch.pk}/"
        assert client.post("/staff/aid/batches/new/?org=YZ", {"key": "k1"})["Location"] == response["Location"]
        export = client.get(f"/staff/aid/batches/{batch.pk}/export.xlsx")
        assert export.status_code == 200 and export.content[:2] == b"PK"
        from gonghui.core.models import AuditEntry

        assert AuditEntry.objects.filter(action="aid.payment_batch_export").count() == 1
        first = batch.payment_lines.order_by("pk").first()
        refused = client.post(f"/staff/aid/batches/{batch.pk}/settle/", {"payout": first.payout_id, "reason": ""})
        assert refused.status_code == 422 and "请填写银行给出的原因" in html(refused)
        client.post(f"/staff/aid/batches/{batch.pk}/settle/", {"payout": first.payout_id, "reason": "账户已销户"})
        client.post(f"/staff/aid/batches/{batch.pk}/settle/")
        statuses = sorted(Payout.objects.values_list("status", flat=True))
        assert statuses == [PayoutStatus.FAILED, PayoutStatus.PAID, PayoutStatus.PAID]
        response = client.post(f"/staff/aid/batches/{batch.pk}/retry/", follow=True)
        retry = PaymentBatch.objects.exclude(pk=batch.pk).get()
        assert retry.retry_of_id == batch.pk and retry.lines == 1
        assert "失败的支付已放入新批次" in html(response)


# --- member pages ----------------------------------------------------------------------------


@pytest.fixture
def member_login(client, yz_enrolled):
    member, _number = yz_enrolled[0]
    user = UserFactory(username="aid_member")
    member.user = user
    member.save(update_fields=["user"])
    client.force_login(user)
    return member


class TestMemberPages:
    def test_the_cover_shows_what_is_left_of_the_yearly_cap(self, client, member_login, yz_cadre, yz_claim):
        services.claim_approve(actor=yz_cadre, claim=yz_claim)
        page = html(client.get("/aid/"))
        assert 'data-testid="cap-left">14,100.00 元<' in page
        assert "5,900.00 元" in page

    def test_a_payout_shows_the_rule_step_by_step(self, client, member_login, yz_cadre, yz_claim):
        payout = services.claim_approve(actor=yz_cadre, claim=yz_claim)
        page = html(client.get(f"/aid/payouts/{payout.pk}/"))
        for step in ("目录内自付 12000.00 元 − 起付线 500.00 元 = 11500.00 元", "10000.00 元 × 50% = 5000.00 元",
                     "1500.00 元 × 60% = 900.00 元", "本次给付：5900.00 元"):
            assert step in page

    def test_another_members_payout_is_not_found(self, client, tree, member_login, yz_cadre, yz_enrolled):
        other = yz_enrolled[1][0]
        claim = services.claim_file(actor=yz_cadre, member=other, documents=documents(), **claim_fields())
        payout = services.claim_approve(actor=yz_cadre, claim=claim)
        assert client.get(f"/aid/payouts/{payout.pk}/").status_code == 404

    def test_a_member_files_a_claim_with_photos_and_follows_it(self, client, member_login):
        from tests.mutualaid.helpers import PDF, PNG

        enrolment = Enrolment.objects.get(member=member_login)
        data = {"enrolment": enrolment.pk, "relation": "self", **claim_fields(),
                "invoice": SimpleUploadedFile("发票.jpg", b"\xff\xd8\xff\xe0" + b"0" * 64),
                "itemised_bill": SimpleUploadedFile("清单.png", PNG),
                "discharge_summary": SimpleUploadedFile("小结.pdf", PDF)}
        response = client.post("/aid/claims/new/", data)
        claim = Claim.objects.get(member=member_login)
        assert response["Location"] == f"/aid/claims/{claim.pk}/"
        assert claim.documents.count() == 3
        assert "正在审核您的材料" in html(client.get(response["Location"]))
        assert "互助金申请" in html(client.get("/services/"))

    def test_a_file_that_is_not_a_photo_or_pdf_is_refused_and_nothing_is_filed(self, client, member_login):
        from tests.mutualaid.helpers import PDF

        enrolment = Enrolment.objects.get(member=member_login)
        data = {"enrolment": enrolment.pk, "relation": "self", **claim_fields(),
                "invoice": SimpleUploadedFile("发票.pdf", b"MZ\x90\x00 not a pdf"),
                "itemised_bill": SimpleUploadedFile("清单.pdf", PDF),
                "discharge_summary": SimpleUploadedFile("小结.exe", PDF)}
        response = client.post("/aid/claims/new/", data)
        assert response.status_code == 422
        page = html(response)
        # The content decides, as everywhere (core.uploads): the refused file is named, the PDF
        # that was given an .exe name is not refused for its name.
        assert "发票.pdf：只能上传照片（JPEG、PNG）或 PDF 文件。" in page and "小结.exe" not in page
        assert not Claim.objects.exists()

    def test_a_claim_for_a_parent_needs_the_plan_to_allow_it(self, client, member_login):
        from tests.mutualaid.helpers import PDF

        enrolment = Enrolment.objects.get(member=member_login)
        data = {"enrolment": enrolment.pk, "relation": "parent", "patient_name": "张老汉",
                "patient_id_number": valid_id_number(), **claim_fields(),
                **{k: SimpleUploadedFile(f"{k}.pdf", PDF) for k in ("invoice", "itemised_bill",
                                                                   "discharge_summary", "relationship")}}
        response = client.post("/aid/claims/new/", data)
        assert response.status_code == 422
        assert "该方案不保障父母、子女" in html(response)
        assert not Claim.objects.exists()


# --- lists run a fixed number of queries -------------------------------------------------------


def _queries(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", ["/staff/aid/claims/", "/staff/aid/payouts/", "/staff/aid/enrolments/"])
def test_a_list_page_does_not_run_a_query_per_row(client, tree, yz_cadre, plan, nb_cadre, url):
    def grow(n):
        people = members_with_numbers(tree.yze, n)
        services.enrol_batch(actor=yz_cadre, plan=plan, org=tree.yz, on=jan1())
        for member, number in people:
            services.claim_file(actor=yz_cadre, member=member, documents=documents(), **claim_fields())
        feed_receive_api(actor=nb_cadre, org=tree.nb, records=[record(number) for _m, number in people])

    grow(2)
    client.force_login(yz_cadre)
    few = _queries(client, url)
    grow(5)
    assert _queries(client, url) == few


class TestClaimsForFamily:
    @pytest.fixture
    def family_plan(self, tree, member_login, yz_cadre):
        from gonghui.mutualaid.models import Product

        plan = open_plan(product=Product.CRITICAL_ILLNESS, name="特种重病互助保障", allows_dependants=True)
        services.enrol_member(actor=yz_cadre, plan=plan, member=member_login, on=jan1())
        return plan

    def _post(self, client, plan, member, **extra):
        from tests.mutualaid.helpers import PDF

        enrolment = Enrolment.objects.get(member=member, plan=plan)
        files = {k: SimpleUploadedFile(f"{k}.pdf", PDF) for k in ("invoice", "itemised_bill", "discharge_summary")}
        data = {"enrolment": enrolment.pk, "relation": "parent", "patient_name": "张老汉", **claim_fields(),
                **files, **extra}
        return client.post("/aid/claims/new/", data)

    def test_a_member_claims_for_a_parent_with_proof(self, client, member_login, family_plan):
        from tests.mutualaid.helpers import PDF

        number = valid_id_number(birth=dt.date(1950, 2, 3))
        response = self._post(client, family_plan, member_login, patient_id_number=number,
                              relationship=SimpleUploadedFile("户口本.pdf", PDF))
        claim = Claim.objects.get()
        assert response.status_code == 302
        assert (claim.relation, claim.patient_name, claim.documents.count()) == ("parent", "张老汉", 4)
        assert number not in html(client.get(f"/aid/claims/{claim.pk}/"))

    def test_without_proof_nothing_is_filed_and_the_id_number_is_not_echoed(self, client, member_login,
                                                                            family_plan):
        number = valid_id_number(birth=dt.date(1951, 4, 5))
        response = self._post(client, family_plan, member_login, patient_id_number=number)
        assert response.status_code == 422
        page = html(response)
        assert "为父母或子女申请须附关系证明" in page
        assert number not in page
        assert not Claim.objects.exists()


def test_the_pages_speak_english_when_asked(client, yz_cadre, yz_claim, settings):
    client.force_login(yz_cadre)
    page = html(client.get(f"/staff/aid/claims/{yz_claim.pk}/", HTTP_ACCEPT_LANGUAGE="en"))
    assert "Approve the claim" in page and "In-catalogue self-pay 12000.00 − deductible 500.00" in page


class TestHomePeriod:
    def test_a_period_of_ones_own_counts_only_its_days(self, client, yz_cadre, yz_enrolled):
        client.force_login(yz_cadre)
        year = jan1().year
        first_day = html(client.get(f"/staff/aid/?start={year}-01-01&end={year}-01-01"))
        assert 'data-testid="kpi-aid_enrolments">3<' in first_day
        assert 'data-testid="kpi-aid_enrolments">0<' in html(client.get(f"/staff/aid/?start={year}-01-02"))
        assert 'data-testid="kpi-aid_enrolments">0<' in html(client.get(f"/staff/aid/?year={year - 1}"))

    def test_a_period_ending_before_it_starts_is_refused(self, client, yz_cadre):
        client.force_login(yz_cadre)
        page = html(client.get("/staff/aid/?start=2026-05-01&end=2026-04-01"))
        assert "结束日期不能早于开始日期" in page
        assert 'data-testid="kpi-aid_enrolments">0<' in page  # this year's figures instead


def test_a_settlement_file_of_the_wrong_kind_is_refused_and_nothing_is_queued(client, yz_cadre):
    from gonghui.mutualaid.models import SettlementFeed

    client.force_login(yz_cadre)
    response = client.post("/staff/aid/feeds/", {"file": SimpleUploadedFile("结算.xls", b"\xd0\xcf\x11\xe0old excel")})
    assert response.status_code == 422
    assert "无法读取旧版 Excel 文件（.xls）" in html(response)
    assert not SettlementFeed.objects.exists()


def test_a_viewer_cannot_send_a_settlement_file(client, yz_viewer):
    from gonghui.mutualaid.models import SettlementFeed

    client.force_login(yz_viewer)
    response = client.post("/staff/aid/feeds/", {"file": SimpleUploadedFile("结算.csv", b"a,b\n1,2\n")})
    assert response.status_code == 403
    assert not SettlementFeed.objects.exists()
