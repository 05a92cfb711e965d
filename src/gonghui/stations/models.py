"""Service stations (驿站, 骑手之家, 司机之家, 妈咪暖心小屋, 职工书屋…), their reviews, visits and reports.

A station belongs to its operating union (``org`` + ``org_path``: the subtree the scope filters on)
and is hosted by a partner (a shop, a bank branch, a petrol station…). Coordinates are WGS-84
degrees; the nearest search filters on the (lat, lon) index, then ranks by haversine in Python.
Kinds and facilities are configurable (``stations.conf``): stored as codes, checked by the
services, so a deployment adds a kind without a migration.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _, pgettext_lazy

from gonghui.stations import conf, geo


class StationStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("stations", "Open")
    SUSPENDED = "suspended", _("Suspended")
    CLOSED = "closed", pgettext_lazy("stations", "Closed")


class HostKind(models.TextChoices):
    UNION = "union", _("The union's own premises")
    ENTERPRISE = "enterprise", _("An enterprise")
    SHOP = "shop", _("A shop")
    BANK = "bank", _("A bank branch")
    PETROL = "petrol", _("A petrol station")
    COMMUNITY = "community", _("A community centre")
    PUBLIC = "public", _("A public building")
    OTHER = "other", _("Other")


class Station(models.Model):
    code = models.CharField(_("station code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=32)
    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="stations",
                            verbose_name=_("operating union"))
    org_path = models.CharField(max_length=255)
    host_kind = models.CharField(_("host"), max_length=16, choices=HostKind.choices, default=HostKind.UNION)
    host_name = models.CharField(_("host partner"), max_length=100, blank=True)
    address = models.CharField(_("address"), max_length=200)
    lat = models.FloatField(_("latitude (WGS-84)"))
    lon = models.FloatField(_("longitude (WGS-84)"))
    always_open = models.BooleanField(_("open 24 hours"), default=False)
    hours = models.JSONField(_("opening hours"), default=dict, blank=True)
    facilities = models.CharField(_("facilities"), max_length=400, blank=True,
                                  help_text="codes between bars: |water|microwave| (a portable 'contains')")
    contact_name = models.CharField(_("contact"), max_length=50, blank=True)
    phone_hash = models.CharField(max_length=64, blank=True)
    phone_cipher = models.BinaryField(null=True, blank=True)
    phone_masked = models.CharField(max_length=20, blank=True)
    pii_key_id = models.CharField(max_length=16, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=StationStatus.choices, default=StationStatus.OPEN)
    stars = models.PositiveSmallIntegerField(_("stars"), default=0)
    honours = models.TextField(_("honours"), blank=True, help_text="one honour a line")
    opened_on = models.DateField(_("opened on"), default=timezone.localdate)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    reviewed_on = models.DateField(_("last reviewed on"), null=True, blank=True)
    review_due_on = models.DateField(_("review due on"), null=True, blank=True)
    qr_secret = models.CharField(max_length=32)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("station")
        verbose_name_plural = _("stations")
        ordering = ["org_path", "name", "id"]
        indexes = [
            models.Index(fields=["lat", "lon"], name="station_latlon_idx"),
            models.Index(fields=["org_path", "kind"], name="station_subtree_idx"),
            models.Index(fields=["review_due_on"], name="station_review_due_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(lat__gte=geo.CHINA_LAT[0]) & Q(lat__lte=geo.CHINA_LAT[1])
                                   & Q(lon__gte=geo.CHINA_LON[0]) & Q(lon__lte=geo.CHINA_LON[1]),
                                   name="station_in_china"),
            models.CheckConstraint(condition=Q(stars__lte=5), name="station_stars_0_to_5"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def facility_codes(self) -> list[str]:
        return [c for c in self.facilities.split("|") if c]

    @property
    def kind_label(self):
        return conf.kinds().get(self.kind, self.kind)

    @property
    def facility_items(self) -> list[dict]:
        known = conf.facilities()
        return [{"code": c, "label": known[c][0], "icon": known[c][1]} for c in self.facility_codes if c in known]

    @property
    def honour_list(self) -> list[str]:
        return [line.strip() for line in self.honours.splitlines() if line.strip()]


def photo_path(instance: StationPhoto, filename: str) -> str:
    return f"stations/{timezone.localdate():%Y/%m}/{instance.token}{instance.extension}"


class StationReview(models.Model):
    """The yearly review (or a spot check): the checklist inspected, a score, the stars it earns."""

    class Kind(models.TextChoices):
        YEARLY = "yearly", _("Yearly review")
        SPOT = "spot", _("Spot check")

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="reviews")
    org_path = models.CharField(max_length=255)
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.YEARLY)
    reviewed_on = models.DateField(_("reviewed on"))
    facilities_found = models.CharField(_("facilities found"), max_length=400, blank=True)
    score = models.PositiveSmallIntegerField(_("score"))
    stars = models.PositiveSmallIntegerField(_("stars"))
    passed = models.BooleanField(_("passed"))
    notes = models.TextField(_("notes"), blank=True)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("station review")
        verbose_name_plural = _("station reviews")
        ordering = ["-reviewed_on", "-id"]
        indexes = [models.Index(fields=["org_path", "reviewed_on"], name="station_review_subtree_idx")]
        constraints = [models.CheckConstraint(condition=Q(score__lte=100), name="station_review_score_0_100")]

    @property
    def facility_codes(self) -> list[str]:
        return [c for c in self.facilities_found.split("|") if c]


class StationPhoto(models.Model):
    """A photo of a station (shown to workers) or of a review (evidence of the checklist)."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="photos")
    review = models.ForeignKey(StationReview, null=True, blank=True, on_delete=models.CASCADE, related_name="photos")
    token = models.CharField(max_length=32, unique=True)
    extension = models.CharField(max_length=8)
    file = models.FileField(upload_to=photo_path, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("station photo")
        verbose_name_plural = _("station photos")
        ordering = ["uploaded_at", "id"]


class StationVisit(models.Model):
    """A worker scanned the station's QR code: one visit (服务人次) per person, station and day."""

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="visits")
    org_path = models.CharField(max_length=255)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    rating = models.PositiveSmallIntegerField(_("rating"), null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("station visit")
        verbose_name_plural = _("station visits")
        indexes = [models.Index(fields=["org_path", "day"], name="station_visit_subtree_idx")]
        constraints = [
            models.UniqueConstraint(fields=["station", "user", "day"], name="station_visit_once_a_day"),
            models.CheckConstraint(condition=Q(rating__isnull=True) | (Q(rating__gte=1) & Q(rating__lte=5)),
                                   name="station_visit_rating_1_to_5"),
        ]


class StationReport(models.Model):
    """A problem at a station (a worker's report, or a lapsed review): a task for the operating union
    with a deadline."""

    class Kind(models.TextChoices):
        BROKEN = "broken", _("Something is broken")
        CLOSED = "closed", _("Closed at opening time")
        DIRTY = "dirty", _("Not clean")
        MISSING = "missing", _("A facility is missing")
        OTHER = "other", _("Other problem")
        REVIEW_LAPSED = "review_lapsed", _("Yearly review lapsed")
        REVIEW_FAILED = "review_failed", _("Review failed")

    class Status(models.TextChoices):
        OPEN = "open", _("To deal with")
        RESOLVED = "resolved", _("Dealt with")

    station = models.ForeignKey(Station, on_delete=models.CASCADE, related_name="reports")
    org_path = models.CharField(max_length=255)
    kind = models.CharField(_("problem"), max_length=16, choices=Kind.choices)
    text = models.CharField(_("description"), max_length=500, blank=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="+")
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    reported_on = models.DateField(_("reported on"), default=timezone.localdate)
    due_on = models.DateField(_("deadline"))
    resolution = models.CharField(_("what was done"), max_length=500, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("station report")
        verbose_name_plural = _("station reports")
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["org_path", "status"], name="station_report_subtree_idx")]
        constraints = [
            # A lapsed or failed review opens one task per station until it is dealt with.
            models.UniqueConstraint(fields=["station", "kind"], condition=Q(status="open", kind__in=[
                "review_lapsed", "review_failed"]), name="station_report_one_open_system_task"),
        ]
