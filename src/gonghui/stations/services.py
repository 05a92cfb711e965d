"""Every write of stations: plain functions, keyword arguments, one transaction and one audit line each.

Bad input raises ``ValidationError`` with a Chinese message per field (nothing is written); an
action outside the actor's subtree raises ``PermissionDenied``.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable, Sequence

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from gonghui.core import audit, pii, uploads
from gonghui.core.paths import subtree_q
from gonghui.core.scope import Perm, require
from gonghui.members.services import protect_phone
from gonghui.orgs.models import Org
from gonghui.stations import conf, geo, rules
from gonghui.stations.models import (
    HostKind,
    Station,
    StationPhoto,
    StationReport,
    StationReview,
    StationStatus,
    StationVisit,
)
from gonghui.stats import activity

DUPLICATE_M = 30.0  # another station of the same kind this close is the same place
PHOTO_TYPES = {"image/jpeg": ".jpg", "image/png": ".png"}
MAX_PHOTOS = 9
QR_SALT = "gonghui.stations.qr"
CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"


# --- coordinates and fields ------------------------------------------------------------------------


def refuse(field: str, message, code: str) -> ValidationError:
    """A refusal of one field with its reason code (the API answers the code)."""
    return ValidationError({field: ValidationError(message, code=code)})


def clean_coordinates(lat, lon, datum: str = geo.WGS84) -> tuple[float, float]:
    """WGS-84 (lat, lon) from what a cadre typed or pasted; refuses what lies outside China."""
    try:
        lat, lon = float(lat), float(lon)
    except (TypeError, ValueError):
        raise refuse("lat", _("Enter the latitude and longitude as decimal degrees."), "coords_format") from None
    if datum not in geo.DATUMS:
        raise refuse("datum", _("Choose the map the coordinates come from."), "coords_datum")
    if not geo.in_china(lat, lon):
        if geo.in_china(lon, lat):
            raise refuse("lat", _("Latitude and longitude look swapped: the latitude of a place in China is between "
                                  "4 and 54, its longitude between 73 and 135."), "coords_swapped")
        raise refuse("lat", _("These coordinates lie outside China."), "coords_outside")
    lat, lon = geo.to_wgs84(lat, lon, datum)
    return round(lat, 7), round(lon, 7)


def _facilities(codes: Iterable[str]) -> str:
    known = conf.facilities()
    codes = [c for c in dict.fromkeys(codes) if c]
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise refuse("facilities", _("Unknown facility: %(codes)s.") % {"codes": ", ".join(unknown)},
                     "facility_unknown")
    ordered = [c for c in known if c in codes]
    return f"|{'|'.join(ordered)}|" if ordered else ""


def _kind(kind: str) -> str:
    if kind not in conf.kinds():
        raise refuse("kind", _("Choose a kind of station."), "kind_unknown")
    return kind


def _text(value, field: str, *, max_length: int, required: bool = False) -> str:
    text = str(value or "").strip()
    if "\x00" in text:
        raise refuse(field, _("The text holds a character that cannot be stored."), "invalid")
    if required and not text:
        raise refuse(field, _("This field is required."), "required")
    if len(text) > max_length:
        raise refuse(field, _("At most %(n)d characters.") % {"n": max_length}, "too_long")
    return text


def _duplicate(kind: str, lat: float, lon: float, *, exclude: int | None = None) -> Station | None:
    min_lat, max_lat, min_lon, max_lon = geo.bounding_box(lat, lon, DUPLICATE_M)
    qs = Station.objects.filter(kind=kind, lat__gte=min_lat, lat__lte=max_lat, lon__gte=min_lon, lon__lte=max_lon
                                ).exclude(status=StationStatus.CLOSED)
    if exclude:
        qs = qs.exclude(pk=exclude)
    return next((s for s in qs if geo.haversine_m(lat, lon, s.lat, s.lon) <= DUPLICATE_M), None)


def new_code() -> str:
    while True:
        code = "S" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(7))
        if not Station.objects.filter(code=code).exists():
            return code


def _hours(hours) -> tuple[bool, dict]:
    """Opening hours from the written form (str) or already parsed (always_open, hours)."""
    if isinstance(hours, str):
        try:
            return rules.parse_hours(hours)
        except ValidationError as exc:
            raise refuse("hours", exc.messages[0], exc.error_list[0].code) from None
    return hours


def _fields(*, name, kind, host_kind, host_name, address, lat, lon, datum, hours, facilities, contact_name,
            honours, status, opened_on) -> dict:
    if host_kind not in HostKind.values:
        raise refuse("host_kind", _("Choose who hosts the station."), "invalid")
    if status not in StationStatus.values:
        raise refuse("status", _("Choose a status."), "invalid")
    lat, lon = clean_coordinates(lat, lon, datum)
    always_open, parsed_hours = _hours(hours)
    return dict(name=_text(name, "name", max_length=100, required=True), kind=_kind(kind), host_kind=host_kind,
                host_name=_text(host_name, "host_name", max_length=100),
                address=_text(address, "address", max_length=200, required=True), lat=lat, lon=lon,
                always_open=always_open, hours=parsed_hours, facilities=_facilities(facilities),
                contact_name=_text(contact_name, "contact_name", max_length=50),
                honours=_text(honours, "honours", max_length=2000), status=status,
                opened_on=opened_on or timezone.localdate())


def _set_phone(station: Station, phone: str) -> None:
    if not (phone or "").strip():
        station.phone_hash, station.phone_cipher, station.phone_masked, station.pii_key_id = "", None, "", ""
        return
    try:
        protected = protect_phone(phone)
    except ValidationError as exc:
        raise ValidationError({"phone": ValidationError(exc.messages, code="phone_invalid")}) from None
    station.phone_hash, station.phone_cipher, station.phone_masked, station.pii_key_id = protected


def station_phone(station: Station) -> str:
    """The contact's number, for the station's page (it is published to workers as the station's number)."""
    if not station.phone_cipher:
        return ""
    return pii.decrypt(bytes(station.phone_cipher), key_id=station.pii_key_id, bound_to=station.phone_hash)


def _refuse_duplicate(fields: dict, exclude: int | None = None) -> None:
    other = _duplicate(fields["kind"], fields["lat"], fields["lon"], exclude=exclude)
    if other is not None:
        raise refuse("lat", _("%(name)s, a station of the same kind, is already at this place.") % {"name": other.name},
                     "duplicate")


def _store_photos(files: uploads.Files, station: Station, documents, actor, review: StationReview | None = None):
    for document in documents:
        photo = StationPhoto(station=station, review=review, token=secrets.token_hex(16),
                             extension=document.extension, original_name=document.name,
                             content_type=document.content_type, size=document.size, sha256=document.sha256,
                             uploaded_by=actor if actor.is_authenticated else None)
        files.store(photo.file, photo.token, document)
        photo.save()


def station_create(*, actor, org: Org, name: str, kind: str, address: str, lat, lon, hours,
                   datum: str = geo.WGS84, host_kind: str = HostKind.UNION, host_name: str = "",
                   facilities: Sequence[str] = (), contact_name: str = "", phone: str = "", honours: str = "",
                   status: str = StationStatus.OPEN, opened_on: dt.date | None = None, photos=()) -> Station:
    require(actor, Perm.MANAGE, org.path)
    fields = _fields(name=name, kind=kind, host_kind=host_kind, host_name=host_name, address=address, lat=lat,
                     lon=lon, datum=datum, hours=hours, facilities=facilities, contact_name=contact_name,
                     honours=honours, status=status, opened_on=opened_on)
    documents = uploads.check_all(photos, field="photos", types=PHOTO_TYPES, max_files=MAX_PHOTOS)
    station = Station(org=org, org_path=org.path, code=new_code(), qr_secret=secrets.token_hex(16),
                      created_by=actor if actor.is_authenticated else None, **fields)
    if station.status == StationStatus.CLOSED:
        station.closed_on = timezone.localdate()
    _set_phone(station, phone)
    with uploads.atomic() as files:
        _refuse_duplicate(fields)
        station.save()
        _store_photos(files, station, documents, actor)
        audit.record(actor=actor, action="station.create", obj=station, org_path=org.path,
                     data={"code": station.code, "kind": station.kind})
    return station


def station_update(*, actor, station: Station, org: Org | None = None, name: str, kind: str, address: str, lat,
                   lon, hours, datum: str = geo.WGS84, host_kind: str = HostKind.UNION, host_name: str = "",
                   facilities: Sequence[str] = (), contact_name: str = "", phone: str | None = None,
                   honours: str = "", status: str = StationStatus.OPEN, opened_on: dt.date | None = None,
                   photos=()) -> Station:
    require(actor, Perm.MANAGE, station.org_path)
    org = org or station.org
    require(actor, Perm.MANAGE, org.path)
    fields = _fields(name=name, kind=kind, host_kind=host_kind, host_name=host_name, address=address, lat=lat,
                     lon=lon, datum=datum, hours=hours, facilities=facilities, contact_name=contact_name,
                     honours=honours, status=status, opened_on=opened_on or station.opened_on)
    documents = uploads.check_all(photos, field="photos", types=PHOTO_TYPES, max_files=MAX_PHOTOS)
    with uploads.atomic() as files:
        row = Station.objects.select_for_update().get(pk=station.pk)
        _refuse_duplicate(fields, exclude=row.pk)
        changed = sorted(k for k, v in fields.items() if getattr(row, k) != v)
        for k, v in fields.items():
            setattr(row, k, v)
        if org.pk != row.org_id:
            row.org, row.org_path = org, org.path
            changed.append("org")
        if phone is not None:
            _set_phone(row, phone)
        if row.status == StationStatus.CLOSED and row.closed_on is None:
            row.closed_on = timezone.localdate()
        elif row.status != StationStatus.CLOSED:
            row.closed_on = None
        row.updated_at = timezone.now()
        row.save()
        _store_photos(files, row, documents, actor)
        audit.record(actor=actor, action="station.update", obj=row, org_path=row.org_path, data={"changed": changed})
    return row


# --- reviews -----------------------------------------------------------------------------------------


def review_record(*, actor, station: Station, score: int, reviewed_on: dt.date | None = None,
                  kind: str = StationReview.Kind.YEARLY, facilities_found: Sequence[str] = (), notes: str = "",
                  photos=()) -> StationReview:
    """Record a review: the stars its score earns; a failed one suspends the station and opens a task
    for its union, a passed one (re)opens a suspended station and closes the review tasks."""
    require(actor, Perm.MANAGE, station.org_path)
    today = timezone.localdate()
    reviewed_on = reviewed_on or today
    if reviewed_on > today:
        raise refuse("reviewed_on", _("A review cannot be dated in the future."), "future")
    try:
        score = int(score)
    except (TypeError, ValueError):
        raise refuse("score", _("The score is a whole number from 0 to 100."), "invalid") from None
    if not 0 <= score <= 100:
        raise refuse("score", _("The score is a whole number from 0 to 100."), "invalid")
    if kind not in StationReview.Kind.values:
        raise refuse("kind", _("Choose a kind of review."), "invalid")
    found = _facilities(facilities_found)
    notes = _text(notes, "notes", max_length=2000)
    documents = uploads.check_all(photos, field="photos", types=PHOTO_TYPES, max_files=MAX_PHOTOS)
    stars = rules.stars_for(score)
    with uploads.atomic() as files:
        row = Station.objects.select_for_update().get(pk=station.pk)
        review = StationReview.objects.create(station=row, org_path=row.org_path, kind=kind, reviewed_on=reviewed_on,
                                              facilities_found=found, score=score, stars=stars, passed=stars > 0,
                                              notes=notes, reviewer=actor if actor.is_authenticated else None)
        _store_photos(files, row, documents, actor, review)
        row.stars, row.reviewed_on = stars, reviewed_on
        row.review_due_on = rules.review_due(reviewed_on)
        if review.passed:
            if row.status == StationStatus.SUSPENDED:
                row.status = StationStatus.OPEN
            StationReport.objects.filter(station=row, status=StationReport.Status.OPEN, kind__in=[
                StationReport.Kind.REVIEW_FAILED, StationReport.Kind.REVIEW_LAPSED]).update(
                status=StationReport.Status.RESOLVED, resolution=_("Review passed."), resolved_at=timezone.now(),
                resolved_by=actor if actor.is_authenticated else None)
        else:
            if row.status == StationStatus.OPEN:
                row.status = StationStatus.SUSPENDED
            _system_task(row, StationReport.Kind.REVIEW_FAILED,
                         _("Scored %(score)d: the station is suspended until a review passes.") % {"score": score})
        row.updated_at = timezone.now()
        row.save(update_fields=["stars", "reviewed_on", "review_due_on", "status", "updated_at"])
        audit.record(actor=actor, action="station.review", obj=row, org_path=row.org_path,
                     data={"review": review.pk, "score": score, "stars": stars, "status": row.status})
    return review


def _system_task(station: Station, kind: str, text: str) -> StationReport | None:
    if StationReport.objects.filter(station=station, kind=kind, status=StationReport.Status.OPEN).exists():
        return None
    today = timezone.localdate()
    report = StationReport.objects.create(station=station, org_path=station.org_path, kind=kind, text=text,
                                          reported_on=today, due_on=today + dt.timedelta(days=conf.report_days()))
    _count_report(report)
    return report


def reviews_apply_lapses(*, actor, today: dt.date | None = None) -> int:
    """Downgrade every station whose review lapsed (its stars drop to none) and tell its union (a task).
    Returns how many were downgraded; running it again the same day changes nothing."""
    today = today or timezone.localdate()
    cutoff = today - dt.timedelta(days=conf.review_grace_days())
    lapsed = 0
    with transaction.atomic():
        for station in (Station.objects.select_for_update().filter(review_due_on__lt=cutoff, status=StationStatus.OPEN)
                        .order_by("id")):
            if station.stars == 0 and StationReport.objects.filter(
                    station=station, kind=StationReport.Kind.REVIEW_LAPSED, status=StationReport.Status.OPEN).exists():
                continue
            station.stars = 0
            station.updated_at = timezone.now()
            station.save(update_fields=["stars", "updated_at"])
            _system_task(station, StationReport.Kind.REVIEW_LAPSED,
                         _("The yearly review was due on %(day)s.") % {"day": station.review_due_on.isoformat()})
            lapsed += 1
        if lapsed:
            audit.record(actor=actor, action="station.review_lapses", data={"downgraded": lapsed, "on": today})
    return lapsed


# --- the QR code, visits and reports -------------------------------------------------------------------


def qr_key(station: Station) -> str:
    return signing.Signer(salt=QR_SALT).signature(f"{station.code}:{station.qr_secret}")


def station_by_qr(*, code: str, key: str) -> Station:
    """The station a scanned code names; a forged or outdated code is refused."""
    station = Station.objects.filter(code=code).first()
    if station is None or not secrets.compare_digest(qr_key(station), key or ""):
        raise ValidationError(_("This QR code is not a station's code of this platform."), code="qr_forged")
    if station.status == StationStatus.CLOSED:
        raise ValidationError(_("This station is closed."), code="station_closed")
    return station


def _count_visit(visit: StationVisit) -> None:
    deltas = activity.Deltas()
    deltas.add(visit.org_path, visit.day, "station_visits")
    activity.add(deltas)


def _count_report(report: StationReport) -> None:
    deltas = activity.Deltas()
    deltas.add(report.org_path, report.reported_on, "station_reports")
    activity.add(deltas)


def visit_record(*, user, code: str, key: str, rating: int | None = None) -> tuple[StationVisit, bool]:
    """Record the worker's visit from a scanned code: once per person, station and day (a second scan
    the same day is the same visit; a rating given then is kept)."""
    station = station_by_qr(code=code, key=key)
    if rating is not None and not 1 <= int(rating) <= 5:
        raise refuse("rating", _("Rate from 1 to 5 stars."), "invalid")
    today = timezone.localdate()
    try:
        with transaction.atomic():
            visit = StationVisit.objects.create(station=station, org_path=station.org_path, user=user, day=today,
                                                rating=rating)
            _count_visit(visit)
            audit.record(actor=user, action="station.visit", obj=station, org_path=station.org_path)
        return visit, True
    except IntegrityError:
        visit = StationVisit.objects.get(station=station, user=user, day=today)
        if rating is not None:
            visit_rate(user=user, visit=visit, rating=rating)
        return visit, False


def visit_rate(*, user, visit: StationVisit, rating: int) -> StationVisit:
    if visit.user_id != user.pk:
        raise ValidationError(_("This is not your visit."), code="invalid")
    try:
        rating = int(rating)
    except (TypeError, ValueError):
        rating = 0
    if not 1 <= rating <= 5:
        raise refuse("rating", _("Rate from 1 to 5 stars."), "invalid")
    with transaction.atomic():
        StationVisit.objects.filter(pk=visit.pk).update(rating=rating)
        audit.record(actor=user, action="station.rate", obj=visit.station, org_path=visit.org_path,
                     data={"rating": rating})
    visit.rating = rating
    return visit


WORKER_REPORT_KINDS = (StationReport.Kind.BROKEN, StationReport.Kind.CLOSED, StationReport.Kind.DIRTY,
                       StationReport.Kind.MISSING, StationReport.Kind.OTHER)


def report_file(*, user, station: Station, kind: str, text: str = "") -> StationReport:
    """A worker reports a problem: a task for the operating union, due in ``STATION_REPORT_DAYS``."""
    if kind not in WORKER_REPORT_KINDS:
        raise refuse("kind", _("Choose what is wrong."), "invalid")
    text = _text(text, "text", max_length=500, required=kind == StationReport.Kind.OTHER)
    today = timezone.localdate()
    with transaction.atomic():
        report = StationReport.objects.create(station=station, org_path=station.org_path, kind=kind, text=text,
                                              user=user if user.is_authenticated else None, reported_on=today,
                                              due_on=today + dt.timedelta(days=conf.report_days()))
        _count_report(report)
        audit.record(actor=user, action="station.report", obj=station, org_path=station.org_path,
                     data={"report": report.pk, "kind": kind})
    return report


def report_resolve(*, actor, report: StationReport, resolution: str) -> StationReport:
    require(actor, Perm.MANAGE, report.org_path)
    resolution = _text(resolution, "resolution", max_length=500, required=True)
    with transaction.atomic():
        updated = StationReport.objects.filter(pk=report.pk, status=StationReport.Status.OPEN).update(
            status=StationReport.Status.RESOLVED, resolution=resolution, resolved_at=timezone.now(), resolved_by=actor)
        if not updated:
            raise ValidationError(_("This report has already been dealt with."), code="already_resolved")
        audit.record(actor=actor, action="station.report_resolve", obj=report.station, org_path=report.org_path,
                     data={"report": report.pk})
    report.refresh_from_db()
    return report


# --- statistics ----------------------------------------------------------------------------------------------


def recount() -> activity.Deltas:
    deltas = activity.Deltas()
    for path, day, n in StationVisit.objects.values_list("org_path", "day").annotate(n=Count("*")).order_by():
        deltas.add(path, day, "station_visits", n=n)
    for path, day, n in StationReport.objects.values_list("org_path", "reported_on").annotate(n=Count("*")).order_by():
        deltas.add(path, day, "station_reports", n=n)
    return deltas


def stock(path: str, day: dt.date) -> dict:
    """Stations open on ``day`` in the subtree, by kind; and those holding stars."""
    from django.db.models import Q

    base = Station.objects.filter(subtree_q(path, "org_path"), opened_on__lte=day).filter(
        Q(closed_on__isnull=True) | Q(closed_on__gt=day)).exclude(status=StationStatus.SUSPENDED)
    by_kind = dict(base.values_list("kind").annotate(n=Count("*")).order_by())
    figures = {"stations": sum(by_kind.values()), "stations_starred": base.filter(stars__gt=0).count()}
    for code in conf.kinds():
        figures[f"stations_{code}"] = by_kind.get(code, 0)
    return figures
