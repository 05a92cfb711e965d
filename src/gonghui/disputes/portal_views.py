"""Member pages of labour-dispute mediation (甬工惠 → 劳动争议调解), under /disputes/.

A worker applies, gets a case number, follows where the case stands and what comes next, sees the
agreement and the payments, asks for legal aid, withdraws, and rates the service. Only the
applicant's own cases are shown here (another person's case answers 404).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from gonghui.core.scope import is_staff_user
from gonghui.disputes import selectors, services, states
from gonghui.disputes.forms import (
    LegalAidForm,
    MemberApplicationForm,
    ReasonForm,
    SatisfactionForm,
    apply_errors,
    claim_formset,
)
from gonghui.disputes.models import Case, ClaimKind, LegalAidState, State
from gonghui.disputes.views import agreement_context, attachment_response
from gonghui.members.selectors import join_districts, member_of_user

# Where a case stands, as the five steps the worker sees.
STEPS = ("received", "room", "mediation", "agreement", "done")
STEP_OF_STATE = {
    State.INTAKE: 0, State.TRIAGED: 1, State.MEDIATING: 2, State.SETTLED: 3, State.UNPAID: 3,
    State.PAID: 4, State.FAILED: 2, State.REFERRED: 4, State.HANDED_ON: 1, State.CLOSED: 4,
}


# Every page of the module highlights the same tab of the bottom bar: 首页, whose grid leads here
# (办事 is the portal's own list of the worker's matters).
TAB = "home"


def _context(request, **extra) -> dict:
    user = request.user
    return {"tab": TAB, "member": member_of_user(user=user),
            "is_cadre": user.is_authenticated and is_staff_user(user), **extra}


def _own_case_or_404(request, pk: int) -> Case:
    case = selectors.case_get(user=request.user, pk=pk)
    if case is None or not selectors.is_applicant(request.user, case):
        raise Http404("No such case of yours.")
    return case


def my_cases_of(user):
    """The worker's own cases, newest first (also listed in 办事)."""
    return selectors.case_list(user=user, mine=True)


def my_cases(request):
    """The module's member page: what mediation is, the button to apply, the worker's cases."""
    cases = list(my_cases_of(request.user)) if request.user.is_authenticated else []
    for case in cases:
        case.step = STEP_OF_STATE.get(case.state, 0)
    return render(request, "disputes/portal/list.html", _context(request, cases=cases, steps=STEPS))


def _district_of(member):
    if member is None:
        return ""
    district = selectors.district_path(member.org_path)
    for org in join_districts():
        if org.path == district:
            return org.code
    return ""


@never_cache
@sensitive_post_parameters("id_number", "phone")
@login_required
def apply(request):
    """Apply for mediation: who, the employer, what is claimed with amounts, dates, documents."""
    member = member_of_user(user=request.user)
    districts = join_districts()
    initial = {"district": _district_of(member)}
    if member is not None:
        initial.update(applicant_name=member.name, employer_name=member.employer)
    form = MemberApplicationForm(request.POST or None, request.FILES or None, districts=districts, member=member,
                                 initial=initial)
    claims = claim_formset(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid() and claims.is_valid():
            org = next((d for d in districts if d.code == form.cleaned_data["district"]), None)
            case = _open(request, org, form, claims) if org is not None else None
            if case is not None:
                messages.success(request, _("Your application was received. Your case number is %(number)s; the "
                                            "union will contact you.") % {"number": case.number})
                return redirect("portal:disputes:case", pk=case.pk)
    context = _context(request, form=form, claims=claims)
    return render(request, "disputes/portal/apply.html", context, status=status)


def _open(request, org, form, claims):
    fields = form.service_fields()
    try:
        case = services.case_open(actor=request.user, org=org, channel="online", claims=claims.lines(),
                                  documents=form.cleaned_data.get("attachments") or [], **fields)
    except ValidationError as exc:
        apply_errors(form, exc, {"claims": "__all__", "file": "attachments"})
        return None
    return case


def _render_case(request, case: Case, *, satisfaction_form=None, aid_form=None, withdraw_form=None, status=200):
    today = timezone.localdate()
    allowed = set(states.allowed_actions(case.state))
    has_satisfaction = Case.satisfaction.RelatedObjectDoesNotExist
    try:
        given = case.satisfaction
    except has_satisfaction:
        given = None
    agreement = getattr(case, "agreement", None) if _has(case, "agreement") else None
    deadlines = selectors.case_deadlines(case, today)
    labels = dict(ClaimKind.choices)
    open_aid = [a for a in case.legal_aid.all() if a.state in (LegalAidState.REQUESTED, LegalAidState.ACCEPTED)]
    context = _context(
        request, case=case, steps=STEPS, step=STEP_OF_STATE.get(case.state, 0),
        deadlines=deadlines, agreement=agreement, days_over=-deadlines.mediation.days_left,
        limitations=[(labels.get(kind, kind), lim) for kind, lim in deadlines.limitation.items()],
        referral=case.referral_in if _has(case, "referral_in") else None,
        open_for_mediation=case.state in states.OPEN_FOR_MEDIATION, satisfaction=given,
        may_rate=given is None and "satisfaction" in allowed,
        may_ask_aid="legal_aid" in allowed and not open_aid, may_withdraw="withdraw" in allowed,
        satisfaction_form=satisfaction_form or SatisfactionForm(), aid_form=aid_form or LegalAidForm(),
        withdraw_form=withdraw_form or ReasonForm(),
    )
    return render(request, "disputes/portal/case.html", context, status=status)


def _has(case: Case, relation: str) -> bool:
    try:
        getattr(case, relation)
    except Exception:  # RelatedObjectDoesNotExist
        return False
    return True


@login_required
def case_page(request, pk: int):
    return _render_case(request, _own_case_or_404(request, pk))


@require_POST
@login_required
def case_post(request, pk: int, action: str):
    """The worker's actions on their case: rate the service, ask for legal aid, withdraw."""
    case = _own_case_or_404(request, pk)
    if action == "legal_aid":
        form = LegalAidForm(request.POST)
        if form.is_valid():
            try:
                services.legal_aid_request(actor=request.user, case=case, request=form.cleaned_data["request"])
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("Your request for legal aid was sent; a lawyer of the mediation room "
                                            "will contact you."))
                return redirect("portal:disputes:case", pk=pk)
        return _render_case(request, case, aid_form=form, status=422)
    if action == "withdraw":
        form = ReasonForm(request.POST)
        if form.is_valid():
            try:
                services.case_withdraw(actor=request.user, case=case, reason=form.cleaned_data["reason"])
            except ValidationError as exc:
                apply_errors(form, exc)
            else:
                messages.success(request, _("You withdrew your application; the case is closed."))
                return redirect("portal:disputes:case", pk=pk)
        return _render_case(request, case, withdraw_form=form, status=422)
    form = SatisfactionForm(request.POST)
    if form.is_valid():
        try:
            services.satisfaction_give(actor=request.user, case=case, **form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Thank you for your rating."))
            return redirect("portal:disputes:case", pk=pk)
    return _render_case(request, case, satisfaction_form=form, status=422)


@login_required
def agreement_print(request, pk: int):
    case = _own_case_or_404(request, pk)
    if not _has(case, "agreement"):
        raise Http404("This case has no agreement.")
    return render(request, "disputes/agreement_print.html",
                  agreement_context(case, back=reverse("portal:disputes:case", kwargs={"pk": case.pk})))


@never_cache
@require_GET
@login_required
def attachment_download(request, pk: int):
    attachment = selectors.attachment_get(user=request.user, pk=pk)
    if attachment is None or not selectors.is_applicant(request.user, attachment.case):
        raise Http404("No such document of yours.")
    return attachment_response(attachment)
