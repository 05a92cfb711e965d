"""Member pages of stations (甬工惠), under /stations/ (names portal:stations:…): the nearest stations
from the phone's location (or a district picked by hand), a station's page with the way there, the
visit recorded from its QR code, a rating and a problem report."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gonghui.core.scope import is_staff_user
from gonghui.stations import rules, selectors, services
from gonghui.stations.forms import NearFilter, RatingForm, ReportForm
from gonghui.stations.models import StationPhoto, StationVisit
from gonghui.stations.views import map_context, marker, serve_photo, tiles_csp

TAB = "home"
LIMIT = 10


def _context(request, **extra) -> dict:
    user = request.user
    return {"tab": TAB, "is_cadre": user.is_authenticated and is_staff_user(user), **map_context(), **extra}


def navigation_links(station) -> dict:
    """Links that open the way there in the phone's map app (Amap takes WGS-84 when told so)."""
    name = quote(station.name)
    return {
        "amap": f"https://uri.amap.com/marker?position={station.lon},{station.lat}&name={name}"
                "&coordinate=wgs84&callnative=1",
        "geo": f"geo:{station.lat},{station.lon}?q={station.lat},{station.lon}({name})",
    }


@login_required
def near(request):
    """附近驿站: the nearest stations as a list and on a map."""
    districts = selectors.districts()
    form = NearFilter(request.GET or None, districts=districts)
    context = _context(request, form=form, districts=districts, results=None, here=None)
    if form.is_valid():
        d = form.cleaned_data
        here = None
        if d["lat"] is not None and d["lon"] is not None:
            here = {"lat": d["lat"], "lon": d["lon"], "source": "device"}
        elif d["district"]:
            place = next(p for p in districts if p["code"] == d["district"])
            here = {"lat": place["lat"], "lon": place["lon"], "source": "district", "name": place["name"]}
        if here is not None:
            try:
                lat, lon = services.clean_coordinates(here["lat"], here["lon"])
            except ValidationError as exc:
                context["location_error"] = " ".join(exc.messages)
            else:
                results = selectors.nearest(lat, lon, limit=LIMIT, kind=d["kind"] or "", facility=d["facility"] or "",
                                            open_now=d["open_now"])
                context.update(here=here, results=results, markers=[
                    marker(r.station, metres=round(r.metres), url=reverse("portal:stations:station",
                                                                          args=[r.station.code]))
                    for r in results])
    return tiles_csp(render(request, "stations/portal/near.html", context))


def _public(code: str):
    station = selectors.station_public(code=code)
    if station is None:
        raise Http404("No such station.")
    return station


@login_required
def station(request, code: str):
    found = _public(code)
    now = timezone.localtime()
    visit = StationVisit.objects.filter(station=found, user=request.user, day=timezone.localdate()).first()
    context = _context(request, station=found, hours_text=rules.hours_text(found.always_open, found.hours),
                       open_now=rules.is_open(found.always_open, found.hours, now), links=navigation_links(found),
                       phone=services.station_phone(found), visit=visit, markers=[marker(found)],
                       photos=found.photos.filter(review__isnull=True)[:6],
                       rating_form=RatingForm() if visit and visit.rating is None else None)
    return tiles_csp(render(request, "stations/portal/station.html", context))


@login_required
def visit(request, code: str):
    """What the station's QR code opens: the worker confirms, and the visit is recorded (once a day)."""
    key = request.POST.get("k") or request.GET.get("k") or ""
    if request.method == "POST":
        try:
            _visit, created = services.visit_record(user=request.user, code=code, key=key)
        except ValidationError as exc:
            return render(request, "stations/portal/visit.html", _context(request, error=" ".join(exc.messages)),
                          status=400)
        messages.success(request, _("Welcome! Your visit is recorded.") if created
                         else _("Your visit of today was already recorded."))
        return redirect("portal:stations:station", code)
    try:
        found = services.station_by_qr(code=code, key=key)
    except ValidationError as exc:
        return render(request, "stations/portal/visit.html", _context(request, error=" ".join(exc.messages)),
                      status=400)
    return render(request, "stations/portal/visit.html", _context(request, station=found, key=key))


@login_required
@require_POST
def rate(request, code: str):
    found = _public(code)
    found_visit = StationVisit.objects.filter(station=found, user=request.user, day=timezone.localdate()).first()
    form = RatingForm(request.POST)
    if found_visit is None or not form.is_valid():
        messages.error(request, _("Scan the station's code first, then rate it."))
    else:
        services.visit_rate(user=request.user, visit=found_visit, rating=form.cleaned_data["rating"])
        messages.success(request, _("Thank you for your rating."))
    return redirect("portal:stations:station", code)


@login_required
def report(request, code: str):
    found = _public(code)
    form = ReportForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.report_file(user=request.user, station=found, kind=form.cleaned_data["kind"],
                                 text=form.cleaned_data["text"])
        except ValidationError as exc:
            for field, errors in getattr(exc, "error_dict", {None: exc.error_list}).items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            messages.success(request, _("Thank you. The union running the station has been told."))
            return redirect("portal:stations:station", code)
    return render(request, "stations/portal/report.html", _context(request, station=found, form=form),
                  status=400 if form.errors else 200)


@login_required
def photo(request, pk: int):
    found = StationPhoto.objects.filter(pk=pk, review__isnull=True).exclude(station__status="closed").first()
    if found is None:
        raise Http404("No such photo.")
    return serve_photo(found)


def near_url(**params) -> str:
    return reverse("portal:stations:near") + ("?" + urlencode(params) if params else "")
