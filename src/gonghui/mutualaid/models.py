"""Medical mutual aid (职工医疗互助保障): plans, enrolments, settlement records, claims, payouts.

See docs/mutualaid.md for the states, the refusal codes and the decisions behind them.
Every row that belongs to a union stores its ``org`` and the denormalised ``org_path`` so a
subtree is one index range. ID numbers (members' and dependants') are kept as keyed hash,
ciphertext bound to the hash and masked form, never in plain text.
"""

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _, pgettext_lazy

MONEY = dict(max_digits=14, decimal_places=2)


class Product(models.TextChoices):
    INPATIENT = "inpatient", _("In-service inpatient aid")  # 在职职工住院医疗互助保障
    CRITICAL_ILLNESS = "critical_illness", _("Critical illness aid")  # 特种重病互助保障
    RETIREE_INPATIENT = "retiree_inpatient", _("Retiree inpatient aid")  # 退休职工住院医疗互助保障


# Products priced against an in-patient plan: an in-service member is in ``inpatient``, a retiree in
# ``retiree_inpatient``; a settlement or claim says ``inpatient`` and finds whichever the person has.
PRODUCT_GROUP = {
    Product.INPATIENT: (Product.INPATIENT, Product.RETIREE_INPATIENT),
    Product.RETIREE_INPATIENT: (Product.INPATIENT, Product.RETIREE_INPATIENT),
    Product.CRITICAL_ILLNESS: (Product.CRITICAL_ILLNESS,),
}


class Eligibility(models.TextChoices):
    IN_SERVICE = "in_service", _("In-service members")
    RETIREE = "retiree", _("Retired members")


class Plan(models.Model):
    """One product's rules for one year (a plan year). Immutable once anyone is enrolled.

    ``tiers`` is the ratio schedule applied to the eligible amount (self-pay minus deductible),
    progressive like tax bands: ``[{"upto": "10000.00", "ratio": "0.50"}, {"upto": null, "ratio": "0.60"}]``
    pays 50% of the first 10,000 yuan and 60% above; the last band is open (``upto`` null).
    """

    product = models.CharField(_("product"), max_length=20, choices=Product.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    name = models.CharField(pgettext_lazy("thing", "name"), max_length=100)
    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+", verbose_name=_("defined by"))
    org_path = models.CharField(_("union path"), max_length=255)
    fee = models.DecimalField(_("fee per head"), **MONEY)
    window_start = models.DateField(_("enrolment opens"))
    window_end = models.DateField(_("enrolment closes"))
    cover_start = models.DateField(_("cover starts"))
    cover_end = models.DateField(_("cover ends"))
    eligibility = models.CharField(_("eligibility"), max_length=12, choices=Eligibility.choices)
    deductible = models.DecimalField(_("deductible"), **MONEY)
    tiers = models.JSONField(_("ratio tiers"))
    yearly_cap = models.DecimalField(_("yearly cap per member"), **MONEY)
    stay_cap = models.DecimalField(_("cap per stay"), null=True, blank=True, **MONEY)
    allows_dependants = models.BooleanField(_("claims for parents and children"), default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"),
                                   null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Members enrolled (all unions), so that lists of plans do not count millions of enrolments:
    # moved by the enrolment writer in the transaction of the rows (``enrolments_write``: a union's
    # batch, the demo, the bench); ``gonghui stats rebuild`` recounts it. The only column that changes once anyone is
    # enrolled (migration 0005's trigger).
    enrolled = models.PositiveIntegerField(_("members enrolled"), default=0, editable=False)

    class Meta:
        verbose_name = _("mutual-aid plan")
        verbose_name_plural = _("mutual-aid plans")
        ordering = ["-year", "product"]
        constraints = [
            models.UniqueConstraint(fields=["product", "year"], name="aid_plan_one_per_product_year"),
            models.UniqueConstraint(fields=["product", "version"], name="aid_plan_version_unique"),
            models.CheckConstraint(condition=models.Q(window_end__gte=models.F("window_start")),
                                   name="aid_plan_window_in_order"),
            models.CheckConstraint(condition=models.Q(cover_end__gte=models.F("cover_start")),
                                   name="aid_plan_cover_in_order"),
            models.CheckConstraint(condition=models.Q(fee__gte=0) & models.Q(deductible__gte=0)
                                   & models.Q(yearly_cap__gte=0), name="aid_plan_amounts_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.year} v{self.version})"


class EnrolmentBatch(models.Model):
    """One batch enrolment by a union: what was asked, how many were enrolled, the fee due."""

    class Mode(models.TextChoices):
        ALL = "all", _("All eligible members of the union")
        SELECTION = "selection", _("Selected members")
        LIST = "list", _("Uploaded list of ID numbers")

    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="batches")
    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+", verbose_name=_("union"))
    org_path = models.CharField(max_length=255, db_index=True)
    mode = models.CharField(_("mode"), max_length=10, choices=Mode.choices)
    enrolled_on = models.DateField(_("enrolled on"))
    asked = models.PositiveIntegerField(_("asked"), default=0)
    enrolled = models.PositiveIntegerField(_("enrolled"), default=0)
    already = models.PositiveIntegerField(_("already enrolled"), default=0)
    refused = models.PositiveIntegerField(_("refused"), default=0)
    fee_due = models.DecimalField(_("fee due"), default=0, **MONEY)
    # Lines that could not be enrolled: [{"line": n, "code": "...", "who": masked id or member id}].
    report = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("enrolment batch")
        verbose_name_plural = _("enrolment batches")


class Enrolment(models.Model):
    """A member enrolled in a plan year (参保) by a union; at most once per plan."""

    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="aid_enrolments")
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="enrolments")
    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+", verbose_name=_("union"))
    org_path = models.CharField(max_length=255)  # the member's union at enrolment
    enrolled_on = models.DateField(_("enrolled on"))
    fee = models.DecimalField(_("fee"), **MONEY)
    batch = models.ForeignKey(EnrolmentBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    enrolled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        indexes = [
            models.Index(fields=["org_path", "enrolled_on"], name="aid_enrol_subtree_idx"),
            models.Index(fields=["plan", "org_path"], name="aid_enrol_plan_idx"),
        ]
        constraints = [models.UniqueConstraint(fields=["member", "plan"], name="aid_enrol_once_per_plan")]

    def __str__(self) -> str:
        return f"{self.member_id} in {self.plan_id}"


class Ledger(models.Model):
    """What one person has been paid under one plan year: the yearly cap holds against it.

    ``person_hash`` is the member's ID hash, or a dependant's for claims for parents/children
    (each person has their own cap). Every payout locks the row (SELECT … FOR UPDATE).
    """

    # Found by (plan, person_hash) only, the unique key: the pricing engine creates a million
    # ledgers a run, and each further index costs every one of them.
    # No database constraint either: a ledger belongs to a plan someone is enrolled in, and the
    # enrolments' key keeps that plan (checking each of a million new rows cost 5 µs a row).
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False)
    person_hash = models.CharField(max_length=64)
    # Whose ledger it is, for reading. No database constraint: the check would lock each member's row.
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+", db_constraint=False,
                               db_index=False)
    paid_total = models.DecimalField(default=0, **MONEY)
    payouts = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["plan", "person_hash"], name="aid_ledger_unique"),
            models.CheckConstraint(condition=models.Q(paid_total__gte=0), name="aid_ledger_not_negative"),
        ]


def _feed_file_path(feed: "SettlementFeed", filename: str) -> str:
    return f"aid/feeds/{uuid.uuid4().hex}{PurePath(filename).suffix.lower()[:8]}"


class FeedStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting to start")
    RECEIVING = "receiving", _("Reading the records")
    RECEIVED = "received", _("Received, waiting to be priced")
    PRICING = "pricing", _("Pricing")
    DONE = "done", _("Priced")
    REFUSED = "refused", _("Refused")
    FAILED = "failed", _("Failed")


class SettlementFeed(models.Model):
    """One delivery of settlement records from the medical insurer: a file or one API call."""

    class Source(models.TextChoices):
        FILE = "file", _("File")
        API = "api", _("API")

    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+", verbose_name=_("received by"))
    org_path = models.CharField(_("union path"), max_length=255, db_index=True)
    source = models.CharField(_("source"), max_length=4, choices=Source.choices)
    filename = models.CharField(_("file"), max_length=200, blank=True)
    upload = models.FileField(_("uploaded file"), upload_to=_feed_file_path, max_length=200, blank=True)
    size = models.BigIntegerField(_("file size"), default=0)
    language = models.CharField(_("language"), max_length=16, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=FeedStatus.choices, default=FeedStatus.QUEUED)
    rows = models.PositiveIntegerField(_("records"), default=0)
    stored = models.PositiveIntegerField(_("new records"), default=0)
    repeated = models.PositiveIntegerField(_("already received"), default=0)
    invalid = models.PositiveIntegerField(_("invalid lines"), default=0)
    priced = models.PositiveIntegerField(_("priced"), default=0)
    rejected = models.PositiveIntegerField(_("rejected"), default=0)
    paid_amount = models.DecimalField(_("amount due"), default=0, **MONEY)
    progress = models.PositiveIntegerField(_("progress"), default=0)
    report = models.JSONField(_("report"), default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"),
                                   null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("settlement feed")
        verbose_name_plural = _("settlement feeds")


class SettlementStatus(models.TextChoices):
    RECEIVED = "received", _("Received")
    PRICED = "priced", _("Priced")
    REJECTED = "rejected", _("Rejected")


class SettlementRecord(models.Model):
    """One hospital stay's settlement from medical insurance (医保结算), as the insurer sent it."""

    settlement_id = models.CharField(_("settlement id"), max_length=64)
    # No index of its own: (feed, id_hash) serves the feed's lookups.
    feed = models.ForeignKey(SettlementFeed, verbose_name=_("settlement feed"),
                             on_delete=models.PROTECT, related_name="records", db_index=False)
    id_hash = models.CharField(_("ID number hash"), max_length=64)
    id_cipher = models.BinaryField(_("ID number (encrypted)"))
    id_masked = models.CharField(_("ID number"), max_length=18)
    pii_key_id = models.CharField(_("key id"), max_length=16)
    product = models.CharField(_("product"), max_length=20, choices=Product.choices, default=Product.INPATIENT)
    hospital = models.CharField(_("hospital"), max_length=200)
    admitted_on = models.DateField(_("admitted on"))
    discharged_on = models.DateField(_("discharged on"))
    total_cost = models.DecimalField(_("total cost"), **MONEY)
    fund_paid = models.DecimalField(_("paid by the fund"), **MONEY)
    self_pay_in = models.DecimalField(_("in-catalogue self-pay"), **MONEY)
    self_pay_out = models.DecimalField(_("out-of-catalogue self-pay"), **MONEY)
    status = models.CharField(_("status"), max_length=10, choices=SettlementStatus.choices,
                              default=SettlementStatus.RECEIVED)
    reason_code = models.CharField(_("reason"), max_length=24, blank=True)
    # The union that received the feed: who sees the record. A priced record's member, enrolment and
    # union are on its Payout.
    org_path = models.CharField(_("union path"), max_length=255)
    received_at = models.DateTimeField(_("received from the insurer"), auto_now_add=True)
    priced_at = models.DateTimeField(_("priced at"), null=True, blank=True)

    class Meta:
        verbose_name = _("settlement record")
        verbose_name_plural = _("settlement records")
        indexes = [
            # The pricing engine takes a feed's received records in person order. ``status`` is in no
            # index, so that pricing a record is an in-place (HOT) update: no new index entries,
            # on pages left 10 % free for it (migration 0007's fillfactor, PostgreSQL).
            models.Index(fields=["feed", "id_hash"], name="aid_settle_feed_idx"),
            models.Index(fields=["id_hash", "admitted_on"], name="aid_settle_person_idx"),
        ]
        constraints = [models.UniqueConstraint(fields=["settlement_id"], name="aid_settlement_id_unique")]

    def __str__(self) -> str:
        return self.settlement_id


class Relation(models.TextChoices):
    SELF = "self", _("The member")
    PARENT = "parent", _("Parent")
    CHILD = "child", _("Child")


class ClaimStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Waiting for review")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Claim(models.Model):
    """A claim (申请) for a hospital stay, for members whose stays do not come in the feed."""

    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="aid_claims")
    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="claims")
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="+")
    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+", verbose_name=_("union"))
    org_path = models.CharField(max_length=255)  # the enrolment's union: it reviews the claim
    relation = models.CharField(_("patient"), max_length=8, choices=Relation.choices, default=Relation.SELF)
    patient_name = models.CharField(_("patient's name"), max_length=50)
    # The patient's ID number (the member's own when relation is self).
    patient_hash = models.CharField(max_length=64)
    patient_cipher = models.BinaryField()
    patient_masked = models.CharField(_("patient's ID number"), max_length=18)
    pii_key_id = models.CharField(max_length=16)
    hospital = models.CharField(_("hospital"), max_length=200)
    admitted_on = models.DateField(_("admitted on"))
    discharged_on = models.DateField(_("discharged on"))
    total_cost = models.DecimalField(_("total cost"), **MONEY)
    fund_paid = models.DecimalField(_("paid by the fund"), **MONEY)
    self_pay_in = models.DecimalField(_("in-catalogue self-pay"), **MONEY)
    self_pay_out = models.DecimalField(_("out-of-catalogue self-pay"), **MONEY)
    status = models.CharField(_("status"), max_length=10, choices=ClaimStatus.choices, default=ClaimStatus.SUBMITTED)
    reason_code = models.CharField(_("reason"), max_length=24, blank=True)
    reason = models.CharField(_("reason given"), max_length=200, blank=True)
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    filed_at = models.DateTimeField(_("filed at"), auto_now_add=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("claim")
        verbose_name_plural = _("claims")
        indexes = [
            models.Index(fields=["org_path", "status"], name="aid_claim_queue_idx"),
            models.Index(fields=["member", "-filed_at"], name="aid_claim_member_idx"),
        ]
        constraints = [
            # The same stay is claimed once while a claim for it is open or approved.
            models.UniqueConstraint(fields=["patient_hash", "admitted_on", "hospital"],
                                    condition=models.Q(status__in=["submitted", "approved"]),
                                    name="aid_claim_one_live_per_stay"),
        ]


class DocumentKind(models.TextChoices):
    INVOICE = "invoice", _("Invoice")
    ITEMISED_BILL = "itemised_bill", _("Itemised bill")
    DISCHARGE_SUMMARY = "discharge_summary", _("Discharge summary")
    RELATIONSHIP = "relationship", _("Proof of relationship")


def _document_path(doc: "ClaimDocument", filename: str) -> str:
    return f"aid/claims/{uuid.uuid4().hex}{PurePath(filename).suffix.lower()[:8]}"


class ClaimDocument(models.Model):
    """A scan or photo attached to a claim; kept under MEDIA_ROOT, served after a permission check."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("document"), max_length=20, choices=DocumentKind.choices)
    file = models.FileField(upload_to=_document_path, max_length=200)
    filename = models.CharField(_("file"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("claim document")
        verbose_name_plural = _("claim documents")


class PayoutStatus(models.TextChoices):
    DUE = "due", _("To be paid")
    BATCHED = "batched", _("In a payment batch")
    PAID = "paid", _("Paid")
    FAILED = "failed", _("Payment failed")
    NIL = "nil", _("Nothing due")


class Payout(models.Model):
    """The priced result of one settlement record or one approved claim: at most one per source."""

    # The source keys (and ``enrolment``) are checked once per statement, not per row (migrations
    # 0008 and 0009, triggers on PostgreSQL: what a payout names must exist, and a row a payout names
    # cannot be deleted). As foreign keys they cost a checking query per payout.
    settlement = models.OneToOneField(SettlementRecord, verbose_name=_("settlement record"),
                                      null=True, blank=True, on_delete=models.PROTECT,
                                      related_name="payout", db_constraint=False)
    claim = models.OneToOneField(Claim, verbose_name=_("claim"),
                                 null=True, blank=True, on_delete=models.PROTECT, related_name="payout",
                                 db_constraint=False)
    # A million payouts are written per batch: no index beyond those the reads use ((member, day) serves
    # the member's own list; enrolments and plans are never deleted once paid from).
    # ``member`` and ``plan`` are the enrolment's, copied for the reads: the database enforces them
    # through ``enrolment`` (its own keys to member and plan, all PROTECT), not twice more per row
    # (each check at commit locks the referenced row: a million member rows per pricing run).
    member = models.ForeignKey("members.Member", verbose_name=_("member"), on_delete=models.PROTECT, related_name="aid_payouts",
                               db_index=False, db_constraint=False)
    # Indexed: without it, deleting enrolments (demo replace, clean-ups) checks the key against the
    # whole payout table. Checked per statement like the sources (migration 0009's triggers).
    enrolment = models.ForeignKey(Enrolment, verbose_name=_("enrolment"),
                                  on_delete=models.PROTECT, related_name="+", db_constraint=False)
    plan = models.ForeignKey(Plan, verbose_name=_("aid plan"),
                             on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False)
    org_path = models.CharField(_("union path"), max_length=255)  # the enrolment's union
    person_hash = models.CharField(_("person hash"), max_length=64)
    product = models.CharField(_("product"), max_length=20, choices=Product.choices)
    self_pay_in = models.DecimalField(_("in-catalogue self-pay"), **MONEY)
    # What the person had been paid under the plan year before this payout: with the plan's rule and
    # the self-pay it gives the explanation again, step by step (rules.price is deterministic).
    paid_before = models.DecimalField(_("paid before in the year"), **MONEY)
    amount = models.DecimalField(_("amount"), **MONEY)
    status = models.CharField(_("status"), max_length=8, choices=PayoutStatus.choices, default=PayoutStatus.DUE)
    decided_on = models.DateField(_("decided on"))  # the day it was priced: the statistics' day
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("payout")
        verbose_name_plural = _("payouts")
        indexes = [
            # Distinct members paid in a subtree and period: one range of a partial index (payouts above
            # zero), the members read from the index itself.
            models.Index(fields=["org_path", "decided_on", "member"], condition=models.Q(amount__gt=0),
                         name="aid_payout_subtree_idx"),
            models.Index(fields=["member", "-decided_on"], name="aid_payout_member_idx"),
            models.Index(fields=["status", "org_path"], name="aid_payout_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(settlement__isnull=False) & models.Q(claim__isnull=True))
                | (models.Q(settlement__isnull=True) & models.Q(claim__isnull=False)),
                name="aid_payout_one_source"),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="aid_payout_not_negative"),
        ]


class PaymentBatch(models.Model):
    """Payouts of one union sent to the bank together (export, then paid / failed per line)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Exported, waiting for the bank")
        CLOSED = "closed", _("Closed")

    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+", verbose_name=_("union"))
    org_path = models.CharField(max_length=255, db_index=True)
    idempotency_key = models.CharField(max_length=64, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    lines = models.PositiveIntegerField(_("payouts"), default=0)
    total = models.DecimalField(_("total"), default=0, **MONEY)
    retry_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("payment batch")
        verbose_name_plural = _("payment batches")
        constraints = [
            models.UniqueConstraint(fields=["org", "idempotency_key"], condition=~models.Q(idempotency_key=""),
                                    name="aid_batch_idempotency"),
        ]


class PaymentLine(models.Model):
    """One payout in one payment batch. A payout is in at most one batch that is not failed."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Sent to the bank")
        PAID = "paid", _("Paid")
        FAILED = "failed", _("Failed")

    batch = models.ForeignKey(PaymentBatch, on_delete=models.PROTECT, related_name="payment_lines")
    payout = models.ForeignKey(Payout, on_delete=models.PROTECT, related_name="payment_lines")
    amount = models.DecimalField(**MONEY)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    failure = models.CharField(_("reason of failure"), max_length=200, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["payout"], condition=~models.Q(status="failed"),
                                    name="aid_line_payout_once"),
        ]


class Reason(models.TextChoices):
    """Why something was refused or rejected: a stable code, and its sentence for people."""

    # settlement records and claims
    INVALID = "invalid", _("The record is incomplete or inconsistent")
    NOT_A_MEMBER = "not_a_member", _("Not a union member")
    NOT_ENROLLED = "not_enrolled", _("Not enrolled in mutual aid for that year")
    NOT_COVERED_DATES = "not_covered_dates", _("The stay is outside the period of cover")
    DUPLICATE = "duplicate", _("This hospital stay has already been priced")
    DEPENDANTS_NOT_ALLOWED = "dependants_not_allowed", _("The plan does not cover parents or children")
    DOCUMENTS_MISSING = "documents_missing", _("Documents are missing or unreadable")
    NOT_A_HOSPITAL_STAY = "not_a_hospital_stay", _("Not a hospital stay covered by the plan")
    OTHER = "other", _("Other reason (see the explanation)")
    # enrolment
    OUTSIDE_WINDOW = "outside_window", _("Outside the enrolment period")
    NOT_ELIGIBLE = "not_eligible", _("Does not meet the plan's eligibility")
    NOT_ACTIVE = "not_active", _("Has left the union")
    NOT_IN_UNION = "not_in_union", _("Not a member of this union or the unions under it")
    ALREADY_ENROLLED = "already_enrolled", _("Already enrolled in this plan")
    PLAN_LOCKED = "plan_locked", _("Members are enrolled: the plan year can no longer change")
    CONFLICT = "conflict", _("This settlement id was already received with different data")


# The codes a cadre may choose when refusing a claim.
CLAIM_REFUSAL_CODES = (Reason.NOT_COVERED_DATES, Reason.DOCUMENTS_MISSING, Reason.NOT_A_HOSPITAL_STAY,
                       Reason.DUPLICATE, Reason.DEPENDANTS_NOT_ALLOWED, Reason.OTHER)
