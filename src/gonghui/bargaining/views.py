"""Workbench pages of collective bargaining (集体协商), under /staff/bargaining/.

Views hold no rules: a form shapes the input, a service decides and writes (and refuses with a
message), a selector reads within the user's reach. A round or contract out of reach answers 404,
and so does a union outside the subtree (``?org=``), like an unknown one.
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _, pgettext
from django.views.decorators.http import require_POST

from gonghui.bargaining import figures, selectors, services, words
from gonghui.bargaining.exports import contract_export
from gonghui.bargaining.forms import (
    ContractFilterForm,
    DayForm,
    ReasonForm,
    ReviewForm,
    RoundFilterForm,
    RoundOpenForm,
    SignForm,
    TerminateForm,
    VoteForm,
    apply_errors,
)
from gonghui.bargaining.models import Contract, ContractKind, Round, RoundState, Scope
from gonghui.bargaining.rules import ORDER, Step
from gonghui.core import audit
from gonghui.core.exports import attachment, written
from gonghui.orgs.selectors import OrgNotFound, OrgOutOfScope, org_get
from gonghui.workbench.access import current_org, get_org_or_403, render_staff, set_current_org, staff_required
from gonghui.workbench.charts import chart_spec

SECTION = "bargaining"
TIMELINE_LABELS = {
    "bargaining.round_open": lambda: _("Written offer recorded"),
    "bargaining.round_reply": lambda: _("Written reply recorded"),
    "bargaining.round_talks": lambda: _("Talks started"),
    "bargaining.round_vote": lambda: _("Vote on the draft recorded"),
    "bargaining.round_sign": lambda: _("Contract signed"),
    "bargaining.round_file": lambda: _("Filed with the labour bureau"),
    "bargaining.round_review": lambda: _("The bureau answered"),
    "bargaining.round_announce": lambda: _("Announced to the workers"),
    "bargaining.round_abandon": lambda: _("Round abandoned"),
    "bargaining.contract_signed": lambda: _("Contract signed"),
    "bargaining.contract_record": lambda: _("Contract recorded"),
    "bargaining.contract_terminate": lambda: _("Contract ended early"),
    "bargaining.export": lambda: pgettext("bargaining", "Exported"),
}
# The form of each step, with the date's label.
STEP_FORMS = {
    Step.REPLY: lambda: (DayForm, _("Reply date")),
    Step.TALKS: lambda: (DayForm, _("Talks date")),
    Step.VOTE: lambda: (VoteForm, None),
    Step.SIGN: lambda: (SignForm, None),
    Step.FILE: lambda: (DayForm, _("Filing date")),
    Step.REVIEW: lambda: (ReviewForm, None),
    Step.ANNOUNCE: lambda: (DayForm, _("Announcement date")),
}


def _today() -> dt.date:
    return timezone.localdate()


def _org(request):
    """The union the page shows: ?org=CODE (404 outside the subtree), else the current union."""
    code = request.GET.get("org")
    if code:
        org = get_org_or_403(request, code)
        set_current_org(request, org)
        return org
    return current_org(request)


def _render(request, template, context, *, org=None, tab="", status=200):
    context = {"tab": tab, "org": org, **context}
    return render_staff(request, template, context, org=org, section=SECTION, status=status)


def _paged(request, items):
    return Paginator(items, settings.PAGE_SIZE).get_page(request.GET.get("page"))


def _query(request) -> str:
    return urlencode([(k, v) for k, v in request.GET.items() if k != "page" and v])


def _round_or_404(request, pk: int) -> Round:
    row = selectors.round_get(user=request.user, pk=pk)
    if row is None:
        raise Http404("No such round within your reach.")
    return row


def _contract_or_404(request, pk: int) -> Contract:
    row = selectors.contract_get(user=request.user, pk=pk)
    if row is None:
        raise Http404("No such contract within your reach.")
    return row


def _standing_view(s: selectors.Standing) -> dict:
    waiting = s.waiting
    return {
        "round": s.round, "overdue": s.overdue, "calendar_known": s.calendar_known,
        "step": waiting.step if waiting else None,
        "step_label": words.STEPS[waiting.step] if waiting else "",
        "due": waiting.due if waiting else None,
        "period": words.PERIODS[waiting.step] if waiting else "",
        "consequence": words.CONSEQUENCES[waiting.consequence] if waiting else "",
    }


def _timeline(obj):
    entries = list(audit.history(obj, 100))
    for entry in entries:
        label = TIMELINE_LABELS.get(entry.action)
        entry.label = label() if label else entry.action
    return entries


# ------------------------------------------------------------------------------ home

def _cards(found: dict) -> list[dict]:
    return [
        {"key": "contracts_in_force", "label": _("Contracts in force"), "value": found["contracts_in_force"],
         "unit": pgettext("bargaining", "contracts"), "icon": "file-earmark-text"},
        {"key": "enterprises", "label": _("Enterprises with a contract"), "value": found["enterprises"],
         "unit": pgettext("bargaining", "enterprises"), "icon": "buildings"},
        {"key": "rate", "label": _("Bargaining rate"), "value": found["rate"], "unit": "%", "icon": "percent",
         "rate": True},
        {"key": "workers", "label": _("Workers covered"), "value": found["workers"], "unit": pgettext("bargaining", "people"),
         "icon": "people"},
        {"key": "skill_enterprises", "label": _("Skill-grade wage enterprises"), "value": found["skill_enterprises"],
         "unit": pgettext("bargaining", "enterprises"), "icon": "ladder"},
        {"key": "skill_workers", "label": _("Workers on skill-grade wages"), "value": found["skill_workers"],
         "unit": pgettext("bargaining", "people"), "icon": "person-workspace"},
    ]


@staff_required
def home(request):
    org = _org(request)
    if org is None:
        raise PermissionDenied("No union to show.")
    today = _today()
    found = figures.coverage(org.path, today)
    standings = selectors.open_standings(user=request.user, org=org, today=today)
    week = today + dt.timedelta(days=7)
    overdue = [s for s in standings if s.overdue]
    soon = [s for s in standings if not s.overdue and s.waiting and s.waiting.due and s.waiting.due <= week]
    rounds_url = reverse("staff:bargaining:rounds")
    contracts_url = reverse("staff:bargaining:contracts")
    queue = [
        {"key": "overdue", "label": _("Rounds past a legal deadline"), "count": len(overdue), "icon": "alarm",
         "alert": True, "url": f"{rounds_url}?overdue=on"},
        {"key": "this_week", "label": _("Deadlines in the next 7 days"), "count": len(soon), "icon": "calendar-week",
         "url": f"{rounds_url}?state=open"},
    ] + [
        {"key": f"expiring_{h}", "label": _("Contracts expiring within %(n)d days") % {"n": h},
         "count": found["expiring"][h], "icon": "hourglass-split", "url": f"{contracts_url}?expiring={h}"}
        for h in figures.EXPIRY_HORIZONS
    ]
    kinds = [(str(label), found["by_kind"][value]) for value, label in ContractKind.choices]
    charts = [chart_spec("bargaining-kinds", "pie", _("Contracts in force by kind"), kinds,
                         unit=pgettext("bargaining", "contracts"),
                         series=_("Contracts in force"))]
    return _render(request, "bargaining/staff/home.html", {
        "cards": _cards(found), "queue": queue, "found": found, "today": today, "charts": charts,
        "urgent": [_standing_view(s) for s in (overdue + soon)[:10]],
        "may_manage": selectors.can_manage(request.user, org.path),
    }, org=org, tab="home")


# ------------------------------------------------------------------------------ rounds

@staff_required
def rounds(request):
    org = _org(request)
    today = _today()
    form = RoundFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    if data.get("overdue") and org is not None:
        items = [s for s in selectors.open_standings(user=request.user, org=org, today=today) if s.overdue]
    else:
        items = selectors.round_list(user=request.user, org=org, state=data.get("state") or None,
                                     kind=data.get("kind") or None, text=data.get("q", ""))
    page = _paged(request, items)
    cal = selectors.calendar()
    rows = [_standing_view(s if isinstance(s, selectors.Standing) else selectors.standing(s, today, cal))
            for s in page.object_list]
    return _render(request, "bargaining/staff/rounds.html", {
        "form": form, "page": page, "rows": rows, "query": _query(request),
        "may_manage": org is not None and selectors.can_manage(request.user, org.path),
    }, org=org, tab="rounds")


@staff_required
def round_new(request):
    org = _org(request)
    if org is None or not selectors.can_manage(request.user, org.path):
        raise PermissionDenied("Opening a round needs a cadre's role on the union.")
    renews = None
    source = request.POST.get("renews") or request.GET.get("renews")
    if source and str(source).isdigit():
        renews = _contract_or_404(request, int(source))
    initial = {"offered_on": _today(), "renews": renews.pk if renews else None}
    if renews:
        initial.update(title=_("Renewal of %(title)s") % {"title": renews.title}, kind=renews.kind,
                       scope=renews.scope, employer=renews.employer, workers=renews.workers)
    form = RoundOpenForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "renews"}
        try:
            row = services.round_open(actor=request.user, org=renews.org if renews else org, renews=renews, **data)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("The round is open: the other side must reply within 20 days."))
            return redirect("staff:bargaining:round", pk=row.pk)
    return _render(request, "bargaining/staff/round_new.html", {"form": form, "renews": renews}, org=org,
                   tab="rounds", status=400 if request.method == "POST" else 200)


def _steps(s: selectors.Standing) -> list[dict]:
    """The eight steps with the day each was done, the current one and the deadlines already set."""
    row = s.round
    current = s.waiting.step if s.waiting else None
    in_force = row.contract.effective_on if row.contract_id and row.filed_on else None
    done = {Step.OFFER: row.offered_on, Step.REPLY: row.replied_on, Step.TALKS: row.talks_on,
            Step.VOTE: row.voted_on, Step.SIGN: row.signed_on, Step.FILE: row.filed_on,
            Step.REVIEW: in_force if current is not Step.REVIEW else None, Step.ANNOUNCE: row.announced_on}
    return [{"key": step.value, "label": words.STEPS[step], "day": done[step], "done": done[step] is not None,
             "current": step is current, "deadline": s.deadlines.get(step), "period": words.PERIODS.get(step, "")}
            for step in ORDER]


@staff_required
def round_detail(request, pk: int, forms_with_errors: dict | None = None, status: int = 200):
    row = _round_or_404(request, pk)
    today = _today()
    s = selectors.standing(row, today)
    may_manage = selectors.can_manage(request.user, row.org_path) and row.state == RoundState.OPEN
    form = None
    if may_manage and s.waiting is not None:
        if forms_with_errors and s.waiting.step.value in forms_with_errors:
            form = forms_with_errors[s.waiting.step.value]
        else:
            cls, label = STEP_FORMS[s.waiting.step]()
            initial = {"on": today, "held_on": today, "signed_on": today, "eligible": row.workers}
            if s.waiting.step is Step.SIGN:
                initial.update(starts_on=today, union_signatory="", employer_signatory="")
            form = cls(initial=initial, label=label) if cls is DayForm else cls(initial=initial)
    return _render(request, "bargaining/staff/round.html", {
        "row": row, "s": _standing_view(s), "steps": _steps(s), "form": form, "may_manage": may_manage,
        "votes": list(row.votes.all()), "timeline": _timeline(row), "abandon_form": ReasonForm(),
        "step_value": s.waiting.step.value if s.waiting else "",
        "enterprise_scope": row.scope == Scope.ENTERPRISE,
    }, org=row.org, tab="rounds", status=status)


@staff_required
@require_POST
def round_act(request, pk: int, action: str):
    row = _round_or_404(request, pk)
    if not selectors.can_manage(request.user, row.org_path):
        raise PermissionDenied("Only the union's cadres move a round on.")
    try:
        step = Step(action) if action != "abandon" else None
    except ValueError:
        raise Http404(action) from None
    if step is None:
        form = ReasonForm(request.POST)
        if form.is_valid():
            try:
                services.round_abandon(actor=request.user, round=row, reason=form.cleaned_data["reason"])
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            return redirect("staff:bargaining:round", pk=row.pk)
        messages.error(request, _("Give the reason."))
        return redirect("staff:bargaining:round", pk=row.pk)
    if step not in STEP_FORMS:
        raise Http404(action)
    cls, label = STEP_FORMS[step]()
    form = cls(request.POST, request.FILES, label=label) if cls is DayForm else cls(request.POST, request.FILES)
    if form.is_valid():
        try:
            _take(request, row, step, form.cleaned_data)
        except ValidationError as exc:
            apply_errors(form, exc, aliases={"replied_on": "on", "talks_on": "on", "filed_on": "on",
                                             "announced_on": "on", "decided_on": "on", "held_on": "held_on"})
        else:
            messages.success(request, _("Recorded: %(step)s.") % {"step": words.STEPS[step]})
            return redirect("staff:bargaining:round", pk=row.pk)
    return round_detail.__wrapped__(request, pk, forms_with_errors={step.value: form}, status=400)


def _take(request, row: Round, step: Step, data: dict) -> None:
    actor = request.user
    if step is Step.REPLY:
        services.round_reply(actor=actor, round=row, replied_on=data["on"])
    elif step is Step.TALKS:
        services.round_talks(actor=actor, round=row, talks_on=data["on"])
    elif step is Step.VOTE:
        services.round_vote(actor=actor, round=row, **data)
    elif step is Step.SIGN:
        services.round_sign(actor=actor, round=row, signed_on=data["signed_on"], terms=_terms(request, row, data),
                            document=data.get("document"))
    elif step is Step.FILE:
        services.round_file(actor=actor, round=row, filed_on=data["on"])
    elif step is Step.REVIEW:
        services.round_review(actor=actor, round=row, decided_on=data["on"], objection=data.get("objection", ""))
    elif step is Step.ANNOUNCE:
        services.round_announce(actor=actor, round=row, announced_on=data["on"])


def _terms(request, row: Round, data: dict) -> services.Terms:
    covered = []
    for code, workers in data.get("covered") or []:
        try:
            org = org_get(user=request.user, code=code)
        except (OrgNotFound, OrgOutOfScope):
            raise ValidationError({"covered": _("No union in your subtree has the code %(code)s.") % {"code": code}}) \
                from None
        covered.append(services.Covered(org=org, workers=workers))
    if row.scope == Scope.ENTERPRISE and not covered:
        covered = [services.Covered(org=row.org, workers=row.workers)]
    return services.Terms(starts_on=data["starts_on"], ends_on=data["ends_on"],
                          union_signatory=data["union_signatory"], employer_signatory=data["employer_signatory"],
                          covered=covered, wage_growth_pct=data.get("wage_growth_pct"),
                          minimum_wage=data.get("minimum_wage"),
                          grades=[services.Grade(*g) for g in data.get("grades") or []],
                          skill_factors=data.get("skill_factors") or [])


# ------------------------------------------------------------------------------ contracts

def _contracts(request, org):
    form = ContractFilterForm(request.GET or None)
    data = form.cleaned_data if form.is_valid() else {}
    expiring = int(data["expiring"]) if data.get("expiring") else None
    on = _today() if (data.get("in_force") or expiring is not None) else None
    qs = selectors.contract_list(user=request.user, org=org, kind=data.get("kind") or None,
                                 scope=data.get("scope") or None, in_force_on=on, expiring_within=expiring,
                                 text=data.get("q", ""))
    return form, qs


@staff_required
def contracts(request):
    org = _org(request)
    form, qs = _contracts(request, org)
    page = _paged(request, qs)
    today = _today()
    rows = [{"c": c, "in_force": figures.contract_binds(c, today)} for c in page.object_list]
    return _render(request, "bargaining/staff/contracts.html", {
        "form": form, "page": page, "rows": rows, "query": _query(request)}, org=org, tab="contracts")


@staff_required
def export(request):
    org = _org(request)
    _form, qs = _contracts(request, org)
    handle = written(lambda out: contract_export(actor=request.user, org=org, contracts=qs, target=out,
                                                 filters=_query(request)))
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return attachment(handle, filename=f"{_('collective-contracts')}-{org.code if org else 'all'}-{stamp}.xlsx")


@staff_required
def contract_detail(request, pk: int):
    contract = _contract_or_404(request, pk)
    today = _today()
    history = selectors.contract_history(contract)
    may_manage = selectors.can_manage(request.user, contract.org_path)
    renewed = any(c.renews_id == contract.pk for c in history)
    return _render(request, "bargaining/staff/contract.html", {
        "c": contract, "in_force": figures.contract_binds(contract, today), "history": history,
        "coverage": list(contract.coverage.all()), "grades": list(contract.grades.all()),
        "factors": [label for value, label in _factor_choices() if value in contract.skill_factors],
        "timeline": _timeline(contract), "may_manage": may_manage, "renewed": renewed,
        "may_renew": may_manage and not renewed and contract.terminated_on is None,
        "terminate_form": TerminateForm(initial={"on": today}),
        "round": Round.objects.filter(contract=contract).first(),
    }, org=contract.org, tab="contracts")


def _factor_choices():
    from gonghui.bargaining.models import SkillFactor

    return SkillFactor.choices


@staff_required
@require_POST
def contract_terminate(request, pk: int):
    contract = _contract_or_404(request, pk)
    form = TerminateForm(request.POST)
    if form.is_valid():
        try:
            services.contract_terminate(actor=request.user, contract=contract, on=form.cleaned_data["on"],
                                        reason=form.cleaned_data["reason"])
        except (ValidationError, PermissionDenied) as exc:
            messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
        else:
            messages.success(request, _("The contract is recorded as ended."))
    else:
        messages.error(request, _("Give the day and the reason."))
    return redirect("staff:bargaining:contract", pk=contract.pk)


@staff_required
def contract_document(request, pk: int):
    contract = _contract_or_404(request, pk)
    if not contract.document:
        raise Http404("No document.")
    response = FileResponse(contract.document.open("rb"), as_attachment=True,
                            filename=f"{contract.number}{contract.document_extension}")
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response
