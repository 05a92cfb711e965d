"""Workbench pages of hardship help (困难职工帮扶), under /staff/hardship/ (names staff:assistance:…).

Form in, service or selector out, template. The module works for the current union of the workbench
(the switcher, or ``?org=CODE``); org-level pages answer 403 outside the subtree, single objects 404.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _, gettext_lazy as _l, pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from gonghui.assistance import rules, selectors, services, texts
from gonghui.assistance.forms import (
    DocumentForm,
    FileFilter,
    FileForMemberForm,
    ObjectionForm,
    ProgrammeForm,
    ReasonForm,
    RefuseForm,
    VisitForm,
)
from gonghui.assistance.models import (
    FileDocument,
    FileStatus,
    Grade,
    Grant,
    GrantStatus,
    HardshipFile,
    Visit,
)
from gonghui.assistance.stats import in_force_q
from gonghui.core import audit
from gonghui.core.exports import XLSX, Sheet, attachment, export_bytes
from gonghui.core.paths import subtree_q
from gonghui.core.scope import Perm
from gonghui.stats.activity import period_figures
from gonghui.workbench.access import can, current_org, get_org_or_403, render_staff, staff_required
from gonghui.workbench.charts import wan

SECTION = "assistance"


def _org(request, perm: Perm = Perm.READ):
    code = request.GET.get("org") or request.POST.get("org")
    org = get_org_or_403(request, code, perm) if code else current_org(request)
    if org is None:
        raise Http404("No union to work for.")
    if not code and perm != Perm.READ and not can(request, perm, org.path):
        raise PermissionDenied("Your role cannot do this for this union.")
    return org


def _page(request, template: str, context: dict, *, org, tab: str, status: int = 200):
    return render_staff(request, template, {**context, "hs_tab": tab}, org=org, section=SECTION, status=status)


def _errors(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return " ".join(m for messages_ in exc.message_dict.values() for m in messages_)
    return " ".join(exc.messages)


@staff_required
def home(request):
    org = _org(request)
    today = timezone.localdate()
    start = dt.date(today.year, 1, 1)
    figures = period_figures(org.path, start, today)
    in_force = HardshipFile.objects.filter(subtree_q(org.path, "org_path"), in_force_q(today)).count()
    families, times = pgettext("unit", "households"), pgettext("unit", "person-times")
    wan_yuan = pgettext("unit", "ten-thousand yuan")
    kpis = [
        {"key": "hardship_files", "label": _("Files in force"), "value": in_force, "unit": families,
         "icon": "folder2-open"},
        {"key": "hardship_filed", "label": _("Filed this year"), "value": figures["hardship_filed"], "unit": families,
         "icon": "house-heart"},
        {"key": "hardship_visits", "label": _("Visited this year"), "value": figures["hardship_visits"],
         "unit": times, "icon": "door-open"},
        {"key": "assistance_paid_amount", "label": _("Help paid this year"),
         "value": wan(figures["assistance_paid_amount"]), "unit": wan_yuan, "icon": "wallet2"},
        {"key": "hardship_lifted_out", "label": _("Lifted out this year"), "value": figures["hardship_lifted_out"],
         "unit": families, "icon": "graph-up-arrow"},
    ]
    standard, since = selectors.standard_for(org.path, today)
    context = {"org": org, "kpis": kpis, "queue": selectors.work_queue(request.user, today), "standard": standard,
               "standard_since": since, "may_manage": can(request, Perm.MANAGE, org.path), "year": today.year}
    return _page(request, "assistance/staff/home.html", context, org=org, tab="home")


@require_POST
@staff_required
def standard_set_view(request):
    org = _org(request, Perm.MANAGE)
    try:
        day = dt.date.fromisoformat(request.POST.get("effective_from") or "")
    except ValueError:
        messages.error(request, _("Enter a date."))
        return redirect("staff:assistance:home")
    try:
        services.standard_set(actor=request.user, org=org, amount=request.POST.get("amount"), effective_from=day)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, _("The 低保 standard was saved. Gradings already made keep theirs."))
    return redirect("staff:assistance:home")


def _file_rows(request, org, data):
    qs = selectors.file_list(request.user, status=data.get("status") or "", grade=data.get("grade") or "",
                             q=data.get("q") or "", queue=data.get("queue") or "")
    return qs.filter(subtree_q(org.path, "org_path"))


@staff_required
def file_list_page(request):
    org = _org(request)
    form = FileFilter(request.GET or None)
    data = form.cleaned_data if form.is_bound and form.is_valid() else {}
    qs = _file_rows(request, org, data)
    if request.GET.get("format") == "xlsx":
        rows = [(f.member.name, f.member.id_masked, f.org.name, f.get_grade_display(), f.get_status_display(),
                 f.applied_on, f.filed_on, f.review_due) for f in qs[:50000]]
        content = export_bytes(actor=request.user, action="hardship.file_export", org_path=org.path,
                               sheets=Sheet("困难职工档案", ["姓名", "身份证号", "工会", "困难类别", "状态", "申请日期",
                                                       "建档日期", "复核日期"], rows), data=dict(data))
        return attachment(content, filename="困难职工档案.xlsx", content_type=XLSX)
    page = Paginator(qs, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    query = "&".join(f"{k}={v}" for k, v in data.items() if v)
    return _page(request, "assistance/staff/files.html", {"org": org, "form": form, "page": page, "query": query},
                 org=org, tab="files")


@staff_required
def file_new(request):
    org = _org(request, Perm.MANAGE)
    form = FileForMemberForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        member = selectors.member_by_id_number(request.user, form.cleaned_data["id_number"])
        if member is None:
            form.add_error("id_number", _("No member of your unions has this ID number: only members can be filed."))
        else:
            kind = form.cleaned_data["document_kind"]
            try:
                f = services.file_apply(actor=request.user, member=member, cause=form.cleaned_data["cause"],
                                        documents=[(kind, d) for d in form.cleaned_data["documents"]],
                                        **form.figures())
            except ValidationError as exc:
                form.add_error(None, _errors(exc))
            else:
                messages.success(request, _("The file was opened: %(grade)s.") % {"grade": f.get_grade_display()})
                return redirect("staff:assistance:file", pk=f.pk)
    return _page(request, "assistance/staff/file_new.html", {"org": org, "form": form},
                 org=org, tab="files", status=422 if form.errors else 200)


def _file_context(request, f: HardshipFile, **forms) -> dict:
    today = timezone.localdate()
    may_manage = can(request, Perm.MANAGE, f.org_path)
    may_reveal = can(request, Perm.REVEAL, f.org_path)
    gradings = list(f.gradings.all())
    incomes = selectors.incomes_of(f)
    standards = selectors.standards_by_month(f.org_path, list(rules.months(today, rules.LIFT_OUT_MONTHS)))
    context = {
        "file": f, "member": f.member, "household": list(f.household.order_by("pk")),
        "gradings": [(g, texts.explain(g.working)) for g in gradings] if may_reveal else [],
        "current": gradings[0] if gradings else None, "may_manage": may_manage, "may_reveal": may_reveal,
        "may_approve": selectors.may_approve(request.user, f) and f.filed_by_id != request.user.pk,
        "documents": list(f.documents.all()), "objections": list(f.objections.all()),
        "approvals": list(f.approvals.select_related("approver")), "visits": list(f.visits.order_by("-visited_on")),
        "incomes": sorted(incomes.items(), reverse=True)[:12], "grants": list(selectors.grants_of_file(f)),
        "months_above": rules.months_above(incomes, standards, today),
        "notice_over": f.notice_end is not None and today > f.notice_end,
        "timeline": list(audit.history(f)), "revealed": None,
        "visit_form": forms.get("visit_form") or VisitForm(initial={"visited_on": today}),
        "refuse_form": forms.get("refuse_form") or RefuseForm(), "objection_form": ObjectionForm(),
        "reason_form": ReasonForm(), "document_form": forms.get("document_form") or DocumentForm(),
        "today": today,
    }
    context["ratio"] = rules.ratio(f.per_capita, f.standard) if f.per_capita is not None and f.standard else None
    return context


@staff_required
def file_detail(request, pk: int):
    f = selectors.file_get(request.user, pk)
    return _page(request, "assistance/staff/file.html", _file_context(request, f), org=f.org, tab="files")


@require_POST
@staff_required
def file_reveal_view(request, pk: int):
    f = selectors.file_get(request.user, pk)
    revealed = services.file_reveal(actor=request.user, file=f)  # PermissionDenied → 403
    context = _file_context(request, f)
    context["revealed"] = revealed
    return _page(request, "assistance/staff/file.html", context, org=f.org, tab="files")


ACTIONS = {
    "notice": (lambda r, f, d: services.file_start_notice(actor=r.user, file=f), None,
               _l("The public notice has started.")),
    "approve": (lambda r, f, d: services.file_approve(actor=r.user, file=f), None, _l("Your approval was recorded.")),
    "object": (lambda r, f, d: services.file_object(actor=r.user, file=f, **d), ObjectionForm,
               _l("The objection was recorded.")),
    "refuse": (lambda r, f, d: services.file_refuse(actor=r.user, file=f, **d), RefuseForm,
               _l("The application was refused; the worker sees the reason.")),
    "visit": (lambda r, f, d: services.visit_record(actor=r.user, file=f, **d), VisitForm, _l("The visit was recorded.")),
    "lift_out": (lambda r, f, d: services.file_lift_out(actor=r.user, file=f, **d), ReasonForm,
                 _l("The family was lifted out of hardship.")),
    "relieve": (lambda r, f, d: services.file_relieve(actor=r.user, file=f, **d), ReasonForm,
                _l("The family was handed to government support (解困).")),
    "pause": (lambda r, f, d: services.file_pause(actor=r.user, file=f, **d), ReasonForm, _l("The file was paused.")),
    "resume": (lambda r, f, d: services.file_resume(actor=r.user, file=f), None, _l("The file is active again.")),
}


@require_POST
@staff_required
def file_action(request, pk: int, action: str):
    f = selectors.file_get(request.user, pk)
    if action == "documents":
        form = DocumentForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.file_add_documents(actor=request.user, file=f, documents=[
                    (form.cleaned_data["kind"], d) for d in form.cleaned_data["documents"]])
            except ValidationError as exc:
                messages.error(request, _errors(exc))
            else:
                messages.success(request, _("The documents were added."))
        else:
            messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
        return redirect("staff:assistance:file", pk=f.pk)
    if action not in ACTIONS:
        raise Http404
    call, form_class, done = ACTIONS[action]
    data = {}
    if form_class is not None:
        form = form_class(request.POST)
        if not form.is_valid():
            messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
            return redirect("staff:assistance:file", pk=f.pk)
        data = {k: v for k, v in form.cleaned_data.items()}
    try:
        call(request, f, data)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, str(done))
    return redirect("staff:assistance:file", pk=f.pk)


@never_cache
@staff_required
def document_download(request, pk: int):
    doc = FileDocument.objects.filter(pk=pk).select_related("file").first()
    if doc is None or not can(request, Perm.READ, doc.file.org_path):
        raise Http404
    return FileResponse(doc.upload.open("rb"), as_attachment=True, filename=doc.filename,
                        content_type=doc.content_type)


@staff_required
def programme_list_page(request):
    org = _org(request)
    may_manage = can(request, Perm.MANAGE, org.path)
    form = ProgrammeForm(request.POST or None, initial={"cycle": timezone.localdate().year})
    if request.method == "POST":
        if not may_manage:
            raise PermissionDenied
        if form.is_valid():
            try:
                p = services.programme_create(actor=request.user, org=org, **form.fields_for_service())
            except ValidationError as exc:
                form.add_error(None, _errors(exc))
            else:
                messages.success(request, _("The programme was added."))
                return redirect("staff:assistance:programme", pk=p.pk)
    programmes = selectors.programmes_for(request.user).filter(subtree_q(org.path, "org_path")).select_related("org")
    return _page(request, "assistance/staff/programmes.html",
                 {"org": org, "form": form, "programmes": programmes[:100], "may_manage": may_manage},
                 org=org, tab="help", status=422 if form.errors else 200)


@staff_required
def programme_detail(request, pk: int):
    p = selectors.programme_get(request.user, pk)
    may_manage = can(request, Perm.MANAGE, p.org_path)
    helped = set(Grant.objects.filter(kind=p.kind, cycle=p.cycle).exclude(status=GrantStatus.CANCELLED)
                 .values_list("file_id", flat=True))
    candidates = [f for f in selectors.files_for(request.user, Perm.MANAGE)
                  .filter(subtree_q(p.org_path, "org_path"), status=FileStatus.ACTIVE)
                  .select_related("member", "org").order_by("org_path", "pk")[:500] if f.pk not in helped]
    if request.method == "POST":
        if not may_manage:
            raise PermissionDenied
        ids = request.POST.getlist("file")
        lines = [{"file": i, "amount": request.POST.get(f"amount_{i}") or None,
                  "students": request.POST.get(f"students_{i}") or 0} for i in ids]
        try:
            dl = services.disbursement_create(actor=request.user, programme=p, lines=lines,
                                              idempotency_key=request.POST.get("key", ""))
        except ValidationError as exc:
            messages.error(request, _errors(exc))
        else:
            messages.success(request, _("The list was drafted: %(n)d families.") % {"n": dl.grants.count()})
            return redirect("staff:assistance:list", pk=dl.pk)
        return redirect("staff:assistance:programme", pk=p.pk)
    lists = p.disbursements.order_by("-pk")
    return _page(request, "assistance/staff/programme.html",
                 {"org": p.org, "programme": p, "candidates": candidates, "lists": lists, "may_manage": may_manage,
                  "key": uuid.uuid4().hex, "grades": dict(Grade.choices)}, org=p.org, tab="help")


@staff_required
def list_detail(request, pk: int):
    dl = selectors.disbursement_get(request.user, pk)
    grants = dl.grants.select_related("member", "file").order_by("pk")
    return _page(request, "assistance/staff/list.html",
                 {"org": dl.org, "list": dl, "grants": grants, "may_manage": can(request, Perm.MANAGE, dl.org_path)},
                 org=dl.org, tab="help")


@require_POST
@staff_required
def list_action(request, pk: int, action: str):
    dl = selectors.disbursement_get(request.user, pk)
    try:
        if action == "approve":
            services.disbursement_approve(actor=request.user, disbursement=dl)
            messages.success(request, _("The list was approved; its total is taken from the budget."))
        elif action == "pay":
            failed = {int(k.removeprefix("fail_")): v for k, v in request.POST.items()
                      if k.startswith("fail_") and v.strip()}
            n = services.disbursement_pay(actor=request.user, disbursement=dl, failed=failed,
                                          method=request.POST.get("method") or Grant.Method.BANK)
            messages.success(request, _("%(n)d lines marked paid.") % {"n": n})
        elif action == "retry":
            g = Grant.objects.filter(disbursement=dl, pk=request.POST.get("grant") or 0).first()
            if g is None:
                raise Http404
            services.grant_retry(actor=request.user, grant=g)
            messages.success(request, _("The payment goes again."))
        else:
            raise Http404
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    return redirect("staff:assistance:list", pk=dl.pk)


@staff_required
def visit_list_page(request):
    org = _org(request)
    visits = (Visit.objects.filter(subtree_q(org.path, "org_path")).select_related("file__member", "file__org")
              .order_by("-visited_on", "-pk"))
    page = Paginator(visits, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    return _page(request, "assistance/staff/visits.html", {"org": org, "page": page}, org=org, tab="visits")


@staff_required
def notice_page(request):
    org = _org(request)
    board = [(texts.mask_name(f.member.name), f) for f in selectors.notice_board(org.path)[:200]]
    return _page(request, "assistance/staff/notices.html", {"org": org, "board": board}, org=org, tab="notices")

