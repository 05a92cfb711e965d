"""Member pages of mutual aid (甬工惠), under /aid/ (names portal:mutualaid:…): my cover, my payouts
with the rule applied step by step, filing a claim with its documents, following a claim."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from gonghui.core.scope import is_staff_user
from gonghui.members.selectors import member_of_user
from gonghui.mutualaid import selectors, services
from gonghui.mutualaid.forms import ClaimForm
from gonghui.mutualaid.models import Relation
from gonghui.mutualaid.views import _reason, plan_rules, serve_document

# Every page of the module highlights the same tab of the bottom bar: 首页, whose grid leads here
# (办事 is the portal's own list of the worker's matters).
TAB = "home"


def _context(request, **extra) -> dict:
    user = request.user
    return {"tab": TAB, "is_cadre": user.is_authenticated and is_staff_user(user), **extra}


@login_required
def cover(request):
    """我的保障: this year's cover with what is left of the yearly cap, my claims and payouts."""
    member = member_of_user(user=request.user)
    context = _context(request, member=member)
    if member is not None:
        cover_rows = selectors.cover_of_member(member=member)
        for row in cover_rows:
            cap = row["plan"].yearly_cap
            row["used_percent"] = int(row["paid"] * 100 / cap) if cap else 0
        context.update(cover=cover_rows, claims=selectors.claims_of_member(member=member)[:20],
                       payouts=selectors.payouts_of_member(member=member)[:20],
                       may_claim=any(row["current"] for row in cover_rows))
    return render(request, "mutualaid/portal/cover.html", context)


@login_required
def payout_detail(request, pk: int):
    payout = selectors.payout_get(user=request.user, pk=pk)
    if payout is None or payout.member.user_id != request.user.pk:
        raise Http404("No such payout of yours.")
    context = _context(request, payout=payout, explanation=selectors.payout_explanation(payout=payout),
                       rules=plan_rules(payout.plan))
    return render(request, "mutualaid/portal/payout.html", context)


@sensitive_post_parameters("patient_id_number")
@login_required
def claim_new(request):
    """申请互助金: the stay, the amounts from the settlement slip, photos or PDFs of the documents."""
    member = member_of_user(user=request.user)
    if member is None:
        return redirect("portal:mutualaid:cover")
    enrolments = [row["enrolment"] for row in selectors.cover_of_member(member=member) if row["current"]]
    form = ClaimForm(request.POST or None, request.FILES or None, enrolments=enrolments)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        enrolment = form.enrolments[data["enrolment"]]
        relation = data["relation"]
        try:
            claim = services.claim_file(
                actor=request.user, member=member, hospital=data["hospital"], admitted_on=data["admitted_on"],
                discharged_on=data["discharged_on"], total_cost=data["total_cost"], fund_paid=data["fund_paid"],
                self_pay_in=data["self_pay_in"], self_pay_out=data["self_pay_out"], product=enrolment.plan.product,
                relation=relation, patient_name=data["patient_name"] if relation != Relation.SELF else "",
                patient_id_number=data["patient_id_number"] if relation != Relation.SELF else "",
                documents=list(form.documents().items()))
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.error_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                form.add_error(None, exc)
        else:
            messages.success(request, _("Your claim was sent. The union reviews it; you can follow it here."))
            return redirect("portal:mutualaid:claim", pk=claim.pk)
    status = 422 if request.method == "POST" else 200
    return render(request, "mutualaid/portal/claim_form.html",
                  _context(request, member=member, form=form, enrolments=enrolments), status=status)


def _own_claim(request, pk: int):
    claim = selectors.claim_get(user=request.user, pk=pk)
    if claim is None or claim.member.user_id != request.user.pk:
        raise Http404("No such claim of yours.")
    return claim


@login_required
def claim_detail(request, pk: int):
    claim = _own_claim(request, pk)
    payout = getattr(claim, "payout", None) if claim.status == "approved" else None
    context = _context(request, claim=claim, documents=selectors.claim_documents(claim=claim), payout=payout,
                       explanation=selectors.payout_explanation(payout=payout) if payout else None,
                       reason_label=_reason(claim.reason_code), today=timezone.localdate())
    return render(request, "mutualaid/portal/claim.html", context)


@require_POST
@login_required
def claim_withdraw(request, pk: int):
    claim = _own_claim(request, pk)
    try:
        services.claim_withdraw(actor=request.user, claim=claim)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("You withdrew the claim."))
    return redirect("portal:mutualaid:claim", pk=pk)


@never_cache
@login_required
def document(request, pk: int):
    """A document of one's own claim (the selector checks who may see it)."""
    return serve_document(request, pk)


def claims_in_progress(*, user) -> list:
    """The member's mutual-aid claims for 办事: the open ones and those decided in the last 90 days."""
    member = member_of_user(user=user)
    if member is None:
        return []
    since = timezone.now() - dt.timedelta(days=90)
    return [c for c in selectors.claims_of_member(member=member)[:20]
            if c.status == "submitted" or (c.reviewed_at or c.filed_at) >= since]
