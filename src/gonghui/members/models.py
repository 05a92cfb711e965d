import datetime as dt
import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _, pgettext_lazy


class Category(models.TextChoices):
    """八大群体 (the eight groups of new-form workers) and ride-hailing drivers."""

    TRUCK_DRIVER = "truck_driver", _("Truck driver")
    COURIER = "courier", _("Courier")
    CARE_WORKER = "care_worker", _("Care worker")
    DOMESTIC_WORKER = "domestic_worker", _("Domestic worker")
    MALL_PROMOTER = "mall_promoter", _("Mall promoter")
    DELIVERY_RIDER = "delivery_rider", _("Food-delivery rider")
    ESTATE_AGENT = "estate_agent", _("Estate agent")
    SECURITY_GUARD = "security_guard", _("Security guard")
    RIDE_HAILING_DRIVER = "ride_hailing_driver", _("Ride-hailing driver")


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class MemberStatus(models.TextChoices):
    ACTIVE = "active", _("Member")
    LEFT = "left", _("Left the union")


class Member(models.Model):
    """A union member of the real-name database (实名制数据库): one row per person, city-wide."""

    # The union and the account are checked per statement on PostgreSQL, not per row (migration 0007).
    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="members", verbose_name=_("union"),
                            db_constraint=False)
    # The org's materialised path, kept beside it so a subtree is one index range on this table.
    org_path = models.CharField(_("union path"), max_length=255)
    name = models.CharField(pgettext_lazy("person", "name"), max_length=50)
    # unique: see Meta (a constraint, so no LIKE index on PostgreSQL)
    id_hash = models.CharField(_("ID number hash"), max_length=64)
    id_cipher = models.BinaryField(_("ID number (encrypted)"))
    id_masked = models.CharField(_("ID number"), max_length=18)
    birth_date = models.DateField(_("birth date"))
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    region_code = models.CharField(_("region code"), max_length=6)
    phone_hash = models.CharField(_("mobile hash"), max_length=64, blank=True)  # accounts find people by phone, not members
    phone_cipher = models.BinaryField(_("mobile (encrypted)"), null=True, blank=True)
    phone_masked = models.CharField(_("mobile"), max_length=11, blank=True)
    pii_key_id = models.CharField(_("key id"), max_length=16)
    category = models.CharField(pgettext_lazy("category", "group"), max_length=32, choices=Category.choices, blank=True)
    is_new_form = models.BooleanField(_("new-form worker"), default=False)
    employer = models.CharField(_("employer or trade"), max_length=200, blank=True)
    joined_on = models.DateField(_("joined on"))
    left_on = models.DateField(_("left on"), null=True, blank=True)
    # Why the member left (退会), as the cadre recorded it; empty while a member.
    left_reason = models.CharField(_("reason for leaving"), max_length=200, blank=True, default="", db_default="")
    # Since when the member belongs to ``org``: the start of the current membership period (null: since
    # joined_on). Earlier periods, in other unions or before a gap, are MembershipPeriod rows.
    org_since = models.DateField(_("in this union since"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=MemberStatus.choices, default=MemberStatus.ACTIVE)
    card_number = models.CharField(_("member card number"), max_length=19, null=True, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="member",
        db_constraint=False, verbose_name=_("login account"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("member")
        verbose_name_plural = _("members")
        indexes = [
            models.Index(fields=["org_path", "status"], name="member_subtree_idx"),
            models.Index(fields=["name"], name="member_name_idx"),  # name-prefix search
        ]
        # Every index here is paid on each of millions of imported rows: keep only those a query uses.
        constraints = [
            models.UniqueConstraint(fields=["id_hash"], name="member_id_hash_unique"),
            models.UniqueConstraint(fields=["card_number"], name="member_card_number_unique"),
            models.CheckConstraint(
                condition=models.Q(left_on__isnull=True) | models.Q(left_on__gte=models.F("joined_on")),
                name="member_left_after_joined",
            ),
            models.CheckConstraint(
                condition=models.Q(org_since__isnull=True) | models.Q(org_since__gte=models.F("joined_on")),
                name="member_org_since_after_joined",
            ),
            models.CheckConstraint(
                condition=models.Q(org_since__isnull=True) | models.Q(left_on__isnull=True)
                | models.Q(left_on__gte=models.F("org_since")),
                name="member_left_after_org_since",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.id_masked})"

    @property
    def period_start(self) -> "dt.date":
        """The first day of the current membership period (in ``org``)."""
        return self.org_since or self.joined_on


class PeriodEnd(models.TextChoices):
    TRANSFER = "transfer", _("Transferred to another union")
    LEFT = "left", _("Left the union")


class MembershipPeriod(models.Model):
    """A past period of a member in one union: [started_on, ended_on). The current one is on Member.

    Written when a member moves to another union, or comes back after leaving; statistics as of a
    day count a member in the union whose period covers that day.
    """

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="periods")
    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+", verbose_name=_("union"))
    org_path = models.CharField(max_length=255)
    started_on = models.DateField(pgettext_lazy("period", "from"))
    ended_on = models.DateField(_("until"))
    ended_by = models.CharField(_("ended by"), max_length=10, choices=PeriodEnd.choices)

    class Meta:
        verbose_name = _("membership period")
        verbose_name_plural = _("membership periods")
        indexes = [models.Index(fields=["org_path", "started_on"], name="period_subtree_idx")]
        constraints = [
            models.CheckConstraint(condition=models.Q(ended_on__gt=models.F("started_on")),
                                   name="period_ends_after_it_starts"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id} in {self.org_id}: {self.started_on} – {self.ended_on}"


class TransferStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the receiving union")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")
    CANCELLED = "cancelled", _("Cancelled")


class TransferSource(models.TextChoices):
    MANUAL = "manual", _("Entered by a cadre")
    IMPORT = "import", _("Roster import")
    JOIN = "join", _("Online joining")


class Transfer(models.Model):
    """A request to move a member to another union (会员转移), decided by the receiving union."""

    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="transfers")
    from_org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+",
                                 verbose_name=pgettext_lazy("transfer", "from"))
    to_org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+",
                               verbose_name=pgettext_lazy("transfer", "to"))
    # Paths kept beside the keys so both unions' queues are index ranges.
    from_path = models.CharField(max_length=255, db_index=True)
    to_path = models.CharField(max_length=255, db_index=True)
    status = models.CharField(_("status"), max_length=10, choices=TransferStatus.choices,
                              default=TransferStatus.PENDING)
    source = models.CharField(_("source"), max_length=10, choices=TransferSource.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    # The sending union's consent (转出): given when it is asked, or at once when whoever asks speaks
    # for it (a cadre over both unions, the worker themself, a re-joining after leaving). Until then
    # the receiving union cannot approve and is not shown the person's name (docs/decisions.md).
    released_at = models.DateTimeField(_("released by the sending union"), null=True, blank=True)
    released_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    # What an online applicant told about their new job (employer, category, is_new_form), applied to
    # the member record when the receiving union approves. No personal identifiers.
    changes = models.JSONField(default=dict, blank=True, db_default={})

    class Meta:
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        constraints = [
            models.UniqueConstraint(fields=["member"], condition=models.Q(status="pending"),
                                    name="transfer_one_pending_per_member"),
        ]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.from_org_id} → {self.to_org_id} ({self.status})"


class JoinStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for the union's approval")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")
    CANCELLED = "cancelled", _("Withdrawn")


class JoinApplication(models.Model):
    """An online application to join a union (入会申请), decided by a cadre of that union.

    The ID number and phone are kept as on Member (keyed hash, ciphertext bound to the hash,
    masked); at most one application per person waits at a time.
    """

    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT,
                                  related_name="join_applications", verbose_name=_("applicant"))
    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+", verbose_name=_("union"))
    org_path = models.CharField(max_length=255)
    name = models.CharField(pgettext_lazy("person", "name"), max_length=50)
    id_hash = models.CharField(max_length=64)
    id_cipher = models.BinaryField()
    id_masked = models.CharField(_("ID number"), max_length=18)
    phone_hash = models.CharField(max_length=64)
    phone_cipher = models.BinaryField()
    phone_masked = models.CharField(_("mobile"), max_length=11)
    pii_key_id = models.CharField(max_length=16)
    employer = models.CharField(_("employer or trade"), max_length=200)
    category = models.CharField(pgettext_lazy("category", "group"), max_length=32, choices=Category.choices, blank=True)
    is_new_form = models.BooleanField(_("new-form worker"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=JoinStatus.choices, default=JoinStatus.PENDING)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("submitted at"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("decided by"))
    member = models.ForeignKey(Member, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                               verbose_name=_("member record"))

    class Meta:
        verbose_name = _("join application")
        verbose_name_plural = _("join applications")
        indexes = [models.Index(fields=["status", "org_path"], name="join_queue_idx")]
        constraints = [
            models.UniqueConstraint(fields=["id_hash"], condition=models.Q(status="pending"),
                                    name="join_one_pending_per_person"),
        ]

    def __str__(self) -> str:
        return f"{self.name} → {self.org_id} ({self.status})"


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting to start")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    REFUSED = "refused", _("Refused")
    FAILED = "failed", _("Failed")


def _import_file_path(job: "ImportJob", filename: str) -> str:
    # Never the uploader's file name on disk: a random name under the private media root.
    return f"imports/{uuid.uuid4().hex}{PurePath(filename).suffix.lower()[:8]}"


class ImportJob(models.Model):
    """A roster file uploaded on the workbench (批量导入) and imported by a background task.

    The uploaded file holds plain ID numbers: it lives in private storage only while the job
    waits or runs, and is deleted when the job ends. What stays is the report (counts and the
    first bad rows, no ID numbers) and the error workbook.
    """

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("uploaded by"))
    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+", verbose_name=_("union"))
    filename = models.CharField(_("file"), max_length=200)
    upload = models.FileField(upload_to=_import_file_path, max_length=200, blank=True)
    size = models.BigIntegerField(default=0)
    dry_run = models.BooleanField(_("check only"), default=False)
    valid_only = models.BooleanField(_("valid rows only"), default=False)
    language = models.CharField(max_length=16, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED)
    # Progress while running: rows read so far and, for text files, bytes read (a CSV's share done).
    rows_done = models.PositiveIntegerField(default=0)
    bytes_done = models.BigIntegerField(default=0)
    # The outcome (see ImportResult).
    rows = models.PositiveIntegerField(default=0)
    imported = models.PositiveIntegerField(default=0)
    transfers = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    bad_rows = models.PositiveIntegerField(default=0)
    written = models.BooleanField(default=False)
    report = models.JSONField(default=dict, blank=True)
    errors_file = models.FileField(upload_to=_import_file_path, max_length=200, blank=True)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("roster import")
        verbose_name_plural = _("roster imports")
        indexes = [models.Index(fields=["org", "-created_at"], name="importjob_org_idx")]

    def __str__(self) -> str:
        return f"{self.filename} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.REFUSED, ImportStatus.FAILED)


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting to start")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


def _export_file_path(job: "ExportJob", filename: str) -> str:
    return f"exports/{uuid.uuid4().hex}.xlsx"


class ExportJob(models.Model):
    """A long member list exported in the background (导出); short lists stream at once instead.

    Only whoever asked may download the workbook. It lives in private storage: an export with
    full ID numbers is deleted when it is downloaded, a masked one a day later (``gonghui cleanup``).
    """

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+",
                                   verbose_name=_("asked by"))
    org = models.ForeignKey("orgs.Org", on_delete=models.CASCADE, related_name="+", verbose_name=_("union"))
    # The list's filters, as on the page: name or card-number prefix (never a personal identifier).
    text = models.CharField(max_length=50, blank=True)
    include_left = models.BooleanField(default=False)
    unmasked = models.BooleanField(_("full ID numbers"), default=False)
    language = models.CharField(max_length=16, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED)
    rows_total = models.PositiveIntegerField(default=0)  # counted when asked; the export writes what is there then
    rows_done = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to=_export_file_path, max_length=200, blank=True)
    failure = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(_("asked at"), auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    downloaded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("member export")
        verbose_name_plural = _("member exports")
        indexes = [models.Index(fields=["created_by", "-created_at"], name="exportjob_user_idx")]

    def __str__(self) -> str:
        return f"export {self.pk} of {self.org_id} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in (ExportStatus.DONE, ExportStatus.FAILED)

    @property
    def percent(self) -> int:
        if self.status == ExportStatus.DONE:
            return 100
        return min(99, int(self.rows_done * 100 / self.rows_total)) if self.rows_total else 0
