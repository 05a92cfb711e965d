"""Member pages (甬工惠): home with the services grid, 办事, 我的 with the 5·1 service card."""

from __future__ import annotations

import segno
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils.safestring import mark_safe

from gonghui.core.scope import is_staff_user
from gonghui.members.cards import card_code
from gonghui.members.selectors import applications_of, member_of_user, membership_of_user
from gonghui.workbench import portal


class MemberLoginView(auth_views.LoginView):
    template_name = "portal/login.html"
    next_page = reverse_lazy("portal:home")


class MemberLogoutView(auth_views.LogoutView):
    next_page = reverse_lazy("portal:home")


def card_qr_svg(member_id: int) -> str:
    """The card's QR code as inline SVG: the signed card code (gonghui.members.cards) that event
    check-in, merchants and stations scan and verify."""
    qr = segno.make(card_code(member_id), error="m", micro=False)
    return mark_safe(qr.svg_inline(scale=4, border=2, dark="#1d1d1f", light="#ffffff", omitsize=True))  # noqa: S308


def _context(request, tab: str) -> dict:
    user = request.user
    return {
        "tab": tab,
        "member": member_of_user(user=user),
        "is_cadre": user.is_authenticated and is_staff_user(user),
    }


def home(request):
    # The services of the 甬工惠 home grid: what the portal and the modules registered.
    return render(request, "portal/home.html", {**_context(request, "home"), "services": portal.tiles(request.user)})


@login_required
def services(request):
    """办事: the worker's applications and the modules' matters, where each stands and what comes next."""
    sections = portal.sections(request.user)
    return render(request, "portal/services.html",
                  {**_context(request, "services"), "applications": applications_of(user=request.user),
                   "sections": sections, "has_matters": any(s["items"] for s in sections)})


@login_required
def me(request):
    context = _context(request, "me")
    context["waiting"] = [a for a in applications_of(user=request.user) if a.status == "pending"]
    member = context["member"]
    if member is not None and member.card_number:
        context["qr_svg"] = card_qr_svg(member.pk)
        context["card_code"] = card_code(member.pk)
    return render(request, "portal/me.html", context)


@login_required
def union(request):
    """我的工会: the member's union, its place in the tree, the membership and its history."""
    context = _context(request, "me")
    context["membership"] = membership_of_user(user=request.user)
    context["waiting"] = [a for a in applications_of(user=request.user) if a.status == "pending"]
    return render(request, "portal/union.html", context)
