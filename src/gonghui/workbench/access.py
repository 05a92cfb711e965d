"""Who gets into the workbench, which union is "current", and the frame every page shares.

A page of the workbench is for users holding a role (``is_staff_user``): anonymous visitors are
sent to the staff login, members without a role get 403. Org-level pages answer 403 for a
union outside the user's subtree and 404 for an unknown code; single objects (a member)
answer 404 when out of reach, so their existence is not disclosed.
"""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse

from gonghui.core.scope import Perm, is_staff_user, scope_for
from gonghui.orgs.models import Org
from gonghui.orgs.selectors import OrgNotFound, OrgOutOfScope, org_ancestors_in_scope, org_get, org_roots
from gonghui.workbench import menu

SESSION_ORG = "gonghui_staff_org"


def staff_required(view):
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("staff:login"))
        if not is_staff_user(request.user):
            raise PermissionDenied("The workbench is for union cadres.")
        return view(request, *args, **kwargs)

    return wrapper


def get_org_or_403(request, code: str, perm: Perm = Perm.READ) -> Org:
    try:
        return org_get(user=request.user, code=code, perm=perm)
    except OrgNotFound:
        raise Http404(code) from None
    except OrgOutOfScope:
        raise PermissionDenied("This union is outside your subtree.") from None


def page_org(request, perm: Perm = Perm.READ, code: str | None = None) -> Org:
    """The union a module's page works for: the one named by ``code`` (404 when unknown or outside
    the subtree the role covers for ``perm``), else the user's current union, which the role must
    cover for ``perm`` too."""
    org = get_org_or_403(request, code, perm) if code else current_org(request)
    if org is None:
        raise Http404("No union to work for.")
    if not code and perm != Perm.READ and not can(request, perm, org.path):
        raise PermissionDenied("Your role cannot do this for this union.")
    return org


def roots(request) -> list[Org]:
    if not hasattr(request, "_gonghui_roots"):
        request._gonghui_roots = org_roots(user=request.user)
    return request._gonghui_roots


def current_org(request) -> Org | None:
    """The union the user works for now: the one picked in the switcher, else their first."""
    code = request.session.get(SESSION_ORG)
    if code:
        try:
            return org_get(user=request.user, code=code)
        except (OrgNotFound, OrgOutOfScope):
            request.session.pop(SESSION_ORG, None)
    found = roots(request)
    return found[0] if found else None


def set_current_org(request, org: Org) -> None:
    request.session[SESSION_ORG] = org.code


def can(request, perm: Perm, org_path: str) -> bool:
    return scope_for(request.user, perm).covers(org_path)


def render_staff(request, template: str, context: dict | None = None, *, org: Org | None = None,
                 section: str = "", status: int = 200):
    """Render a workbench page with its frame: switcher, menu, breadcrumbs of ``org``.

    ``section`` is the key of the menu entry the page belongs to (``gonghui.workbench.menu``)."""
    current = current_org(request)
    crumb_org = org or current
    frame = {
        "nav_roots": roots(request),
        "nav_current": current,
        "nav_section": section,
        "breadcrumbs": org_ancestors_in_scope(user=request.user, org=crumb_org) if crumb_org else [],
        "page_org": org,
        # The entries apps registered, with their badges: what waits for the current union's subtree.
        "nav_menu": menu.build(request.user, current, section),
    }
    return render(request, template, {**frame, **(context or {})}, status=status)
