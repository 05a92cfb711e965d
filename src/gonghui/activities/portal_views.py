"""Member pages of the activities engine (甬工惠), under /activities/ (names portal:activities:…):
what I may join, registering, my registrations with their waiting-list position, cancelling,
accepting an offered place, my check-in code, and checking in myself with a session's code."""

from __future__ import annotations

import io

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from gonghui.activities import codes, selectors, services
from gonghui.activities.models import LIVE, Mode, Registration
from gonghui.core.scope import is_staff_user
from gonghui.members.selectors import member_of_user

TAB = "home"


def _context(request, **extra) -> dict:
    user = request.user
    return {"tab": TAB, "is_cadre": user.is_authenticated and is_staff_user(user), **extra}


def qr_svg(text: str) -> str:
    out = io.BytesIO()
    segno.make(text, error="m", micro=False).save(out, kind="svg", scale=5, border=2, xmldecl=False, svgns=True,
                                                  dark="#1f2328")
    return out.getvalue().decode()


@login_required
def home(request):
    member = member_of_user(user=request.user)
    context = _context(request, member=member)
    if member is not None:
        regs = selectors.registrations_of_member(member=member)
        live = {r.activity_id: r for r in regs if r.status in LIVE}
        activities = selectors.for_member(member=member)
        for activity in activities:
            activity.mine = live.get(activity.pk)
        context.update(activities=activities, registrations=regs)
    return render(request, "activities/portal/home.html", context)


@login_required
def activity_detail(request, pk: int):
    member = member_of_user(user=request.user)
    activity = selectors.activity_for_member(member=member, pk=pk) if member else None
    if activity is None:
        raise Http404("No such activity for you.")
    mine = selectors.live_registration(activity=activity, member=member)
    if mine is not None:
        mine.position = selectors.waiting_position(registration=mine)
    refusal = None
    try:
        services.audience_check(activity, member)
    except ValidationError as exc:
        refusal = " ".join(exc.messages)
    return render(request, "activities/portal/detail.html", _context(
        request, member=member, activity=activity, mine=mine, refusal=refusal, now=timezone.now(),
        sessions=list(activity.sessions.all()), registers=activity.mode in (Mode.FIRST_COME, Mode.LOTTERY)))


@require_POST
@login_required
def register_view(request, pk: int):
    member = member_of_user(user=request.user)
    activity = selectors.activity_for_member(member=member, pk=pk) if member else None
    if activity is None:
        raise Http404("No such activity for you.")
    try:
        reg = services.register(actor=request.user, activity=activity, member=member,
                                wait=request.POST.get("wait") == "1")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, {
            "confirmed": _("Registered: your place is confirmed."),
            "applied": _("Registered for the draw. You will see the result here after registration closes."),
            "waiting": _("All places are taken: you are on the waiting list."),
        }.get(reg.status, _("Registered.")))
    return redirect("portal:activities:detail", pk)


def _own(request, pk: int) -> Registration:
    member = member_of_user(user=request.user)
    reg = (Registration.objects.select_related("activity", "member").filter(pk=pk, member=member).first()
           if member else None)
    if reg is None:
        raise Http404("No such registration of yours.")
    return reg


@require_POST
@login_required
def cancel_view(request, pk: int):
    reg = _own(request, pk)
    try:
        services.registration_cancel(actor=request.user, registration=reg)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Your registration is cancelled."))
    return redirect("portal:activities:detail", reg.activity_id)


@require_POST
@login_required
def accept_view(request, pk: int):
    reg = _own(request, pk)
    try:
        services.offer_accept(actor=request.user, registration=reg)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The place is yours."))
    return redirect("portal:activities:detail", reg.activity_id)


@never_cache
@login_required
def my_code(request):
    """签到码: the member's signed check-in code as a QR code, shown at the entrance."""
    member = member_of_user(user=request.user)
    code = codes.member_code(member.pk) if member else None
    return render(request, "activities/portal/code.html", _context(
        request, member=member, code=code, qr=qr_svg(code) if code else None))


@login_required
def self_check_in(request, code: str):
    """The page a session's QR code leads to: the member confirms and is checked in."""
    result = None
    if request.method == "POST":
        try:
            attendance, first = services.check_in_self(actor=request.user, code=code)
        except ValidationError as exc:
            result = {"ok": False, "message": " ".join(exc.messages)}
        else:
            result = {"ok": True, "first": first, "activity": attendance.session.activity}
    return render(request, "activities/portal/self_check_in.html", _context(request, code=code, result=result))


def registrations_in_progress(*, user) -> list:
    """The member's live registrations for 办事."""
    member = member_of_user(user=user)
    if member is None:
        return []
    return [r for r in selectors.registrations_of_member(member=member) if r.status in LIVE][:10]
