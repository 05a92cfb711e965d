"""Workbench pages of requests: join approvals (入会审批), transfers (会员转移) and leaving (退会).

Queues are org-level pages and single requests are objects: both answer 404 outside the user's
subtree. Deciding needs manage on the receiving union; the services check it.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from gonghui.core.scope import Perm
from gonghui.members.models import JoinStatus, TransferStatus
from gonghui.members.request_forms import LeaveForm, ReasonForm, TransferRequestForm
from gonghui.members.selectors import (
    DIRECTIONS,
    join_get,
    join_queue,
    member_get,
    transfer_get,
    transfer_queue,
    transfer_sides,
)
from gonghui.members.services import (
    join_approve,
    join_refuse,
    member_leave,
    transfer_approve,
    transfer_cancel,
    transfer_object,
    transfer_refuse,
    transfer_release,
    transfer_request,
)
from gonghui.workbench.access import can, get_org_or_403, render_staff, staff_required


def _paged(request, queryset):
    return Paginator(queryset, settings.PAGE_SIZE).get_page(request.GET.get("page"))


def _choice(value: str | None, allowed, default: str) -> str:
    return value if value in allowed else default


def _errors(exc: ValidationError) -> str:
    return " ".join(exc.messages)


# --- 入会审批 -----------------------------------------------------------------------------------


@staff_required
def join_queue_page(request, code: str):
    org = get_org_or_403(request, code)
    status = _choice(request.GET.get("status"), JoinStatus.values, JoinStatus.PENDING)
    context = {"org": org, "status": status, "statuses": JoinStatus.choices,
               "page": _paged(request, join_queue(user=request.user, org=org, status=status))}
    return render_staff(request, "staff/joins/list.html", context, org=org, section="joins")


def _join_or_404(request, pk: int):
    application = join_get(user=request.user, pk=pk)
    if application is None:
        raise Http404("No such application in your subtree.")
    return application


def _render_join(request, application, refuse_form=None, status=200):
    context = {"application": application, "refuse_form": refuse_form or ReasonForm(),
               "may_decide": application.status == JoinStatus.PENDING
               and can(request, Perm.MANAGE, application.org_path)}
    return render_staff(request, "staff/joins/detail.html", context, org=application.org, section="joins",
                        status=status)


@staff_required
def join_detail(request, pk: int):
    return _render_join(request, _join_or_404(request, pk))


@require_POST
@staff_required
def join_approve_view(request, pk: int):
    application = _join_or_404(request, pk)
    try:
        member = join_approve(actor=request.user, application=application)  # PermissionDenied → 403
    except ValidationError as exc:
        messages.error(request, _errors(exc))
        return redirect("staff:join", pk=pk)
    messages.success(request, _("%(name)s is now a member of %(org)s; card number %(card)s.")
                     % {"name": member.name, "org": member.org.name, "card": member.card_number})
    return redirect("staff:join", pk=pk)


@require_POST
@staff_required
def join_refuse_view(request, pk: int):
    application = _join_or_404(request, pk)
    form = ReasonForm(request.POST)
    if form.is_valid():
        try:
            join_refuse(actor=request.user, application=application, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The application was refused; the applicant sees your reason."))
            return redirect("staff:join", pk=pk)
    return _render_join(request, application, refuse_form=form, status=422)


# --- 会员转移 -----------------------------------------------------------------------------------


@staff_required
def transfer_queue_page(request, code: str):
    org = get_org_or_403(request, code)
    direction = _choice(request.GET.get("direction"), DIRECTIONS, "in")
    status = _choice(request.GET.get("status"), TransferStatus.values, TransferStatus.PENDING)
    page = _paged(request, transfer_queue(user=request.user, org=org, direction=direction, status=status))
    transfer_sides(user=request.user, transfers=page.object_list)
    context = {"org": org, "direction": direction, "status": status, "statuses": TransferStatus.choices,
               "page": page, "may_manage": can(request, Perm.MANAGE, org.path)}
    return render_staff(request, "staff/transfers/list.html", context, org=org, section="transfers")


@sensitive_post_parameters("id_number")
@staff_required
def transfer_new(request, code: str):
    org = get_org_or_403(request, code, Perm.MANAGE)
    form = TransferRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            transfer = transfer_request(actor=request.user, org=org, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            if transfer.released_at is None:
                messages.success(request, _("The transfer request was recorded and the union the person is in was "
                                            "told; once it agrees you can approve it here."))
            else:
                messages.success(request, _("The transfer request was recorded; approve it here when the person "
                                            "has started with you."))
            return redirect("staff:transfer", pk=transfer.pk)
    return render_staff(request, "staff/transfers/new.html", {"org": org, "form": form}, org=org,
                        section="transfers")


def _transfer_or_404(request, pk: int):
    transfer = transfer_get(user=request.user, pk=pk)
    if transfer is None:
        raise Http404("No such transfer in your subtree.")
    transfer_sides(user=request.user, transfers=[transfer])
    return transfer


def _render_transfer(request, transfer, refuse_form=None, status=200):
    pending = transfer.status == TransferStatus.PENDING
    context = {"transfer": transfer, "refuse_form": refuse_form or ReasonForm(),
               "may_decide": pending and transfer.may_decide, "may_release": transfer.may_release,
               "may_cancel": pending and transfer.requested_by_id == request.user.pk}
    org = transfer.to_org if can(request, Perm.READ, transfer.to_path) else transfer.from_org
    return render_staff(request, "staff/transfers/detail.html", context, org=org, section="transfers",
                        status=status)


@staff_required
def transfer_detail(request, pk: int):
    return _render_transfer(request, _transfer_or_404(request, pk))


@require_POST
@staff_required
def transfer_decide(request, pk: int, decision: str):
    transfer = _transfer_or_404(request, pk)
    if decision == "refuse":
        form = ReasonForm(request.POST)
        if not form.is_valid():
            return _render_transfer(request, transfer, refuse_form=form, status=422)
        act, done = (lambda: transfer_refuse(actor=request.user, transfer=transfer,
                                             reason=form.cleaned_data["reason"]),
                     _("The transfer was refused."))
    elif decision == "object":
        form = ReasonForm(request.POST)
        if not form.is_valid():
            return _render_transfer(request, transfer, refuse_form=form, status=422)
        act, done = (lambda: transfer_object(actor=request.user, transfer=transfer,
                                             reason=form.cleaned_data["reason"]),
                     _("You objected; the member stays in your union."))
    elif decision == "release":
        act, done = (lambda: transfer_release(actor=request.user, transfer=transfer),
                     _("You agreed; the receiving union can now approve the transfer."))
    elif decision == "approve":
        act, done = (lambda: transfer_approve(actor=request.user, transfer=transfer),
                     _("%(name)s now belongs to %(org)s.") % {"name": transfer.member.name,
                                                              "org": transfer.to_org.name})
    else:
        act, done = (lambda: transfer_cancel(actor=request.user, transfer=transfer),
                     _("The transfer request was withdrawn."))
    try:
        act()
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, done)
    return redirect("staff:transfer", pk=pk)


# --- 退会 ---------------------------------------------------------------------------------------


@staff_required
def member_leave_view(request, pk: int):
    member = member_get(user=request.user, pk=pk)
    if member is None:
        raise Http404("No such member in your subtree.")
    if not can(request, Perm.MANAGE, member.org_path):
        raise PermissionDenied("Your role cannot record members leaving in this union.")
    form = LeaveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            member_leave(actor=request.user, member=member, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("%(name)s has left the union; the record and its history are kept.")
                             % {"name": member.name})
            return redirect("staff:member", pk=pk)
    return render_staff(request, "staff/members/leave.html", {"member": member, "form": form}, org=member.org,
                        section="members")
