"""Workbench pages of the member database: list, detail with timeline, add, edit, reveal."""

from __future__ import annotations

import io

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gonghui.core.exports import XLSX, attachment, written
from gonghui.core.scope import Perm
from gonghui.members.export_jobs import (
    export_job_create,
    export_job_download,
    export_job_get,
    export_needs_background,
)
from gonghui.members.exports import member_export, write_template
from gonghui.members.forms import MemberEditForm, MemberForm, MemberSearchForm, RosterUploadForm
from gonghui.members.import_jobs import (
    import_job_create,
    import_job_get,
    import_job_list,
    import_job_progress,
    import_job_report_errors,
)
from gonghui.members.selectors import member_get, member_list, member_periods, member_timeline
from gonghui.members.services import member_create, member_reveal_id_number, member_update
from gonghui.workbench.access import can, current_org, get_org_or_403, render_staff, staff_required


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
    search, text, include_left = _search(request.GET)
    members = member_list(user=request.user, org=org, text=text, include_left=include_left)
    page = Paginator(members, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "org": org, "search": search, "page": page, "q": text, "include_left": include_left,
        "query": query.urlencode(), "may_manage": can(request, Perm.MANAGE, org.path),
        "may_reveal": can(request, Perm.REVEAL, org.path),
    }
    if request.htmx and request.htmx.target == "member-results":
        return render(request, "staff/members/_results.html", context)
    return render_staff(request, "staff/members/list.html", context, org=org, section="members")


def _search(data) -> tuple[MemberSearchForm, str, bool]:
    """The list's filters (search text, include members who left), from the query or a form post."""
    search = MemberSearchForm(data or None)
    if search.is_valid():
        return search, search.cleaned_data["q"], search.cleaned_data["left"]
    return search, "", False


@staff_required
def member_detail(request, pk: int):
    member = _member_or_404(request, pk)
    return _render_detail(request, member)


def _render_detail(request, member, revealed: str | None = None):
    context = {
        "member": member,
        "timeline": member_timeline(user=request.user, member=member),
        "periods": member_periods(user=request.user, member=member),
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


# ---------------------------------------------------------------------------------------------
# Export (导出) and import (批量导入)


@never_cache
@require_http_methods(["GET", "POST"])
@staff_required
def member_export_xlsx(request, code: str):
    """The list as the user sees it, as XLSX. GET: masked. POST (CSRF) with full=1: full ID numbers."""
    org = get_org_or_403(request, code)
    data = request.POST if request.method == "POST" else request.GET
    _, text, include_left = _search(data)
    unmasked = request.method == "POST" and data.get("full") == "1"
    if export_needs_background(actor=request.user, org=org, text=text, include_left=include_left) is not None:
        try:
            job = export_job_create(actor=request.user, org=org, text=text, include_left=include_left,
                                    unmasked=unmasked, language=request.LANGUAGE_CODE)  # PermissionDenied → 403
        except ValidationError:
            pass  # a filter that is not stored with a job (matches nobody anyway): stream it
        else:
            return redirect("staff:export_job", pk=job.pk)
    handle = written(lambda out: member_export(actor=request.user, org=org, target=out, text=text,
                                               include_left=include_left, unmasked=unmasked))  # PermissionDenied → 403
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    suffix = "-完整身份证号" if unmasked else ""
    return attachment(handle, filename=f"会员名册-{org.code}-{stamp}{suffix}.xlsx")


@never_cache
@staff_required
def export_job_page(request, pk: int):
    """A long export: progress while it is written (htmx polls the partial), then the download."""
    job = export_job_get(user=request.user, pk=pk)
    if job is None:
        raise Http404("No such export of yours.")
    context = {"job": job, "org": job.org}
    if request.htmx and request.htmx.target == "export-job":
        return render(request, "staff/exports/_job.html", context)
    return render_staff(request, "staff/exports/job.html", context, org=job.org, section="members")


@never_cache
@require_GET
@staff_required
def export_job_file(request, pk: int):
    job = export_job_get(user=request.user, pk=pk)
    handle = export_job_download(actor=request.user, job=job) if job is not None else None
    if handle is None:
        raise Http404("This export has no workbook (any more).")
    stamp = timezone.localtime(job.finished_at).strftime("%Y%m%d-%H%M")
    suffix = "-完整身份证号" if job.unmasked else ""
    return attachment(handle, filename=f"会员名册-{job.org.code}-{stamp}{suffix}.xlsx")


@require_GET
@staff_required
def import_template(request):
    """The roster template (模板): headers, a sample row, lists for 是/否 and 群体."""
    buffer = io.BytesIO()
    write_template(buffer)
    buffer.seek(0)
    return FileResponse(buffer, as_attachment=True, filename="会员名册导入模板.xlsx", content_type=XLSX)


@staff_required
def member_import(request, code: str):
    """Upload a roster file; the import runs in the background and the job page follows it."""
    org = get_org_or_403(request, code, Perm.MANAGE)
    form = RosterUploadForm(request.POST or None, request.FILES or None, max_mb=settings.ROSTER_UPLOAD_MAX_MB)
    if request.method == "POST" and form.is_valid():
        job = import_job_create(actor=request.user, org=org, upload=form.cleaned_data["file"],
                                dry_run=form.cleaned_data["dry_run"], valid_only=form.cleaned_data["valid_only"],
                                language=request.LANGUAGE_CODE)
        return redirect("staff:import_job", pk=job.pk)
    context = {"org": org, "form": form, "jobs": import_job_list(user=request.user, org=org),
               "max_mb": settings.ROSTER_UPLOAD_MAX_MB}
    return render_staff(request, "staff/imports/upload.html", context, org=org, section="members")


def _job_or_404(request, pk: int):
    job = import_job_get(user=request.user, pk=pk)
    if job is None:
        raise Http404("No such import job for you.")
    return job


@never_cache
@staff_required
def import_job_page(request, pk: int):
    """Progress while the job waits or runs (htmx polls the partial every second), then the outcome."""
    job = _job_or_404(request, pk)
    context = {"job": job, "progress": import_job_progress(job=job), "org": job.org,
               "errors": import_job_report_errors(job=job)}
    if request.htmx and request.htmx.target == "import-job":
        return render(request, "staff/imports/_job.html", context)
    return render_staff(request, "staff/imports/job.html", context, org=job.org, section="members")


@never_cache
@staff_required
def import_job_errors(request, pk: int):
    """The error workbook (错误清单) of a finished job: every bad row with its line and reason."""
    job = _job_or_404(request, pk)
    if not job.errors_file:
        raise Http404("This import has no error list.")
    return attachment(job.errors_file.open("rb"), filename=f"错误清单-{job.pk}-{job.filename.rsplit('.', 1)[0]}.xlsx")
