"""Workbench pages of the activities engine (活动与普惠), under /staff/activities/ (names staff:activities:…).

Form in, service or selector out, template. The module works for the current union of the
workbench (or ``?org=CODE``); an activity outside the user's subtree answers 404.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from gonghui.activities import codes, exports, selectors, services
from gonghui.activities.forms import (
    ActivityForm,
    CapacityForm,
    CopyForm,
    DrawForm,
    NameForm,
    ReturnForm,
    ScanForm,
    ShareForm,
    default_first_session,
)
from gonghui.activities.models import Mode, Registration, RegStatus
from gonghui.core.exports import attachment
from gonghui.core.scope import Perm
from gonghui.orgs.selectors import OrgNotFound, OrgOutOfScope, org_get
from gonghui.stats.activity import period_figures
from gonghui.workbench.access import can, current_org, get_org_or_403, render_staff, staff_required

SECTION = "activities"


def _org(request, perm: Perm = Perm.READ):
    code = request.GET.get("org") or request.POST.get("org")
    org = get_org_or_403(request, code, perm) if code else current_org(request)
    if org is None:
        raise Http404("No union to work for.")
    if not code and perm != Perm.READ and not can(request, perm, org.path):
        raise PermissionDenied("Your role cannot do this for this union.")
    return org


def _page(request, template: str, context: dict, *, org=None, status: int = 200):
    return render_staff(request, template, context, org=org, section=SECTION, status=status)


def _activity(request, pk: int, perm: Perm = Perm.READ):
    activity = selectors.activity_get(user=request.user, pk=pk, perm=perm)
    if activity is None:
        raise Http404("No such activity in your subtree.")
    return activity


def errors_onto(form, exc: ValidationError) -> None:
    """A service's refusal onto the form: on its field when the form has it, else above the form."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            for error in errors:
                form.add_error(field if field in form.fields else None, error)
    else:
        for error in exc.error_list:
            form.add_error(None, error)


def _refusal_message(request, exc: ValidationError) -> None:
    messages.error(request, " ".join(exc.messages))


@staff_required
def home(request):
    org = _org(request)
    today = timezone.localdate()
    start = dt.date(today.year, 1, 1)
    figures = period_figures(org.path, start, today)
    kpis = [{"key": m.key, "label": m.label, "value": figures.get(m.key, 0), "unit": m.unit, "icon": m.icon}
            for m in services_metrics()]
    qs = selectors.activities_for_staff(user=request.user).filter(org_path__startswith=org.path)
    page = Paginator(qs, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    return _page(request, "activities/staff/home.html", {
        "org": org, "kpis": kpis, "page": page, "start": start, "end": today,
        "may_create": can(request, Perm.MANAGE, org.path)}, org=org)


def services_metrics():
    from gonghui.activities.stats import METRICS

    return list(METRICS.values())


@staff_required
def activity_new(request):
    org = _org(request, Perm.MANAGE)
    form = ActivityForm(request.POST or None, initial={"first_session": default_first_session()})
    if request.method == "POST" and form.is_valid():
        try:
            activity = services.activity_create(actor=request.user, org=org, **form.service_kwargs())
        except ValidationError as exc:
            errors_onto(form, exc)
        else:
            messages.success(request, _("The activity is published."))
            return redirect("staff:activities:detail", activity.pk)
    return _page(request, "activities/staff/form.html", {"org": org, "form": form}, org=org,
                 status=400 if form.errors else 200)


def _detail_context(request, activity) -> dict:
    regs = selectors.registrations_of_activity(activity=activity, status=request.GET.get("status") or None)
    page = Paginator(regs, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    may_manage = can(request, Perm.MANAGE, activity.org_path)
    counts = selectors.counts_of_activity(activity=activity)
    shares = list(activity.shares.select_related("org")) if activity.mode == Mode.ALLOCATED else []
    for share in shares:
        share.may_name = can(request, Perm.MANAGE, share.org_path)
    return {
        "activity": activity, "org": activity.org, "sessions": list(activity.sessions.all()), "page": page,
        "status_counts": [(v, label, counts[v]) for v, label in RegStatus.choices], "status": request.GET.get("status"),
        "may_manage": may_manage, "shares": shares, "draw": selectors.draw_result(activity=activity),
        "may_draw": (may_manage and activity.mode == Mode.LOTTERY and activity.drawn_at is None),
        "capacity_form": CapacityForm(initial={"capacity": activity.capacity}), "draw_form": DrawForm(),
        "copy_form": CopyForm(initial={"first_session": default_first_session()}), "share_form": ShareForm(),
        "name_form": NameForm(), "now": timezone.now(),
    }


@staff_required
def activity_detail(request, pk: int):
    activity = _activity(request, pk)
    return _page(request, "activities/staff/detail.html", _detail_context(request, activity), org=activity.org)


def _back(activity):
    return redirect("staff:activities:detail", activity.pk)


@staff_required
@require_POST
def activity_copy_view(request, pk: int):
    activity = _activity(request, pk, Perm.MANAGE)
    form = CopyForm(request.POST)
    if form.is_valid():
        try:
            copy = services.activity_copy(actor=request.user, activity=activity,
                                          first_starts_at=form.cleaned_data["first_session"])
        except ValidationError as exc:
            _refusal_message(request, exc)
        else:
            messages.success(request, _("The copy is published."))
            return redirect("staff:activities:detail", copy.pk)
    else:
        messages.error(request, _("Give the start of the copy's first session."))
    return _back(activity)


@staff_required
@require_POST
def activity_capacity_view(request, pk: int):
    activity = _activity(request, pk, Perm.MANAGE)
    form = CapacityForm(request.POST)
    if form.is_valid():
        try:
            services.activity_set_capacity(actor=request.user, activity=activity,
                                           capacity=form.cleaned_data["capacity"])
            messages.success(request, _("The number of places is changed."))
        except ValidationError as exc:
            _refusal_message(request, exc)
    else:
        messages.error(request, _("Give a number of places of at least 1."))
    return _back(activity)


@staff_required
@require_POST
def activity_draw_view(request, pk: int):
    activity = _activity(request, pk, Perm.MANAGE)
    form = DrawForm(request.POST)
    if form.is_valid():
        try:
            result = services.draw_run(actor=request.user, activity=activity, seed=form.cleaned_data["seed"])
            messages.success(request, _("Drawn: %(winners)s of %(entrants)s entrants got a place.") % result)
        except ValidationError as exc:
            _refusal_message(request, exc)
    return _back(activity)


@staff_required
@require_POST
def activity_share_view(request, pk: int):
    activity = _activity(request, pk, Perm.MANAGE)
    form = ShareForm(request.POST)
    if form.is_valid():
        try:
            org = org_get(user=request.user, code=form.cleaned_data["org"])
            services.share_set(actor=request.user, activity=activity, org=org, places=form.cleaned_data["places"])
            messages.success(request, _("The share is saved."))
        except (OrgNotFound, OrgOutOfScope):
            messages.error(request, _("No union in your subtree has this code."))
        except ValidationError as exc:
            _refusal_message(request, exc)
    return _back(activity)


@staff_required
@require_POST
def share_name_view(request, pk: int):
    share = selectors.share_get(user=request.user, pk=pk)
    if share is None:
        raise Http404("No such share of your union.")
    form = NameForm(request.POST)
    member = selectors.member_in_reach(user=request.user, pk=form.cleaned_data["member"]) if form.is_valid() else None
    if member is None:
        messages.error(request, _("No member of your subtree has this number."))
    else:
        try:
            services.share_name(actor=request.user, share=share, member=member)
            messages.success(request, _("%(name)s is named for a place.") % {"name": member.name})
        except ValidationError as exc:
            _refusal_message(request, exc)
    return redirect("staff:activities:detail", share.activity_id)


@staff_required
@require_POST
def registration_cancel_view(request, pk: int):
    reg = Registration.objects.select_related("activity", "member").filter(pk=pk).first()
    if reg is None or selectors.activity_get(user=request.user, pk=reg.activity_id, perm=Perm.MANAGE) is None:
        raise Http404("No such registration in your subtree.")
    try:
        services.registration_cancel(actor=request.user, registration=reg)
        messages.success(request, _("The registration is cancelled; the place goes to the waiting list."))
    except ValidationError as exc:
        _refusal_message(request, exc)
    return redirect("staff:activities:detail", reg.activity_id)


@staff_required
def session_scan(request, pk: int):
    """The check-in scanner: the phone camera reads the member's code (or it is typed in)."""
    session = selectors.session_get(user=request.user, pk=pk, perm=Perm.MANAGE)
    if session is None:
        raise Http404("No such session in your subtree.")
    form = ScanForm(request.POST or None)
    result = None
    if request.method == "POST" and form.is_valid():
        try:
            attendance, first = services.check_in_card(actor=request.user, session=session,
                                                        code=form.cleaned_data["code"])
        except ValidationError as exc:
            result = {"ok": False, "message": " ".join(exc.messages)}
        else:
            result = {"ok": True, "first": first, "member": attendance.member}
        form = ScanForm()
        session.refresh_from_db()
    return _page(request, "activities/staff/scan.html", {
        "session": session, "activity": session.activity, "form": form, "result": result,
        "session_code": codes.session_code(session.pk),
        "recent": session.attendances.select_related("member").order_by("-checked_in_at")[:10],
        "return_form": ReturnForm()}, org=session.activity.org)


@staff_required
@require_POST
def session_return_view(request, pk: int):
    session = selectors.session_get(user=request.user, pk=pk, perm=Perm.MANAGE)
    if session is None:
        raise Http404("No such session in your subtree.")
    form = ReturnForm(request.POST)
    if form.is_valid():
        try:
            services.return_record(actor=request.user, session=session, **form.cleaned_data)
            messages.success(request, _("The return is recorded."))
        except ValidationError as exc:
            _refusal_message(request, exc)
    else:
        messages.error(request, _("Give the number of people present."))
    return redirect("staff:activities:detail", session.activity_id)


@staff_required
def attendance_export(request, pk: int):
    activity = _activity(request, pk, Perm.MANAGE)
    content, filename, content_type = exports.attendance_export(actor=request.user, activity=activity)
    return attachment(content, filename=filename, content_type=content_type)
