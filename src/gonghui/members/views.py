"""Workbench pages of the member database: list, detail with timeline, add, edit, reveal."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_POST

from gonghui.core.scope import Perm
from gonghui.members.forms import MemberEditForm, MemberForm, MemberSearchForm
from gonghui.members.selectors import member_get, member_list, member_timeline
from gonghui.members.services import member_create, member_reveal_id_number, member_update
from gonghui.staff.access import can, current_org, get_org_or_403, render_staff, staff_required


def _member_or_404(request, pk: int):
    member = member_get(user=request.user, pk=pk)
    if member is None:
        raise Http404("No such member in your subtree.")
    return member


@staff_required
def members_redirect(request):
    """/staff/members/?org=CODE → the member list of that union (of the current union without)."""
    code = request.GET.get("org")
    org = get_org_or_403(request, code) if code else current_org(request)
    if org is None:
        raise Http404("No union to list.")
    url = reverse("staff:members", kwargs={"code": org.code})
    query = request.GET.copy()
    query.pop("org", None)
    return redirect(f"{url}?{query.urlencode()}" if query else url)


@staff_required
def member_list_page(request, code: str):
    org = get_org_or_403(request, code)
    search = MemberSearchForm(request.GET or None)
    text, include_left = "", False
    if search.is_valid():
        text, include_left = search.cleaned_data["q"], search.cleaned_data["left"]
    members = member_list(user=request.user, org=org, text=text, include_left=include_left)
    page = Paginator(members, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "org": org, "search": search, "page": page, "q": text, "query": query.urlencode(),
        "may_manage": can(request, Perm.MANAGE, org.path),
    }
    if request.htmx and request.htmx.target == "member-results":
        return render(request, "staff/members/_results.html", context)
    return render_staff(request, "staff/members/list.html", context, org=org, section="members")


@staff_required
def member_detail(request, pk: int):
    member = _member_or_404(request, pk)
    return _render_detail(request, member)


def _render_detail(request, member, revealed: str | None = None):
    context = {
        "member": member,
        "timeline": member_timeline(user=request.user, member=member),
        "may_manage": can(request, Perm.MANAGE, member.org_path),
        "may_reveal": can(request, Perm.REVEAL, member.org_path),
        "revealed": revealed,
    }
    response = render_staff(request, "staff/members/detail.html", context, org=member.org, section="members")
    if revealed:
        response["Cache-Control"] = "no-store"
    return response


@never_cache
@require_POST
@staff_required
@sensitive_variables("number")
def member_reveal(request, pk: int):
    """The full ID number, audited by the service. htmx swaps it in; without JS the page re-renders."""
    member = _member_or_404(request, pk)
    number = member_reveal_id_number(actor=request.user, member=member)  # PermissionDenied → 403
    if request.htmx:
        response = render(request, "staff/members/_revealed.html", {"member": member, "number": number})
        response["Cache-Control"] = "no-store"
        return response
    return _render_detail(request, member, revealed=number)


def _save(form, save):
    """Call the service; its ValidationError lands beside the fields it names."""
    try:
        return save()
    except ValidationError as exc:
        form.add_error(None, exc)
        return None


@sensitive_post_parameters("id_number", "phone")
@staff_required
def member_add(request, code: str):
    org = get_org_or_403(request, code, Perm.MANAGE)
    form = MemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        member = _save(form, lambda: member_create(actor=request.user, org=org, **form.service_fields()))
        if member is not None:
            return redirect("staff:member", pk=member.pk)
    return render_staff(request, "staff/members/form.html", {"form": form, "org": org, "creating": True},
                        org=org, section="members")


@sensitive_post_parameters("id_number", "phone")
@staff_required
def member_edit(request, pk: int):
    member = _member_or_404(request, pk)
    if not can(request, Perm.MANAGE, member.org_path):
        raise PermissionDenied("Your role cannot edit members of this union.")
    initial = {"name": member.name, "category": member.category, "is_new_form": member.is_new_form,
               "employer": member.employer, "joined_on": member.joined_on}
    form = MemberEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = _save(form, lambda: member_update(actor=request.user, member=member, **form.service_fields()))
        if saved is not None:
            return redirect("staff:member", pk=saved.pk)
    return render_staff(request, "staff/members/form.html",
                        {"form": form, "org": member.org, "member": member, "creating": False},
                        org=member.org, section="members")
