"""Labour-dispute mediation: rooms, cases, sessions, agreements, referrals, legal aid.

A case belongs to the union that received it (``org`` + ``org_path``) and, once triaged, to a
mediation room (``room`` + ``room_path``, the path of the room's union). Both paths are kept on
the case so that "cases of a subtree" and "cases of a room's subtree" are index ranges. The
state machine lives in ``states.py``; every write goes through ``services.py``.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _, pgettext_lazy

from gonghui.members.models import Category

MONEY = dict(max_digits=16, decimal_places=2)


class RoomLevel(models.TextChoices):
    ENTERPRISE = "enterprise", _("Enterprise")
    TOWNSHIP = "township", _("Township / park")
    DISTRICT = "district", _("District")


class MediationRoom(models.Model):
    """A union's labour-relations mediation room (工会劳动关系调处工作室)."""

    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="mediation_rooms",
                            verbose_name=_("union"))
    org_path = models.CharField(_("union path"), max_length=255)
    code = models.CharField(_("room code"), max_length=32, unique=True)
    name = models.CharField(pgettext_lazy("thing", "name"), max_length=200)
    level = models.CharField(_("level"), max_length=16, choices=RoomLevel.choices)
    address = models.CharField(_("address"), max_length=200, blank=True)
    is_active = models.BooleanField(_("open"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("mediation room")
        verbose_name_plural = _("mediation rooms")
        indexes = [models.Index(fields=["org_path"], name="room_subtree_idx")]

    def __str__(self) -> str:
        return self.name


class StaffKind(models.TextChoices):
    MEDIATOR = "mediator", _("Mediator")
    LAWYER = "lawyer", _("Station lawyer")


class RoomStaff(models.Model):
    """A mediator or station lawyer (驻站律师) working in one room: sees and works that room's cases only."""

    room = models.ForeignKey(MediationRoom, on_delete=models.CASCADE, related_name="staff")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mediation_rooms")
    kind = models.CharField(_("kind"), max_length=16, choices=StaffKind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("room staff")
        verbose_name_plural = _("room staff")
        constraints = [models.UniqueConstraint(fields=["room", "user", "kind"], name="roomstaff_unique")]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_kind_display()} · {self.room}"


class MinimumWage(models.Model):
    """The monthly minimum wage of a district (or any union's subtree) from a day on (data, not code).

    The nearest ancestor with a row valid on the day wins; without any row the default of
    ``settings.DISPUTES_MINIMUM_WAGE`` applies.
    """

    org = models.ForeignKey("orgs.Org", on_delete=models.CASCADE, related_name="+", verbose_name=_("union"))
    org_path = models.CharField(_("union path"), max_length=255)
    amount = models.DecimalField(_("monthly minimum wage"), **MONEY)
    valid_from = models.DateField(_("valid from"))
    source = models.CharField(_("source"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("minimum wage")
        verbose_name_plural = _("minimum wages")
        constraints = [
            models.UniqueConstraint(fields=["org", "valid_from"], name="minwage_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="minwage_positive"),
        ]


class Channel(models.TextChoices):
    ONLINE = "online", _("Online application by the worker")
    WINDOW = "window", _("Oral application at the window")
    COURT = "court", _("Entrusted by a court")
    ARBITRATION = "arbitration", _("Entrusted by an arbitration commission")


class State(models.TextChoices):
    INTAKE = "intake", _("Received, waiting for triage")
    TRIAGED = "triaged", _("Assigned to a mediation room")
    HANDED_ON = "handed_on", _("Handed on")
    MEDIATING = "mediating", _("In mediation")
    SETTLED = "settled", _("Agreement reached, payment pending")
    PAID = "paid", _("Agreement paid")
    UNPAID = "unpaid", _("Agreement not paid")
    FAILED = "failed", _("Mediation failed")
    REFERRED = "referred", _("Referred to arbitration or court")
    CLOSED = "closed", _("Closed")


class Target(models.TextChoices):
    """Where a case is handed on (at triage) or referred (after failure)."""

    ARBITRATION = "arbitration", _("Labour arbitration commission")
    INSPECTION = "inspection", _("Labour inspection")
    COURT = "court", _("Court")
    OTHER = "other", _("Other body")


class Outcome(models.TextChoices):
    PAID = "paid", _("Agreement fulfilled")
    UNPAID = "unpaid", _("Agreement not fulfilled")
    FAILED = "failed", _("Mediation failed, not pursued")
    REFERRED = "referred", _("Referred to arbitration or court")
    HANDED_ON = "handed_on", _("Handed on at triage")
    WITHDRAWN = "withdrawn", _("Withdrawn by the applicant")
    DISMISSED = "dismissed", _("Not a case for mediation")


class ClaimKind(models.TextChoices):
    UNPAID_WAGES = "unpaid_wages", _("Unpaid wages")
    OVERTIME = "overtime", _("Overtime pay")
    SOCIAL_INSURANCE = "social_insurance", _("Social insurance")
    WORK_INJURY = "work_injury", _("Work injury")
    DISMISSAL_COMPENSATION = "dismissal_compensation", _("Dismissal compensation")
    CONTRACT = "contract", _("Labour contract")
    OTHER = "other", _("Other")


class CaseCounter(models.Model):
    """The last case number given per prefix (district code) and year; locked while a number is taken."""

    prefix = models.CharField(max_length=16)
    year = models.PositiveSmallIntegerField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["prefix", "year"], name="casecounter_unique")]


class Case(models.Model):
    """A labour-dispute case (劳动争议调解案件)."""

    number = models.CharField(_("case number"), max_length=32, unique=True)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    state = models.CharField(_("state"), max_length=16, choices=State.choices, default=State.INTAKE)
    # The union that received the case (service centre, 一窗受理) and its path.
    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="dispute_cases",
                            verbose_name=_("receiving union"))
    org_path = models.CharField(_("union path"), max_length=255)
    room = models.ForeignKey(MediationRoom, null=True, blank=True, on_delete=models.PROTECT, related_name="cases",
                             verbose_name=_("mediation room"))
    room_path = models.CharField(_("room path"), max_length=255, blank=True, default="")
    mediator = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+", verbose_name=_("mediator"))
    # Applicant (the worker). ID number and mobile: keyed hash, ciphertext, masked — never plain.
    applicant_user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("applicant's account"),
                                       null=True, blank=True, on_delete=models.SET_NULL,
                                       related_name="dispute_cases")
    applicant_member = models.ForeignKey("members.Member", verbose_name=_("applicant's member record"),
                                         null=True, blank=True, on_delete=models.SET_NULL,
                                         related_name="dispute_cases")
    applicant_name = models.CharField(_("applicant"), max_length=50)
    id_hash = models.CharField(_("ID number hash"), max_length=64, blank=True, db_index=True)
    id_cipher = models.BinaryField(_("ID number (encrypted)"), null=True, blank=True)
    id_masked = models.CharField(_("ID number"), max_length=18, blank=True)
    phone_hash = models.CharField(_("mobile hash"), max_length=64, blank=True)
    phone_cipher = models.BinaryField(_("mobile (encrypted)"), null=True, blank=True)
    phone_masked = models.CharField(_("mobile"), max_length=11, blank=True)
    pii_key_id = models.CharField(_("key id"), max_length=16, blank=True)
    # The other side.
    employer_name = models.CharField(_("employer"), max_length=200)
    employer_credit_code = models.CharField(_("employer's credit code"), max_length=18, blank=True)
    industry = models.CharField(_("industry"), max_length=50, blank=True)
    is_new_form = models.BooleanField(_("new-form worker"), default=False)
    category = models.CharField(pgettext_lazy("category", "group"), max_length=32, choices=Category.choices, blank=True)
    # What and when.
    summary = models.TextField(_("matters and reasons"), blank=True)
    main_claim = models.CharField(_("main claim"), max_length=32, choices=ClaimKind.choices)
    amount_claimed = models.DecimalField(_("amount claimed"), default=Decimal("0.00"), **MONEY)
    employment_start = models.DateField(_("employment start"), null=True, blank=True)
    employment_end = models.DateField(_("employment end"), null=True, blank=True)
    knew_on = models.DateField(_("knew of the infringement on"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"))
    received_on = models.DateField(_("received on"))  # local date of received_at: deadlines and statistics
    # Handed on at triage or referred after failure: where, and why.
    target = models.CharField(_("handed on to"), max_length=16, choices=Target.choices, blank=True)
    target_name = models.CharField(_("receiving body"), max_length=200, blank=True)
    target_reason = models.CharField(_("reason"), max_length=500, blank=True)
    settled_on = models.DateField(_("agreement signed on"), null=True, blank=True)
    failed_on = models.DateField(_("mediation failed on"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"),
                                   null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("dispute case")
        verbose_name_plural = _("dispute cases")
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["org_path", "received_on"], name="case_subtree_idx"),
            models.Index(fields=["room_path"], name="case_room_subtree_idx"),
            models.Index(fields=["state", "received_on"], name="case_state_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount_claimed__gte=0), name="case_claimed_not_negative"),
            models.CheckConstraint(
                condition=Q(employment_end__isnull=True) | Q(employment_start__isnull=True)
                | Q(employment_end__gte=F("employment_start")),
                name="case_employment_ends_after_start",
            ),
            models.CheckConstraint(condition=Q(room__isnull=True) | ~Q(room_path=""), name="case_room_has_path"),
        ]

    def __str__(self) -> str:
        return self.number


class Claim(models.Model):
    """One line of what the worker claims."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="claims")
    kind = models.CharField(pgettext_lazy("dispute", "claim"), max_length=32, choices=ClaimKind.choices)
    amount = models.DecimalField(_("amount"), **MONEY)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = pgettext_lazy("dispute", "claim")
        verbose_name_plural = pgettext_lazy("dispute", "claims")
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="claim_amount_not_negative")]


class Session(models.Model):
    """A mediation session: when, where, who, and the minutes."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="sessions")
    held_at = models.DateTimeField(_("held at"))
    place = models.CharField(_("place"), max_length=200)
    attendees = models.CharField(_("attendees"), max_length=500)
    minutes = models.TextField(_("minutes"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("mediation session")
        verbose_name_plural = _("mediation sessions")
        ordering = ["held_at", "id"]


class Agreement(models.Model):
    """The mediation agreement (调解协议书): the amount the employer pays and when."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="agreement")
    amount = models.DecimalField(_("agreed amount"), **MONEY)
    signed_on = models.DateField(_("signed on"))
    terms = models.TextField(_("terms"), blank=True)
    paid_amount = models.DecimalField(_("paid so far"), default=Decimal("0.00"), **MONEY)
    paid_on = models.DateField(_("fully paid on"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("mediation agreement")
        verbose_name_plural = _("mediation agreements")
        constraints = [
            models.CheckConstraint(condition=Q(amount__gte=0), name="agreement_amount_not_negative"),
            models.CheckConstraint(condition=Q(paid_amount__gte=0) & Q(paid_amount__lte=F("amount")),
                                   name="agreement_paid_within_amount"),
        ]

    @property
    def outstanding(self) -> Decimal:
        return self.amount - self.paid_amount


class Instalment(models.Model):
    """One due payment of an agreement's schedule."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="instalments")
    seq = models.PositiveSmallIntegerField()
    due_on = models.DateField(_("due on"))
    amount = models.DecimalField(_("amount"), **MONEY)
    paid_amount = models.DecimalField(_("paid"), default=Decimal("0.00"), **MONEY)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)

    class Meta:
        verbose_name = _("instalment")
        verbose_name_plural = _("instalments")
        ordering = ["seq"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "seq"], name="instalment_seq_unique"),
            models.CheckConstraint(condition=Q(amount__gt=0), name="instalment_amount_positive"),
            models.CheckConstraint(condition=Q(paid_amount__gte=0) & Q(paid_amount__lte=F("amount")),
                                   name="instalment_paid_within_amount"),
        ]

    @property
    def is_paid(self) -> bool:
        return self.paid_amount >= self.amount


class Payment(models.Model):
    """Money the employer paid under an agreement, as a mediator or cadre recorded it."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="payments")
    amount = models.DecimalField(_("amount"), **MONEY)
    paid_on = models.DateField(_("paid on"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["paid_on", "id"]
        constraints = [models.CheckConstraint(condition=Q(amount__gt=0), name="payment_amount_positive")]


class ReferralSource(models.TextChoices):
    COURT = "court", _("Court (诉调对接)")
    ARBITRATION = "arbitration", _("Arbitration commission (裁调对接)")


class ReferralResult(models.TextChoices):
    CONFIRMATION = "confirmation", _("Agreement sent for judicial confirmation")
    RETURNED = "returned", _("Returned after failed mediation")


class ReferralIn(models.Model):
    """A case a court or arbitration commission entrusted to a union room, with its own reference and deadline."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="referral_in")
    source = models.CharField(_("entrusted by"), max_length=16, choices=ReferralSource.choices)
    body_name = models.CharField(_("court or commission"), max_length=200)
    reference = models.CharField(_("their reference"), max_length=64)
    deadline = models.DateField(_("their deadline"))
    result = models.CharField(_("result sent back"), max_length=16, choices=ReferralResult.choices, blank=True)
    result_on = models.DateField(_("result sent on"), null=True, blank=True)

    class Meta:
        verbose_name = _("referral from a court or arbitration")
        verbose_name_plural = _("referrals from courts and arbitration")


class LegalAidState(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    ACCEPTED = "accepted", _("Taken on by a lawyer")
    DONE = "done", _("Done")
    REFUSED = "refused", _("Refused")


class LegalAid(models.Model):
    """A legal-aid request (法律援助) on a case, handled by a station lawyer of the case's room."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="legal_aid")
    state = models.CharField(_("state"), max_length=16, choices=LegalAidState.choices,
                             default=LegalAidState.REQUESTED)
    request = models.CharField(_("what help is needed"), max_length=500)
    requested_at = models.DateTimeField(_("requested at"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    lawyer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+", verbose_name=_("lawyer"))
    accepted_on = models.DateField(_("taken on"), null=True, blank=True)  # the statistics day
    note = models.CharField(_("note"), max_length=500, blank=True)
    done_on = models.DateField(_("done on"), null=True, blank=True)

    class Meta:
        verbose_name = _("legal aid")
        verbose_name_plural = _("legal aid")
        constraints = [
            # One open request per case at a time.
            models.UniqueConstraint(fields=["case"], condition=Q(state__in=["requested", "accepted"]),
                                    name="legalaid_one_open_per_case"),
        ]


def attachment_path(instance: Attachment, filename: str) -> str:
    # A random name: the worker's file name (often their own name) never becomes a path.
    return f"disputes/{timezone.localdate():%Y/%m}/{instance.token}{instance.extension}"


class Attachment(models.Model):
    """A document of a case (photo, PDF), under MEDIA_ROOT, served only through a permission check."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    token = models.CharField(max_length=32, unique=True)
    extension = models.CharField(max_length=8)
    file = models.FileField(upload_to=attachment_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    description = models.CharField(_("description"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        ordering = ["uploaded_at", "id"]


class Satisfaction(models.Model):
    """The worker's rating of how the case was handled, asked once the agreement is paid or the case closed."""

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="satisfaction")
    score = models.PositiveSmallIntegerField(_("score"))
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    given_at = models.DateTimeField()

    class Meta:
        verbose_name = _("satisfaction")
        verbose_name_plural = _("satisfaction")
        constraints = [models.CheckConstraint(condition=Q(score__gte=1) & Q(score__lte=5),
                                              name="satisfaction_score_1_to_5")]
