"""Workbench pages of the union tree: an org with its children, search, add and edit (the shell's own)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render

from gonghui.core.scope import Perm
from gonghui.members.figures import subtree_stats
from gonghui.members.selectors import member_counts_by_child
from gonghui.orgs.forms import OrgCreateForm, OrgForm, OrgSearchForm
from gonghui.orgs.selectors import org_children, org_search
from gonghui.orgs.services import org_create, org_update
from gonghui.workbench.access import can, get_org_or_403, render_staff, staff_required


@staff_required
def org_detail(request, code: str):
    org = get_org_or_403(request, code)
    search = OrgSearchForm(request.GET or None)
    text = search.cleaned_data["q"].strip() if search.is_valid() else ""
    if text:
        results = list(org_search(user=request.user, within=org, text=text))
        context = {"org": org, "search": search, "q": text, "results": results}
    else:
        page = Paginator(org_children(user=request.user, org=org), settings.PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        children = list(page.object_list)
        counts = member_counts_by_child(user=request.user, children=children)
        for child in children:
            child.member_count = counts.get(child.pk, 0)
        context = {"org": org, "search": search, "q": "", "page": page, "children": children}
    if request.htmx and request.htmx.target == "org-results":
        return render(request, "staff/orgs/_results.html", context)
    context.update(
        stats=subtree_stats(org=org),
        may_manage=can(request, Perm.MANAGE, org.path),
        crumbs_end_here=True,
    )
    return render_staff(request, "staff/orgs/detail.html", context, org=org, section="orgs")


def _save(request, form, save):
    """Call the service; its ValidationError lands beside the fields it names."""
    try:
        return save()
    except ValidationError as exc:
        form.add_error(None, exc)
        return None


@staff_required
def org_add_child(request, code: str):
    parent = get_org_or_403(request, code, Perm.MANAGE)
    form = OrgCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        org = _save(request, form, lambda: org_create(actor=request.user, parent=parent, **form.service_fields()))
        if org is not None:
            return redirect("staff:org", code=org.code)
    return render_staff(request, "staff/orgs/form.html", {"form": form, "parent": parent, "creating": True},
                        org=parent, section="orgs")


@staff_required
def org_edit(request, code: str):
    org = get_org_or_403(request, code, Perm.MANAGE)
    initial = {"name": org.name, "kind": org.kind, "is_new_form": org.is_new_form,
               "credit_code": org.credit_code, "star_rating": org.star_rating or ""}
    form = OrgForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        saved = _save(request, form, lambda: org_update(actor=request.user, org=org, **form.service_fields()))
        if saved is not None:
            return redirect("staff:org", code=saved.code)
    return render_staff(request, "staff/orgs/form.html", {"form": form, "org": org, "creating": False},
                        org=org, section="orgs")
