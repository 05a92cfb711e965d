"""Hardship workers (困难职工帮扶): standards, files, household, grading, notice, approval, help, visits.

See docs/assistance.md for the states and the decisions behind them. Every row that belongs to a
union stores its ``org`` and the denormalised ``org_path`` so a subtree is one index range. ID
numbers of the household are kept as keyed hash, ciphertext bound to the hash and masked form.
"""

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _, pgettext_lazy

MONEY = dict(max_digits=14, decimal_places=2)


class Standard(models.Model):
    """The 低保 standard (per person and month) of a district from a day on; a union without a row of
    its own uses its nearest ancestor's, and the platform's default (¥1,062) when none has one."""

    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+", verbose_name=_("union"))
    org_path = models.CharField(max_length=255)
    amount = models.DecimalField(_("低保 standard (yuan per person and month)"), **MONEY)
    effective_from = models.DateField(_("in effect from"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("低保 standard")
        verbose_name_plural = _("低保 standards")
        constraints = [
            models.UniqueConstraint(fields=["org", "effective_from"], name="hardship_standard_once_a_day"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="hardship_standard_positive"),
        ]


class UnionPolicy(models.Model):
    """How a union runs its filing: the notice length and how many approvers decide."""

    org = models.OneToOneField("orgs.Org", on_delete=models.CASCADE, related_name="+")
    notice_days = models.PositiveSmallIntegerField(_("public notice (working days)"), default=5)
    approvals_required = models.PositiveSmallIntegerField(_("approvers required"), default=1)

    class Meta:
        verbose_name = _("hardship policy")
        constraints = [models.CheckConstraint(condition=models.Q(approvals_required__in=[1, 2]),
                                              name="hardship_policy_one_or_two_approvers")]


class Grade(models.TextChoices):
    DEEP = "deep", _("Deep hardship")  # 深度困难
    RELATIVE = "relative", _("Relative hardship")  # 相对困难
    ACCIDENT = "accident", _("Hardship by accident")  # 意外致困
    NONE = "none", _("Not in hardship")
    EXCLUDED = "excluded", _("Excluded")


class FileStatus(models.TextChoices):
    SUBMITTED = "submitted", _("Applied, waiting for the union")
    NOTICE = "notice", _("In public notice")
    ACTIVE = "active", _("Filed")
    REFUSED = "refused", _("Refused")
    WITHDRAWN = "withdrawn", pgettext_lazy("hardship", "Withdrawn")
    PAUSED = "paused", _("Paused")
    LIFTED_OUT = "lifted_out", _("Lifted out of hardship")  # 脱困
    RELIEVED = "relieved", _("Relieved (government support)")  # 解困


OPEN_STATUSES = (FileStatus.SUBMITTED, FileStatus.NOTICE, FileStatus.ACTIVE, FileStatus.PAUSED)
CLOSED_STATUSES = (FileStatus.REFUSED, FileStatus.WITHDRAWN, FileStatus.LIFTED_OUT, FileStatus.RELIEVED)


class RefusalCode(models.TextChoices):
    ABOVE_LINE = "above_line", _("Income above the line")
    EXCLUDED = "excluded", _("An exclusion applies")
    OBJECTION = "objection", _("An objection in the notice was upheld")
    DOCUMENTS = "documents", _("Documents missing or not genuine")
    OTHER = "other", _("Other reason")


class HardshipFile(models.Model):
    """One episode of a member's hardship file (困难职工档案). A closed file stays as it was; a new
    episode is a new row pointing to the one before."""

    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="hardship_files",
                               verbose_name=_("member"))
    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+", verbose_name=_("union"))
    org_path = models.CharField(max_length=255)
    episode = models.PositiveSmallIntegerField(_("episode"), default=1)
    previous = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="next")
    status = models.CharField(_("status"), max_length=12, choices=FileStatus.choices, default=FileStatus.SUBMITTED)
    grade = models.CharField(_("grade"), max_length=10, choices=Grade.choices, blank=True)
    per_capita = models.DecimalField(_("per-capita monthly income"), null=True, blank=True, **MONEY)
    standard = models.DecimalField(_("低保 standard used"), null=True, blank=True, **MONEY)
    cause = models.CharField(_("cause of hardship"), max_length=200, blank=True)
    phone_masked = models.CharField(_("mobile"), max_length=11, blank=True)
    applied_by_member = models.BooleanField(default=False)
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    applied_on = models.DateField(_("applied on"))
    notice_start = models.DateField(_("notice from"), null=True, blank=True)
    notice_end = models.DateField(_("notice until"), null=True, blank=True)
    approvals_required = models.PositiveSmallIntegerField(default=1)
    filed_on = models.DateField(_("filed on"), null=True, blank=True)
    review_due = models.DateField(_("review due"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    close_reason = models.CharField(_("reason"), max_length=200, blank=True)
    refusal_code = models.CharField(_("reason for the refusal"), max_length=12, choices=RefusalCode.choices,
                                    blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("hardship file")
        verbose_name_plural = _("hardship files")
        indexes = [models.Index(fields=["org_path", "status"], name="hardship_file_subtree_idx"),
                   models.Index(fields=["status", "review_due"], name="hardship_file_review_idx")]
        constraints = [
            models.UniqueConstraint(fields=["member"], condition=models.Q(status__in=OPEN_STATUSES),
                                    name="hardship_one_open_file_per_member"),
            models.UniqueConstraint(fields=["member", "episode"], name="hardship_episode_unique"),
        ]

    def __str__(self):
        return f"{self.member_id}#{self.episode}"


class Relation(models.TextChoices):
    SELF = "self", _("Self")
    SPOUSE = "spouse", _("Spouse")
    CHILD = "child", _("Child")
    PARENT = "parent", _("Parent")
    OTHER = "other", _("Other relative")


class HouseholdMember(models.Model):
    """A person of the household, with their work and yearly income."""

    file = models.ForeignKey(HardshipFile, on_delete=models.CASCADE, related_name="household")
    name = models.CharField(pgettext_lazy("person", "name"), max_length=50)
    relation = models.CharField(_("relation"), max_length=8, choices=Relation.choices)
    id_hash = models.CharField(max_length=64)
    id_cipher = models.BinaryField()
    id_masked = models.CharField(_("ID number"), max_length=18)
    pii_key_id = models.CharField(max_length=16)
    work = models.CharField(_("work or school"), max_length=100, blank=True)
    income_source = models.CharField(_("income source"), max_length=100, blank=True)
    yearly_income = models.DecimalField(_("yearly income"), default=0, **MONEY)

    class Meta:
        verbose_name = _("household member")
        constraints = [models.UniqueConstraint(fields=["file", "id_hash"], name="hardship_person_once_per_file")]


class CostKind(models.TextChoices):
    ILLNESS = "illness", _("Major illness")
    DISABILITY = "disability", _("Disability")
    SCHOOLING = "schooling", _("Schooling")
    OTHER = "other", _("Other unavoidable cost")


class Grading(models.Model):
    """A grading as it was made (at filing or at a review): the inputs, the standard, the working."""

    class Kind(models.TextChoices):
        FILING = "filing", _("At filing")
        REVIEW = "review", _("Yearly review")

    file = models.ForeignKey(HardshipFile, on_delete=models.CASCADE, related_name="gradings")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    graded_on = models.DateField(_("graded on"))
    grade = models.CharField(_("grade"), max_length=10, choices=Grade.choices)
    rule = models.CharField(max_length=20)
    per_capita = models.DecimalField(**MONEY)
    standard = models.DecimalField(**MONEY)
    standard_from = models.DateField(null=True, blank=True)  # the standard row's day of effect; null: default
    inputs = models.JSONField()  # rules.Household.as_json()
    costs = models.JSONField(default=list)  # [{"kind", "amount", "note"}]
    working = models.JSONField()  # rules.Grading.as_json()
    graded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("grading")
        ordering = ["-graded_on", "-pk"]


class DocumentKind(models.TextChoices):
    UNIT_CERTIFICATE = "unit_certificate", _("Unit certificate")
    MEDICAL_BILLS = "medical_bills", _("Medical bills")
    DIBAO_CERTIFICATE = "dibao_certificate", _("低保 certificate")
    RECEIPT = "receipt", _("Signed receipt")
    OTHER = "other", _("Other document")


def _document_path(doc: "FileDocument", filename: str) -> str:
    return f"hardship/{uuid.uuid4().hex}{PurePath(filename).suffix.lower()[:8]}"


class FileDocument(models.Model):
    file = models.ForeignKey(HardshipFile, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("document"), max_length=20, choices=DocumentKind.choices)
    upload = models.FileField(upload_to=_document_path, max_length=200)
    filename = models.CharField(_("file"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("hardship document")


class Objection(models.Model):
    """An objection recorded during the public notice."""

    file = models.ForeignKey(HardshipFile, on_delete=models.CASCADE, related_name="objections")
    text = models.CharField(_("objection"), max_length=500)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_on = models.DateField()


class Approval(models.Model):
    """One approver's yes for a file (the union above); two are needed when the policy says so."""

    file = models.ForeignKey(HardshipFile, on_delete=models.CASCADE, related_name="approvals")
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    org_path = models.CharField(max_length=255)  # the approving union
    approved_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["file", "approver"], name="hardship_approve_once_each")]


class MonthlyIncome(models.Model):
    """The household's per-capita income of one month, entered at a visit or a review (the 脱困 rule)."""

    file = models.ForeignKey(HardshipFile, on_delete=models.CASCADE, related_name="monthly_incomes")
    month = models.DateField(_("month"))  # its first day
    per_capita = models.DecimalField(_("per-capita monthly income"), **MONEY)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["file", "month"], name="hardship_income_once_a_month")]
        ordering = ["month"]


class VisitKind(models.TextChoices):
    REGULAR = "regular", _("Home visit")  # 走访
    NIGHT = "night", _("Night visit")  # 夜访 (萤火虫)
    FESTIVAL = "festival", _("Festival visit")  # 送温暖 visit


class Visit(models.Model):
    """走访慰问: who visited whom, when, what was brought and found; counted as 人次 (people visited)."""

    file = models.ForeignKey(HardshipFile, on_delete=models.CASCADE, related_name="visits")
    org_path = models.CharField(max_length=255)
    kind = models.CharField(_("kind"), max_length=10, choices=VisitKind.choices, default=VisitKind.REGULAR)
    visited_on = models.DateField(_("visited on"))
    visitors = models.CharField(_("visitors"), max_length=200)
    persons = models.PositiveSmallIntegerField(_("people visited"), default=1)
    brought = models.CharField(_("what was brought"), max_length=200, blank=True)
    found = models.CharField(_("what was found"), max_length=500, blank=True)
    follow_up = models.CharField(_("follow-up"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["org_path", "visited_on"], name="hardship_visit_subtree_idx")]


class ProgrammeKind(models.TextChoices):
    WINTER = "winter", _("Winter warmth")  # 送温暖
    SCHOOL = "school", _("School aid")  # 金秋助学
    MEDICAL = "medical", _("Medical help")
    LIVING = "living", _("Living allowance")
    STARTUP = "startup", _("Start-up and job help")
    OTHER = "other", _("Other help")


class Programme(models.Model):
    """A union's help programme for one cycle (a year), with its budget and amount rule."""

    class AmountRule(models.TextChoices):
        BY_GRADE = "by_grade", _("Fixed per grade")
        RANGE = "range", _("Typed within a range")

    class OpenTo(models.TextChoices):
        FILED = "filed", _("Filed families only")
        ANY = "any", _("Also other workers in need")

    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+", verbose_name=_("union"))
    org_path = models.CharField(max_length=255)
    kind = models.CharField(_("kind"), max_length=10, choices=ProgrammeKind.choices)
    name = models.CharField(pgettext_lazy("thing", "name"), max_length=100)
    cycle = models.PositiveSmallIntegerField(_("year"))
    budget = models.DecimalField(_("budget"), **MONEY)
    remaining = models.DecimalField(_("budget left"), **MONEY)
    amount_rule = models.CharField(_("amount rule"), max_length=10, choices=AmountRule.choices)
    amounts = models.JSONField(_("amount per grade"), default=dict)  # {"deep": "2000.00", ...}
    min_amount = models.DecimalField(_("least"), null=True, blank=True, **MONEY)
    max_amount = models.DecimalField(_("most"), null=True, blank=True, **MONEY)
    open_to = models.CharField(_("who may receive it"), max_length=6, choices=OpenTo.choices, default=OpenTo.FILED)

    class Meta:
        verbose_name = _("help programme")
        constraints = [
            models.UniqueConstraint(fields=["org", "kind", "cycle", "name"], name="hardship_programme_unique"),
            models.CheckConstraint(condition=models.Q(remaining__gte=0), name="hardship_budget_not_negative"),
        ]


class Disbursement(models.Model):
    """A list of help to pay (发放名单): drafted, approved (the budget is taken), paid line by line."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        APPROVED = "approved", _("Approved, to be paid")
        CLOSED = "closed", _("Paid")

    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="disbursements")
    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+")
    org_path = models.CharField(max_length=255)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    idempotency_key = models.CharField(max_length=64, blank=True)
    total = models.DecimalField(_("total"), default=0, **MONEY)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    approved_on = models.DateField(null=True, blank=True)

    class Meta:
        verbose_name = _("disbursement list")
        constraints = [models.UniqueConstraint(fields=["org", "idempotency_key"], condition=~models.Q(idempotency_key=""),
                                               name="hardship_disbursement_idempotent")]


class GrantStatus(models.TextChoices):
    LISTED = "listed", _("On the list")
    APPROVED = "approved", _("To be paid")
    PAID = "paid", _("Paid")
    FAILED = "failed", _("Payment failed")
    CANCELLED = "cancelled", _("Taken off the list")


class Grant(models.Model):
    """One person's help from one programme (帮扶发放). The same kind of help goes to a person once a
    cycle city-wide: the unique constraint on (kind, cycle, person_hash) holds across unions."""

    class Method(models.TextChoices):
        BANK = "bank", _("Bank transfer")
        CASH = "cash", _("Cash against a signed receipt")

    disbursement = models.ForeignKey(Disbursement, on_delete=models.CASCADE, related_name="grants")
    programme = models.ForeignKey(Programme, on_delete=models.PROTECT, related_name="grants")
    kind = models.CharField(max_length=10, choices=ProgrammeKind.choices)
    cycle = models.PositiveSmallIntegerField()
    org_path = models.CharField(max_length=255)
    file = models.ForeignKey(HardshipFile, null=True, blank=True, on_delete=models.PROTECT, related_name="grants")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+")
    person_hash = models.CharField(max_length=64)  # the member's ID hash (city-wide)
    grade = models.CharField(max_length=10, choices=Grade.choices, blank=True)
    students = models.PositiveSmallIntegerField(default=0)  # school aid: children helped
    amount = models.DecimalField(_("amount"), **MONEY)
    status = models.CharField(_("status"), max_length=10, choices=GrantStatus.choices, default=GrantStatus.LISTED)
    method = models.CharField(_("paid by"), max_length=6, choices=Method.choices, default=Method.BANK)
    paid_on = models.DateField(null=True, blank=True)
    failure = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["org_path", "paid_on"], name="hardship_grant_subtree_idx")]
        constraints = [
            models.UniqueConstraint(fields=["kind", "cycle", "person_hash"],
                                    condition=~models.Q(status__in=["cancelled"]),
                                    name="hardship_grant_once_per_cycle"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="hardship_grant_positive"),
        ]
