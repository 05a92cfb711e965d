"""Workbench pages of stations (驿站), under /staff/stations/ (names staff:stations:…).

Form in, service or selector out, template. The module works for the current union of the workbench
(the switcher, or ``?org=CODE``: 403 outside the subtree); a station outside it answers 404.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gonghui.core.paths import subtree_q
from gonghui.core.scope import Perm, scope_for
from gonghui.orgs.models import Org
from gonghui.stations import conf, imports, rules, selectors, services
from gonghui.stations.forms import ImportForm, ResolveForm, ReviewForm, StationFilter, StationForm
from gonghui.stations.models import StationPhoto, StationStatus
from gonghui.workbench.access import can, current_org, get_org_or_403, render_staff, staff_required

SECTION = "stations"
MAP_LIMIT = 500  # markers on the workbench map; the list pages through the rest
ORG_CHOICES_LIMIT = 300


def _org(request, perm: Perm = Perm.READ) -> Org:
    code = request.GET.get("org") or request.POST.get("org_scope")
    org = get_org_or_403(request, code, perm) if code else current_org(request)
    if org is None:
        raise Http404("No union to work for.")
    if perm != Perm.READ and not can(request, perm, org.path):
        raise PermissionDenied("Your role cannot do this for this union.")
    return org


def tiles_csp(response):
    """Let the map load tiles from the configured server (the site's policy allows only its own images)."""
    url = conf.tile_url()
    if url.startswith("http"):
        parts = urlsplit(url)
        response._csp_update = {"img-src": [f"{parts.scheme}://{parts.netloc.replace('{s}.', '*.')}"]}
    return response


def map_context() -> dict:
    return {"tile_url": conf.tile_url(), "tile_attribution": conf.tile_attribution()}


def marker(station, **extra) -> dict:
    return {"id": station.pk, "name": station.name, "lat": station.lat, "lon": station.lon,
            "kind": str(station.kind_label), "status": station.status, **extra}


def _page(request, template: str, context: dict, *, org, tab: str, status: int = 200):
    response = render_staff(request, template, {**context, "st_tab": tab, **map_context()}, org=org,
                            section=SECTION, status=status)
    return tiles_csp(response)


def _station(request, pk: int, perm: Perm = Perm.READ):
    station = selectors.station_get(user=request.user, pk=pk, perm=perm)
    if station is None:
        raise Http404("No such station in your subtree.")
    return station


def _save(form, save):
    try:
        return save()
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.error_dict.items():
                target = field if field in form.fields else ("day0" if field == "hours" else None)
                form.add_error(target, errors)
        else:
            form.add_error(None, exc)
        return None


@staff_required
def home(request):
    org = _org(request)
    figures = selectors.home_figures(user=request.user, org=org)
    stations = selectors.station_list(user=request.user, org=org).exclude(status=StationStatus.CLOSED)
    context = {"org": org, "figures": figures,
               "reports": selectors.reports_open(user=request.user, org=org)[:10],
               "due": selectors.review_queue(user=request.user, org=org)[:10],
               "markers": [marker(s) for s in stations[:MAP_LIMIT]]}
    return _page(request, "stations/staff/home.html", context, org=org, tab="home")


@staff_required
def station_list(request):
    org = _org(request)
    form = StationFilter(request.GET or None)
    rows = selectors.station_list(user=request.user, org=org, **form.values(), due=request.GET.get("due") == "1")
    page = Paginator(rows, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    context = {"org": org, "form": form, "page": page, "may_manage": can(request, Perm.MANAGE, org.path),
               "markers": [marker(s) for s in page.object_list], "due": request.GET.get("due") == "1"}
    return _page(request, "stations/staff/list.html", context, org=org, tab="due" if context["due"] else "list")


def _org_choices(request, org: Org) -> list[Org]:
    scope = scope_for(request.user, Perm.MANAGE)
    orgs = (Org.objects.filter(subtree_q(org.path), scope.q("path"), depth__lte=org.depth + 2)
            .order_by("path")[:ORG_CHOICES_LIMIT])
    return list(orgs)


def _station_kwargs(form: StationForm, orgs: dict) -> dict:
    d = form.cleaned_data
    hours = (True, {}) if d["always_open"] else None
    if hours is None:
        hours = (False, rules.hours_of_days([d[f"day{n}"] for n in range(7)]))
    return dict(org=orgs[d["org"]], name=d["name"], kind=d["kind"], host_kind=d["host_kind"],
                host_name=d["host_name"], address=d["address"], lat=d["lat"], lon=d["lon"], datum=d["datum"],
                hours=hours, facilities=d["facilities"], contact_name=d["contact_name"], phone=d["phone"],
                honours=d["honours"], status=d["status"], opened_on=d["opened_on"], photos=d["photos"] or [])


def _hours_error(form, exc: ValidationError) -> None:
    form.add_error("day0", exc.messages)


@staff_required
def station_new(request):
    org = _org(request, Perm.MANAGE)
    orgs = _org_choices(request, org)
    form = StationForm(request.POST or None, request.FILES or None, orgs=orgs,
                       initial={"org": org.code, "status": StationStatus.OPEN, "always_open": True})
    if request.method == "POST" and form.is_valid():
        try:
            kwargs = _station_kwargs(form, {o.code: o for o in orgs})
        except ValidationError as exc:
            _hours_error(form, exc)
        else:
            station = _save(form, lambda: services.station_create(actor=request.user, **kwargs))
            if station is not None:
                messages.success(request, _("The station %(name)s was added.") % {"name": station.name})
                return redirect("staff:stations:station", station.pk)
    return _page(request, "stations/staff/form.html", {"org": org, "form": form, "station": None}, org=org,
                 tab="list", status=400 if form.errors else 200)


@staff_required
def station_edit(request, pk: int):
    station = _station(request, pk, Perm.MANAGE)
    org = _org(request)
    orgs = _org_choices(request, org)
    if station.org not in orgs:
        orgs.insert(0, station.org)
    initial = {"org": station.org.code, "name": station.name, "kind": station.kind, "host_kind": station.host_kind,
               "host_name": station.host_name, "address": station.address, "lat": station.lat, "lon": station.lon,
               "always_open": station.always_open, "facilities": station.facility_codes,
               "contact_name": station.contact_name, "honours": station.honours, "status": station.status,
               "opened_on": station.opened_on}
    initial.update({f"day{d}": text for d, text in enumerate(rules.day_fields(station.always_open, station.hours))})
    form = StationForm(request.POST or None, request.FILES or None, orgs=orgs, initial=initial)
    form.fields["phone"].help_text = _("Now %(masked)s; leave empty to keep it.") % {
        "masked": station.phone_masked} if station.phone_masked else ""
    if request.method == "POST" and form.is_valid():
        try:
            kwargs = _station_kwargs(form, {o.code: o for o in orgs})
        except ValidationError as exc:
            _hours_error(form, exc)
        else:
            kwargs["phone"] = kwargs["phone"] or None  # empty keeps the number on record
            saved = _save(form, lambda: services.station_update(actor=request.user, station=station, **kwargs))
            if saved is not None:
                messages.success(request, _("The station was saved."))
                return redirect("staff:stations:station", station.pk)
    return _page(request, "stations/staff/form.html", {"org": station.org, "form": form, "station": station},
                 org=station.org, tab="list", status=400 if form.errors else 200)


def qr_svg(station) -> str:
    import segno

    url = reverse("portal:stations:visit", args=[station.code]) + f"?k={services.qr_key(station)}"
    qr = segno.make(url, error="m", micro=False)
    return mark_safe(qr.svg_inline(scale=4, border=2, dark="#1d1d1f", light="#ffffff", omitsize=True))  # noqa: S308


@staff_required
def station_detail(request, pk: int):
    station = _station(request, pk)
    may_manage = can(request, Perm.MANAGE, station.org_path)
    context = {
        "org": station.org, "station": station, "may_manage": may_manage,
        "hours_text": rules.hours_text(station.always_open, station.hours),
        "open_now": rules.is_open(station.always_open, station.hours, timezone.localtime()),
        "reviews": selectors.reviews_of(station=station)[:20],
        "visits": selectors.visits_of(station=station),
        "reports": station.reports.order_by("-status", "due_on", "id")[:30],
        "photos": station.photos.filter(review__isnull=True),
        "phone": services.station_phone(station) if may_manage else station.phone_masked,
        "qr": qr_svg(station) if may_manage else "",
        "visit_url": request.build_absolute_uri(reverse("portal:stations:visit", args=[station.code]))
        + f"?k={services.qr_key(station)}" if may_manage else "",
        "review_form": ReviewForm(initial={"reviewed_on": timezone.localdate()}) if may_manage else None,
        "resolve_form": ResolveForm(),
        "markers": [marker(station)],
    }
    return _page(request, "stations/staff/detail.html", context, org=station.org, tab="list")


@staff_required
def review_new(request, pk: int):
    station = _station(request, pk, Perm.MANAGE)
    form = ReviewForm(request.POST or None, request.FILES or None,
                      initial={"reviewed_on": timezone.localdate(), "facilities_found": station.facility_codes})
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        review = _save(form, lambda: services.review_record(
            actor=request.user, station=station, kind=d["kind"], reviewed_on=d["reviewed_on"], score=d["score"],
            facilities_found=d["facilities_found"], notes=d["notes"], photos=d["photos"] or []))
        if review is not None:
            if review.passed:
                messages.success(request, _("Review recorded: %(stars)d stars.") % {"stars": review.stars})
            else:
                messages.warning(request, _("Review failed: the station is suspended and its union has a task."))
            return redirect("staff:stations:station", station.pk)
    return _page(request, "stations/staff/review.html", {"org": station.org, "station": station, "form": form},
                 org=station.org, tab="due", status=400 if form.errors else 200)


@staff_required
def reports(request):
    org = _org(request)
    page = Paginator(selectors.reports_open(user=request.user, org=org), settings.PAGE_SIZE).get_page(
        request.GET.get("page"))
    return _page(request, "stations/staff/reports.html", {"org": org, "page": page, "form": ResolveForm(),
                                                          "today": timezone.localdate()}, org=org, tab="reports")


@staff_required
@require_POST
def report_resolve(request, pk: int):
    report = selectors.report_get(user=request.user, pk=pk)
    if report is None:
        raise Http404("No such report in your subtree.")
    form = ResolveForm(request.POST)
    if form.is_valid():
        try:
            services.report_resolve(actor=request.user, report=report, resolution=form.cleaned_data["resolution"])
            messages.success(request, _("The report is marked as dealt with."))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
    else:
        messages.error(request, _("Say what was done."))
    return redirect(request.POST.get("next") or reverse("staff:stations:reports"))


@staff_required
def station_import(request):
    org = _org(request, Perm.MANAGE)
    form = ImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = imports.station_import(actor=request.user, stream=upload, filename=upload.name, org=org)
        except imports.ImportFormatError as exc:
            form.add_error("file", str(exc))
        else:
            if result.ok:
                messages.success(request, _("%(n)d stations were imported.") % {"n": result.created})
                return redirect(reverse("staff:stations:list") + f"?org={org.code}")
    return _page(request, "stations/staff/import.html", {
        "org": org, "form": form, "result": result, "columns": imports.COLUMN_LABELS.values(),
        "template": imports.template_rows()}, org=org, tab="list", status=400 if form.errors or result else 200)


def serve_photo(photo: StationPhoto):
    response = FileResponse(photo.file.open("rb"), content_type=photo.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; frame-ancestors 'none'; sandbox"
    return response


@staff_required
def photo(request, pk: int):
    found = StationPhoto.objects.filter(pk=pk, station__in=selectors.stations_in_scope(user=request.user)).first()
    if found is None:
        raise Http404("No such photo for you.")
    return serve_photo(found)
