"""Activities (普惠活动 and every event counted in 场次 and 人次): kinds, sessions, registrations with
their modes (first come, lottery, allocated, open), waiting list with timed offers, and attendance.

The invariants that hold under a rush are the database's: ``Activity.taken`` never exceeds
``capacity`` (a CHECK, and the claim is a conditional UPDATE), a member holds at most one live
registration per activity (a partial UNIQUE), a share's names never exceed its places (a CHECK),
and a member checks in once per session (a UNIQUE).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _, pgettext_lazy


class ActivityKind(models.Model):
    """A kind of activity (宣讲, 文体, 培训, 疗休养…): a configurable list, seeded by a migration."""

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name = models.CharField(pgettext_lazy("activities", "name"), max_length=50)
    is_benefit = models.BooleanField(_("benefit with quota"), default=False)  # 疗休养, 体检, 普惠 tickets
    order = models.PositiveSmallIntegerField(default=100)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("activity kind")
        verbose_name_plural = _("activity kinds")

    def __str__(self) -> str:
        return self.name


class Mode(models.TextChoices):
    FIRST_COME = "first_come", _("First come, first served")
    LOTTERY = "lottery", _("Lottery")
    ALLOCATED = "allocated", _("Allocated to unions")
    OPEN = "open", _("Open, no registration")


class Eligibility(models.TextChoices):
    """Standing eligibility a member holds (kept in this module: see docs/activities.md)."""

    HARDSHIP = "hardship", _("Filed hardship family")
    MODEL_WORKER = "model_worker", _("Model worker")
    CRAFTSMAN = "craftsman", _("Craftsman")
    SKILLED = "skilled", _("Skilled worker")
    HAZARDOUS = "hazardous", _("Hazardous job")


class Activity(models.Model):
    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+", verbose_name=_("organising union"))
    org_path = models.CharField(max_length=255)
    kind = models.ForeignKey(ActivityKind, on_delete=models.PROTECT, related_name="activities",
                             verbose_name=pgettext_lazy("activities", "kind"))
    title = models.CharField(_("title"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    place = models.CharField(pgettext_lazy("activities", "place"), max_length=200, blank=True)
    station = models.CharField(_("station code"), max_length=40, blank=True)  # a stations module's code, if any
    mode = models.CharField(_("registration"), max_length=12, choices=Mode.choices, default=Mode.FIRST_COME)
    capacity = models.PositiveIntegerField(_("places"), null=True, blank=True)  # None: no limit
    taken = models.PositiveIntegerField(_("places given"), default=0)  # confirmed and offered registrations
    opens_at = models.DateTimeField(_("registration opens"), null=True, blank=True)
    closes_at = models.DateTimeField(_("registration closes"), null=True, blank=True)
    # The audience: the organising union's subtree, narrowed by any of these (all that are set apply).
    audience_categories = models.JSONField(pgettext_lazy("activities", "groups"), default=list, blank=True)
    audience_new_form = models.BooleanField(_("new-form workers only"), default=False)
    audience_women = models.BooleanField(_("women workers only"), default=False)
    audience_eligibility = models.CharField(_("standing eligibility"), max_length=16, choices=Eligibility.choices,
                                            blank=True)
    # Lottery: who is drawn first, in this order (eligibility codes, "new_form" or a category code).
    priority_groups = models.JSONField(_("priority groups"), default=list, blank=True)
    offer_hours = models.PositiveSmallIntegerField(_("hours to accept an offered place"), default=48)
    details = models.JSONField(_("details"), default=dict, blank=True)  # 疗休养 base, 体检 hospital and package…
    draw_seed = models.CharField(_("draw seed"), max_length=64, blank=True)
    draw_method = models.CharField(_("draw method"), max_length=300, blank=True)
    drawn_at = models.DateTimeField(_("drawn at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        indexes = [models.Index(fields=["org_path", "created_at"], name="activity_path_created")]
        constraints = [
            models.CheckConstraint(condition=Q(capacity__isnull=True) | Q(taken__lte=F("capacity")),
                                   name="activity_taken_within_capacity"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def places_left(self) -> int | None:
        return None if self.capacity is None else max(self.capacity - self.taken, 0)


class ActivitySession(models.Model):
    """One 场次: a lesson of a course, a 期 of a 托管班, the one day of a talk."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="sessions")
    number = models.PositiveSmallIntegerField(_("number"))
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    place = models.CharField(pgettext_lazy("activities", "place"), max_length=200, blank=True)
    held = models.BooleanField(_("held"), default=False)  # set by its first check-in or return
    attended = models.PositiveIntegerField(_("attendance"), default=0)  # 人次: check-ins and returns

    class Meta:
        ordering = ["activity", "number"]
        constraints = [models.UniqueConstraint(fields=["activity", "number"], name="activity_session_number")]


class RegStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("Place confirmed")
    APPLIED = "applied", _("Awaiting the draw")
    WAITING = "waiting", _("On the waiting list")
    OFFERED = "offered", _("Place offered")
    CANCELLED = "cancelled", pgettext_lazy("activities", "Cancelled")
    EXPIRED = "expired", _("Offer lapsed")


LIVE = (RegStatus.CONFIRMED, RegStatus.APPLIED, RegStatus.WAITING, RegStatus.OFFERED)
HOLDS_PLACE = (RegStatus.CONFIRMED, RegStatus.OFFERED)


class AllocationShare(models.Model):
    """Places of an allocated activity given to one union, which names its members within them."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="shares")
    org = models.ForeignKey("orgs.Org", on_delete=models.PROTECT, related_name="+", verbose_name=_("union"))
    org_path = models.CharField(max_length=255)
    places = models.PositiveIntegerField(_("places"))
    taken = models.PositiveIntegerField(_("named"), default=0)

    class Meta:
        ordering = ["org_path"]
        constraints = [
            models.UniqueConstraint(fields=["activity", "org"], name="activity_share_per_union"),
            models.CheckConstraint(condition=Q(taken__lte=F("places")), name="activity_share_taken_within_places"),
        ]


class Registration(models.Model):
    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="registrations")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+")
    org_path = models.CharField(max_length=255)  # the member's union when registering
    status = models.CharField(pgettext_lazy("activities", "status"), max_length=10, choices=RegStatus.choices)
    share = models.ForeignKey(AllocationShare, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    ticket = models.CharField(_("ticket"), max_length=16)  # public, random: what the draw hashes
    priority = models.PositiveSmallIntegerField(default=0)  # lottery: index of the first priority group matched
    queue = models.BigIntegerField(null=True, blank=True)  # waiting-list order (smaller first)
    rank = models.PositiveIntegerField(null=True, blank=True)  # lottery: place in the draw's order, from 1
    offer_expires_at = models.DateTimeField(_("offer open until"), null=True, blank=True)
    named_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="+")
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["activity", "id"]
        indexes = [
            models.Index(fields=["activity", "status", "queue"], name="activity_reg_queue"),
            models.Index(fields=["member", "status"], name="activity_reg_member"),
            models.Index(fields=["status", "offer_expires_at"], name="activity_reg_offers",
                         condition=Q(status="offered")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["activity", "member"], condition=Q(status__in=[s.value for s in LIVE]),
                                    name="activity_one_live_registration"),
            models.UniqueConstraint(fields=["activity", "ticket"], name="activity_ticket_unique"),
        ]


class Attendance(models.Model):
    """A check-in: one per member and session, however many times the card is scanned."""

    class Method(models.TextChoices):
        CARD = "card", _("Member card scanned")
        CODE = "code", _("Activity code scanned by the member")
        STAFF = "staff", _("Entered by staff")

    session = models.ForeignKey(ActivitySession, on_delete=models.CASCADE, related_name="attendances")
    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="+")
    org_path = models.CharField(max_length=255)
    method = models.CharField(max_length=8, choices=Method.choices)
    checked_in_at = models.DateTimeField(auto_now_add=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["session", "checked_in_at"]
        constraints = [models.UniqueConstraint(fields=["session", "member"], name="activity_attend_once")]


class AttendanceReturn(models.Model):
    """An organiser's return for a mass event without individual registration: 场次 and 人次 as counted."""

    session = models.ForeignKey(ActivitySession, on_delete=models.CASCADE, related_name="returns")
    headcount = models.PositiveIntegerField(_("people present"))
    note = models.CharField(_("note"), max_length=200, blank=True)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    entered_at = models.DateTimeField(auto_now_add=True)


class StandingEligibility(models.Model):
    """A member's standing eligibility (劳模, 工匠, filed hardship…) for audiences and priority groups."""

    member = models.ForeignKey("members.Member", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(pgettext_lazy("activities", "kind"), max_length=16, choices=Eligibility.choices)
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["member", "kind"], name="activity_eligibility_once")]
