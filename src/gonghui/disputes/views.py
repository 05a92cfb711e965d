"""Workbench pages of labour-dispute mediation (劳动争议调处), under /staff/disputes/.

Views hold no rules: a form shapes the input, a service in ``gonghui.disputes.services`` decides
and writes (and refuses with a message), a selector reads within the user's reach. A case outside
the user's reach answers 404; an org-level page of a union outside the subtree answers 403.

Who gets in: a role with READ anywhere (cadre, viewer, mediator, lawyer), or a place in a mediation
room (``RoomStaff``) — room staff without a role see their rooms' cases only.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, prefetch_related_objects
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _, pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_POST

from gonghui.core import audit
from gonghui.core.exports import attachment, written
from gonghui.core.money import to_fen
from gonghui.core.scope import Perm, scope_for
from gonghui.disputes import rules, selectors, services, states
from gonghui.disputes.exports import case_export
from gonghui.disputes.forms import (
    AgreementForm,
    AttachForm,
    CaseFilterForm,
    FailForm,
    InstalmentFormSet,
    LegalAidFinishForm,
    LegalAidForm,
    MediatorForm,
    PaymentForm,
    PeriodForm,
    ReasonForm,
    ReferForm,
    SessionForm,
    TriageForm,
    WindowIntakeForm,
    apply_errors,
    claim_formset,
)
from gonghui.disputes.models import (
    Case,
    ClaimKind,
    LegalAid,
    LegalAidState,
    RoomStaff,
    StaffKind,
    State,
)
from gonghui.workbench.access import current_org, get_org_or_403, render_staff, set_current_org
from gonghui.workbench.charts import change, chart_spec, wan

# The list's sortable columns: query value → ordering.
SORTS = {
    "received": ("received_at", "id"), "-received": ("-received_at", "-id"),
    "number": ("number",), "-number": ("-number",),
    "amount": ("amount_claimed", "id"), "-amount": ("-amount_claimed", "-id"),
    "state": ("state", "-received_at"), "-state": ("-state", "-received_at"),
}


# ------------------------------------------------------------------------------ access

def disputes_staff(view):
    """Anonymous → the staff login; signed in without a role or a room place → 403."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("staff:login"))
        if not selectors.is_dispute_staff(request.user):
            raise PermissionDenied("The dispute workbench is for union cadres and mediation room staff.")
        return view(request, *args, **kwargs)

    return wrapper


def _org(request):
    """The union the module shows: ?org=CODE (403 outside the subtree), else the current union."""
    code = request.GET.get("org")
    if code:
        org = get_org_or_403(request, code)
        set_current_org(request, org)
        return org
    return current_org(request)


def _may_intake(request, org) -> bool:
    return org is not None and scope_for(request.user, Perm.MANAGE).covers(org.path)


def _render(request, template, context, *, org=None, tab="", status=200):
    context = {"disputes_tab": tab, "may_intake": _may_intake(request, current_org(request)), **context}
    return render_staff(request, template, context, org=org, section="disputes", status=status)


def _case_or_404(request, pk: int) -> Case:
    case = selectors.case_get(user=request.user, pk=pk)
    if case is None:
        raise Http404("No such case within your reach.")
    return case


def _paged(request, queryset):
    return Paginator(queryset, settings.PAGE_SIZE).get_page(request.GET.get("page"))


def _today() -> dt.date:
    return timezone.localdate()


# ------------------------------------------------------------------------------ module home

def _charts(figures: dict) -> list[dict]:
    cases = pgettext("unit", "cases")
    by_claim = figures["by_claim"]
    labels = dict(ClaimKind.choices)
    received = [(str(labels[k]), by_claim.get(k, {}).get("received", 0)) for k in ClaimKind.values]
    recovered = [(str(labels[k]), wan(by_claim.get(k, {}).get("recovered", 0))) for k in ClaimKind.values]
    concluded = [(_("Settled by agreement"), figures["settled"]), (_("Mediation failed"), figures["failed"])]
    industry = sorted(((name or _("Not given"), row["received"]) for name, row in figures["by_industry"].items()),
                      key=lambda item: -item[1])[:8]
    return [
        chart_spec("claims", "barh", _("Cases received by claim"), received, unit=cases, series=_("Cases received")),
        chart_spec("concluded", "pie", _("Cases concluded: agreement or failure"), concluded, unit=cases,
                   series=_("Cases")),
        chart_spec("recovered", "bar", _("Amount recovered by claim"), recovered, unit=_("ten-thousand yuan"),
                   series=_("Recovered")),
        chart_spec("industry", "barh", _("Cases received by industry"), industry, unit=cases,
                   series=_("Cases received")),
    ]


def _kpis(figures: dict, previous: dict | None = None) -> list[dict]:
    cases = pgettext("unit", "cases")
    rate = figures["success_rate"]
    previous = previous or {}
    cards = [
        {"key": "received", "label": _("Cases received"), "value": figures["received"], "unit": cases, "icon": "inbox"},
        {"key": "settled", "label": _("Settled by agreement"), "value": figures["settled"], "unit": cases,
         "icon": "check2-circle"},
        {"key": "success_rate", "label": _("Success rate"), "value": rate if rate is not None else "—",
         "unit": "%" if rate is not None else "", "icon": "graph-up-arrow"},
        {"key": "recovered", "label": _("Recovered for workers"), "value": wan(figures["amount_recovered"]),
         "unit": _("ten-thousand yuan"), "icon": "cash-coin"},
        {"key": "legal_aid", "label": _("Legal-aid cases"), "value": figures["legal_aid"], "unit": cases,
         "icon": "bank"},
        {"key": "overdue", "label": _("Overdue now"), "value": figures["overdue"], "unit": cases, "icon": "alarm",
         "alert": figures["overdue"] > 0},
    ]
    compared = {"received": "received", "settled": "settled", "recovered": "amount_recovered", "legal_aid": "legal_aid"}
    for card in cards:
        key = compared.get(card["key"])
        card["change"] = change(figures[key], previous.get(key)) if key else None
    return cards


def _queue_labels() -> dict[str, str]:
    return {
        "triage": _("Received, waiting for triage"),
        "overdue": _("Overdue cases"),
        "sessions": _("Mediation to hold (assigned or in mediation)"),
        "payments": _("Agreements waiting for payment"),
        "legal_aid": _("Legal-aid requests waiting"),
    }


QUEUE_ICONS = {"triage": "signpost-split", "overdue": "alarm", "sessions": "people", "payments": "cash-stack",
               "legal_aid": "bank"}


def work_queue(user, org) -> list[dict]:
    """What waits for this user; each count is the length of the list its link opens."""
    labels = _queue_labels()
    org_query = {"org": org.code} if org is not None else {}

    def url(key: str) -> str:
        if key == "overdue":  # the overdue page lists them with the reasons
            return reverse("staff:disputes:overdue") + (f"?{urlencode(org_query)}" if org_query else "")
        return f"{reverse('staff:disputes:cases')}?{urlencode({'queue': key, **org_query})}"

    return [
        {"key": key, "label": labels[key], "icon": QUEUE_ICONS[key], "alert": key == "overdue", "url": url(key),
         "count": selectors.case_list(user=user, org=org, queue=key).count()}
        for key in selectors.queues_for(user)
    ]


@disputes_staff
def home(request):
    org = _org(request)
    today = _today()
    start, end = today.replace(month=1, day=1), today  # this year so far, unless a period is asked for
    if "start" in request.GET or "end" in request.GET:
        period = PeriodForm(request.GET)
        if period.is_valid():  # an empty side leaves the period open on that side
            start, end = period.cleaned_data["start"], period.cleaned_data["end"]
    else:
        period = PeriodForm(initial={"start": start, "end": end})
    context = {"org": org, "period": period, "start": start, "end": end, "queue": work_queue(request.user, org)}
    if org is not None:
        figures = selectors.dashboard(user=request.user, org=org, start=start, end=end, today=today)
        previous = None
        if start is not None and end is not None:  # the period of the same length just before
            length = end - start + dt.timedelta(days=1)
            previous = selectors.dashboard(user=request.user, org=org, start=start - length,
                                           end=start - dt.timedelta(days=1), today=today)
            context.update(previous_start=start - length, previous_end=start - dt.timedelta(days=1))
        context.update(figures=figures, kpis=_kpis(figures, previous), charts=_charts(figures))
    return _render(request, "disputes/staff/home.html", context, org=org, tab="home")


# ------------------------------------------------------------------------------ intake

@sensitive_post_parameters("id_number", "phone")
@disputes_staff
def intake(request):
    """一窗受理: a cadre records an oral application, or a case entrusted by a court or commission."""
    org = _org(request)
    if not _may_intake(request, org):
        raise PermissionDenied("Your role cannot receive cases for this union.")
    form = WindowIntakeForm(request.POST or None, request.FILES or None)
    claims = claim_formset(request.POST or None)
    if request.method == "POST":
        if form.is_valid() and claims.is_valid():
            case = _open_case(request, org, form, claims)
            if case is not None:
                messages.success(request, _("Case %(number)s was received. Route it to a mediation room or hand it "
                                            "on.") % {"number": case.number})
                return redirect("staff:disputes:case", pk=case.pk)
        status = 422
    else:
        status = 200
    return _render(request, "disputes/staff/intake.html", {"org": org, "form": form, "claims": claims},
                   org=org, tab="intake", status=status)


def _open_case(request, org, form, claims) -> Case | None:
    fields = form.service_fields()
    data = form.cleaned_data
    if data.get("received_at"):
        fields["received_at"] = data["received_at"]
    documents = data.get("attachments") or []
    try:
        if data["channel"] == "window":
            case = services.case_open(actor=request.user, org=org, channel="window", claims=claims.lines(),
                                      documents=documents, **fields)
        else:
            case = services.referral_in_record(actor=request.user, org=org, source=data["channel"],
                                               body_name=data["body_name"], reference=data["reference"],
                                               deadline=data["deadline"], claims=claims.lines(),
                                               documents=documents, **fields)
    except ValidationError as exc:
        apply_errors(form, exc, {"claims": "__all__", "file": "attachments"})
        return None
    return case


# ------------------------------------------------------------------------------ lists

def _filtered(request, org, *, overdue_only: bool = False):
    rooms = list(selectors.room_list(user=request.user, org=org)) if org is not None else list(
        selectors.room_list(user=request.user))
    form = CaseFilterForm(request.GET or None, rooms=rooms, states=State.choices)
    data = form.cleaned_data if form.is_valid() else {}
    room = form.rooms.get(data.get("room") or "")
    cases = selectors.case_list(
        user=request.user, org=org, state=data.get("state") or None, room=room,
        overdue=True if (overdue_only or data.get("overdue")) else None,
        start=data.get("start"), end=data.get("end"), text=data.get("q") or "", queue=_queue(request))
    if data.get("claim"):
        cases = cases.filter(main_claim=data["claim"])
    sort = request.GET.get("sort") if request.GET.get("sort") in SORTS else "-received"
    return form, cases.order_by(*SORTS[sort]), sort


def _queue(request) -> str | None:
    """?queue=KEY: the work-queue entry the list shows (an entry that does not concern the user: none)."""
    key = request.GET.get("queue")
    return key if key in selectors.queues_for(request.user) else None


def _query(request, *drop: str) -> str:
    query = request.GET.copy()
    for key in ("page", *drop):
        query.pop(key, None)
    return query.urlencode()


def _list_context(request, org, form, cases, sort) -> dict:
    page = _paged(request, cases)
    today = _today()
    for case in page.object_list:
        case.deadline = mediation_deadline(case, today)
        case.days_over = -case.deadline.days_left if case.deadline else 0
    queue = _queue(request)
    return {"org": org, "form": form, "page": page, "sort": sort, "query": _query(request),
            "sort_query": _query(request, "sort"), "today": today,
            "queue": queue, "queue_label": _queue_labels()[queue] if queue else "", "queue_icon": QUEUE_ICONS.get(queue)}


def mediation_deadline(case: Case, today: dt.date):
    """The 15-day mediation deadline of a listed case (shown while it is with the mediation side)."""
    if case.state not in states.OPEN_FOR_MEDIATION:
        return None
    return rules.mediation_deadline(case.received_on, today)


@disputes_staff
def case_list(request):
    org = _org(request)
    form, cases, sort = _filtered(request, org)
    context = _list_context(request, org, form, cases, sort)
    return _render(request, "disputes/staff/list.html", context, org=org, tab="cases")


@disputes_staff
def overdue(request):
    org = _org(request)
    form, cases, sort = _filtered(request, org, overdue_only=True)
    context = _list_context(request, org, form, cases, sort)
    today = context["today"]
    rows = list(context["page"].object_list)
    prefetch_related_objects(rows, "agreement__instalments", "referral_in")
    for case in rows:
        case.reasons = _overdue_reasons(case, today)
    context["overdue_page"] = True
    return _render(request, "disputes/staff/list.html", context, org=org, tab="overdue")


def _overdue_reasons(case: Case, today: dt.date) -> list[str]:
    """Why a listed case is overdue (the rule of ``rules.overdue_reasons``, on prefetched rows)."""
    agreement = case.agreement if _has_agreement(case) else None
    referral = case.referral_in if _has_referral(case) else None
    instalments = ([rules.DueItem(i.due_on, i.amount, i.paid_amount) for i in agreement.instalments.all()]
                   if agreement is not None else [])
    return rules.overdue_reasons(state=case.state, received_on=case.received_on, today=today,
                                 instalments=instalments, court_deadline=referral.deadline if referral else None)


@never_cache
@require_GET
@disputes_staff
def export(request):
    """The list as filtered, as XLSX with ID numbers and mobiles masked; recorded in the audit log."""
    org = _org(request)
    form, cases, _sort = _filtered(request, org)
    handle = written(lambda out: case_export(actor=request.user, org=org, cases=cases, target=out,
                                             filters=_query(request)))
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    name = _("dispute-cases")
    return attachment(handle, filename=f"{name}-{org.code if org else 'rooms'}-{stamp}.xlsx")


def _has_agreement(case: Case) -> bool:
    try:
        case.agreement  # noqa: B018
    except Exception:  # RelatedObjectDoesNotExist
        return False
    return True


# ------------------------------------------------------------------------------ rooms

@disputes_staff
def rooms(request):
    org = _org(request)
    found = list(selectors.room_list(user=request.user, org=org) if org is not None
                 else selectors.room_list(user=request.user))
    staff = RoomStaff.objects.filter(room__in=found).select_related("user").order_by("kind", "user__username")
    by_room: dict[int, list] = {}
    for person in staff:
        by_room.setdefault(person.room_id, []).append(person)
    finished = [State.CLOSED, State.HANDED_ON, State.PAID, State.REFERRED]
    open_counts = dict(
        selectors.case_list(user=request.user).filter(room__in=found).exclude(state__in=finished).order_by()
        .values_list("room_id").annotate(n=Count("pk")))
    for room in found:
        people = by_room.get(room.pk, [])
        room.mediators = [p.user for p in people if p.kind == StaffKind.MEDIATOR]
        room.lawyers = [p.user for p in people if p.kind == StaffKind.LAWYER]
        room.open_cases = open_counts.get(room.pk, 0)
    return _render(request, "disputes/staff/rooms.html", {"org": org, "rooms": found}, org=org, tab="rooms")


# ------------------------------------------------------------------------------ one case

TIMELINE_LABELS = {
    "dispute.open": lambda: _("Application received"),
    "dispute.triage": lambda: _("Routed to a mediation room"),
    "dispute.hand_on": lambda: _("Handed on"),
    "dispute.assign": lambda: _("Mediator assigned"),
    "dispute.start": lambda: _("Mediation started"),
    "dispute.session": lambda: _("Mediation session recorded"),
    "dispute.agree": lambda: _("Agreement signed"),
    "dispute.fail": lambda: _("Mediation failed"),
    "dispute.payment": lambda: _("Payment recorded"),
    "dispute.pay_in_full": lambda: _("Agreement paid in full"),
    "dispute.default": lambda: _("Agreement not paid as agreed"),
    "dispute.refer": lambda: _("Referred to arbitration or court"),
    "dispute.withdraw": lambda: _("Withdrawn"),
    "dispute.close": lambda: _("Case closed"),
    "dispute.attach": lambda: _("Document added"),
    "dispute.legal_aid.request": lambda: _("Legal aid asked for"),
    "dispute.legal_aid.accept": lambda: _("Legal aid taken on by a lawyer"),
    "dispute.legal_aid.done": lambda: _("Legal aid given"),
    "dispute.legal_aid.refuse": lambda: _("Legal aid refused"),
    "dispute.satisfaction": lambda: _("The worker rated the service"),
}


def case_timeline(case: Case):
    """The audit lines of a case, newest first (the case was already fetched within the user's reach)."""
    entries = list(audit.history(case, 100))
    for entry in entries:
        label = TIMELINE_LABELS.get(entry.action)
        entry.label = label() if label else entry.action
        new = entry.data.get("state")
        entry.state_label = State(new).label if new in State.values and entry.data.get("from") else ""
    return entries


def _rights(user, case: Case) -> dict:
    return {
        "manage": selectors.can_manage(user, case),
        "mediate": selectors.can_mediate(user, case),
        "follow_up": selectors.can_follow_up(user, case),
        "lawyer": selectors.is_lawyer_for(user, case),
    }


def _actions(user, case: Case, rights: dict) -> set[str]:
    """The actions this user may take on the case now: what the graph allows and their role permits."""
    allowed = set(states.allowed_actions(case.state))
    who = {
        "triage": rights["manage"], "hand_on": rights["manage"] or rights["mediate"],
        "assign": rights["manage"] or rights["mediate"], "start": rights["mediate"], "session": rights["mediate"],
        "agree": rights["mediate"], "fail": rights["mediate"], "payment": rights["follow_up"],
        "pay_in_full": rights["follow_up"], "default": rights["follow_up"], "refer": rights["follow_up"],
        "withdraw": rights["manage"] or rights["mediate"], "close": rights["follow_up"],
        "legal_aid": rights["manage"] or rights["mediate"], "attach": rights["manage"] or rights["follow_up"],
    }
    actions = {a for a in allowed if who.get(a)}
    if "payment" in actions or "pay_in_full" in actions:
        actions.add("payment")
    if "legal_aid" in actions and any(a.state in (LegalAidState.REQUESTED, LegalAidState.ACCEPTED)
                                      for a in case.legal_aid.all()):
        actions.discard("legal_aid")
    return actions


ACTION_FORMS = {
    "triage": None, "assign": None, "session": SessionForm, "agree": AgreementForm, "fail": FailForm,
    "payment": PaymentForm, "default": ReasonForm, "refer": ReferForm, "withdraw": ReasonForm,
    "hand_on": None, "legal_aid": LegalAidForm, "attach": AttachForm,
}


def _forms_for(case: Case, user, actions: set[str], bound: dict | None = None) -> dict:
    bound = bound or {}
    forms: dict = {}
    if "triage" in actions or "hand_on" in actions:
        forms["triage"] = bound.get("triage") or TriageForm(rooms=selectors.rooms_for_triage(user=user, case=case),
                                                            may_route="triage" in actions)
    if "assign" in actions and case.room_id:
        forms["assign"] = bound.get("assign") or MediatorForm(
            mediators=selectors.room_staff(room=case.room, kind=StaffKind.MEDIATOR))
    for action, form_class in ACTION_FORMS.items():
        if form_class is not None and action in actions:
            forms[action] = bound.get(action) or form_class(initial=_initial(case, action))
    if "agree" in actions:
        forms["instalments"] = bound.get("instalments") or InstalmentFormSet(prefix="instalments")
    return forms


def _initial(case: Case, action: str) -> dict:
    """A payment form starts with what is due next under the schedule."""
    if action != "payment" or not _has_agreement(case):
        return {}
    for instalment in case.agreement.instalments.all():
        if not instalment.is_paid:
            return {"amount": instalment.amount - instalment.paid_amount}
    return {}


def _render_case(request, case: Case, *, bound: dict | None = None, status: int = 200, open_action: str = ""):
    rights = _rights(request.user, case)
    actions = _actions(request.user, case, rights)
    agreement = case.agreement if _has_agreement(case) else None
    deadlines = selectors.case_deadlines(case, _today())
    labels = dict(ClaimKind.choices)
    context = {
        "case": case, "rights": rights, "actions": actions, "forms": _forms_for(case, request.user, actions, bound),
        "deadlines": deadlines, "timeline": case_timeline(case), "days_over": -deadlines.mediation.days_left,
        "limitations": [(labels.get(kind, kind), lim) for kind, lim in deadlines.limitation.items()],
        "agreement": agreement, "referral": getattr(case, "referral_in", None) if _has_referral(case) else None,
        "satisfaction": getattr(case, "satisfaction", None) if _has_satisfaction(case) else None,
        "open_action": open_action, "open_for_mediation": case.state in states.OPEN_FOR_MEDIATION,
        "aid_forms": {aid.pk: LegalAidFinishForm() for aid in case.legal_aid.all()},
    }
    # Breadcrumbs of the receiving union only for those who may open it (room staff may not).
    org = case.org if scope_for(request.user, Perm.READ).covers(case.org_path) else None
    return _render(request, "disputes/staff/detail.html", context, org=org, tab="cases", status=status)


def _has_referral(case: Case) -> bool:
    try:
        case.referral_in  # noqa: B018
    except Exception:
        return False
    return True


def _has_satisfaction(case: Case) -> bool:
    try:
        case.satisfaction  # noqa: B018
    except Exception:
        return False
    return True


@disputes_staff
def case_detail(request, pk: int):
    return _render_case(request, _case_or_404(request, pk))


DONE_MESSAGES = {
    "triage": lambda c: _("Case %(number)s was sent to %(room)s.") % {"number": c.number, "room": c.room.name},
    "hand_on": lambda c: _("Case %(number)s was handed on.") % {"number": c.number},
    "assign": lambda c: _("The mediator of case %(number)s was changed.") % {"number": c.number},
    "start": lambda c: _("Mediation of case %(number)s has started.") % {"number": c.number},
    "session": lambda c: _("The session was recorded.") % {},
    "agree": lambda c: _("The agreement was recorded; follow the payments until everything is paid.") % {},
    "fail": lambda c: _("Mediation was recorded as failed. Refer the case or close it.") % {},
    "payment": lambda c: (_("The payment was recorded; the agreement is now paid in full.") if c.state == State.PAID
                          else _("The payment was recorded.")),
    "default": lambda c: _("The agreement was marked as not paid.") % {},
    "refer": lambda c: _("The case was referred.") % {},
    "withdraw": lambda c: _("The case was withdrawn and closed.") % {},
    "close": lambda c: _("The case was closed.") % {},
    "legal_aid": lambda c: _("Legal aid was asked for; a station lawyer of the room takes it on.") % {},
    "attach": lambda c: _("The documents were added.") % {},
}


@require_POST
@disputes_staff
def case_act(request, pk: int, action: str):
    """Every action on a case: form in, the service decides (graph and rights), back to the case."""
    case = _case_or_404(request, pk)
    if action not in DONE_MESSAGES:
        raise Http404("No such action.")
    user = request.user
    form = None
    try:
        if action == "triage":
            form = TriageForm(request.POST, rooms=selectors.rooms_for_triage(user=user, case=case),
                              may_route=selectors.can_manage(user, case))
            if form.is_valid():
                data = form.cleaned_data
                if data["route"] == "room":
                    services.case_triage(actor=user, case=case, room=form.rooms[data["room"]])
                else:
                    action = "hand_on"
                    services.case_hand_on(actor=user, case=case, target=data["target"],
                                          target_name=data["target_name"], reason=data["reason"])
        elif action == "assign":
            form = MediatorForm(request.POST, mediators=selectors.room_staff(room=case.room, kind=StaffKind.MEDIATOR)
                                if case.room_id else [])
            if form.is_valid():
                services.case_assign(actor=user, case=case, mediator=form.people[form.cleaned_data["mediator"]])
        elif action in ("start", "close"):
            (services.case_start if action == "start" else services.case_close)(actor=user, case=case)
        elif action == "session":
            form = SessionForm(request.POST)
            if form.is_valid():
                services.session_record(actor=user, case=case, **form.cleaned_data)
        elif action == "agree":
            form = AgreementForm(request.POST)
            schedule = InstalmentFormSet(request.POST, prefix="instalments")
            if form.is_valid() and schedule.is_valid():
                services.agreement_record(actor=user, case=case, instalments=schedule.lines(), **form.cleaned_data)
            elif form.is_valid():
                form.add_error(None, _("Check the payment schedule."))
            if form.errors or not schedule.is_valid():
                return _render_case(request, case, bound={"agree": form, "instalments": schedule}, status=422,
                                    open_action="agree")
        elif action == "fail":
            form = FailForm(request.POST)
            if form.is_valid():
                services.case_fail(actor=user, case=case, **form.cleaned_data)
        elif action == "payment":
            form = PaymentForm(request.POST)
            if form.is_valid():
                services.payment_record(actor=user, case=case, **form.cleaned_data)
        elif action in ("default", "withdraw"):
            form = ReasonForm(request.POST)
            if form.is_valid():
                call = services.agreement_default if action == "default" else services.case_withdraw
                call(actor=user, case=case, reason=form.cleaned_data["reason"])
        elif action == "refer":
            form = ReferForm(request.POST)
            if form.is_valid():
                services.case_refer(actor=user, case=case, **form.cleaned_data)
        elif action == "legal_aid":
            form = LegalAidForm(request.POST)
            if form.is_valid():
                services.legal_aid_request(actor=user, case=case, request=form.cleaned_data["request"])
        elif action == "attach":
            form = AttachForm(request.POST, request.FILES)
            if form.is_valid():
                services.attachments_add(actor=user, case=case, documents=form.cleaned_data["files"],
                                         description=form.cleaned_data["description"])
    except ValidationError as exc:
        if form is None:
            messages.error(request, " ".join(exc.messages))
            return redirect("staff:disputes:case", pk=pk)
        apply_errors(form, exc, {"file": "files", "instalments": "__all__", "room": "room"})
    if form is not None and form.errors:
        key = "triage" if action == "hand_on" else action
        fresh = _case_or_404(request, pk)
        return _render_case(request, fresh, bound={key: form}, status=422, open_action=key)
    messages.success(request, DONE_MESSAGES[action](case))
    return redirect("staff:disputes:case", pk=pk)


@require_POST
@disputes_staff
def legal_aid_act(request, pk: int, decision: str):
    """A station lawyer takes a legal-aid request on, records it done, or refuses it with a reason."""
    aid = LegalAid.objects.filter(pk=pk).first()
    case = selectors.case_get(user=request.user, pk=aid.case_id) if aid is not None else None
    if case is None:
        raise Http404("No such legal-aid request within your reach.")
    aid = next(a for a in case.legal_aid.all() if a.pk == pk)
    form = LegalAidFinishForm(request.POST)
    form.is_valid()
    note = form.cleaned_data.get("note", "")
    try:
        if decision == "accept":
            services.legal_aid_accept(actor=request.user, aid=aid)
            done = _("You took the legal-aid request on.")
        elif decision == "done":
            services.legal_aid_finish(actor=request.user, aid=aid, note=note)
            done = _("The legal aid was recorded as given.")
        elif decision == "refuse":
            services.legal_aid_finish(actor=request.user, aid=aid, note=note, refuse=True)
            done = _("The legal-aid request was refused.")
        else:
            raise Http404("No such decision.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done)
    return redirect("staff:disputes:case", pk=case.pk)


@disputes_staff
def agreement_print(request, pk: int):
    """The agreement as an A4 page for signatures (print to PDF from the browser)."""
    case = _case_or_404(request, pk)
    if not _has_agreement(case):
        raise Http404("This case has no agreement.")
    return render(request, "disputes/agreement_print.html", agreement_context(case, back=reverse(
        "staff:disputes:case", kwargs={"pk": case.pk})))


def agreement_context(case: Case, *, back: str) -> dict:
    return {"case": case, "agreement": case.agreement, "claims": list(case.claims.all()),
            "instalments": list(case.agreement.instalments.all()), "back": back,
            "amount_upper": rmb_upper(case.agreement.amount),
            "referral": case.referral_in if _has_referral(case) else None}


@never_cache
@require_GET
@disputes_staff
def attachment_download(request, pk: int):
    """A case document, only for those who see the case; never from a public URL."""
    attachment = selectors.attachment_get(user=request.user, pk=pk)
    if attachment is None:
        raise Http404("No such document within your reach.")
    return attachment_response(attachment)


def attachment_response(attachment) -> FileResponse:
    inline = attachment.content_type in ("image/jpeg", "image/png", "application/pdf")
    response = FileResponse(attachment.file.open("rb"), as_attachment=not inline,
                            filename=attachment.original_name, content_type=attachment.content_type)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
    return response


DIGITS = "零壹贰叁肆伍陆柒捌玖"
SMALL_UNITS = ("仟", "佰", "拾", "")
BIG_UNITS = ("", "万", "亿", "万亿")


def _four(group: int) -> str:
    """0–9999 in capital numerals with inner zeros: 1010 → 壹仟零壹拾."""
    words, zero, seen = "", False, False
    for digit, unit in zip((group // 1000, group // 100 % 10, group // 10 % 10, group % 10), SMALL_UNITS):
        if digit == 0:
            zero = zero or seen
            continue
        words += ("零" if zero else "") + DIGITS[digit] + unit
        zero, seen = False, True
    return words


def rmb_upper(amount: Decimal) -> str:
    """An amount in yuan as agreements write it in words (大写): 12345.60 → 壹万贰仟叁佰肆拾伍元陆角整."""
    amount = to_fen(amount)
    if amount < 0:
        return "负" + rmb_upper(-amount)
    fen_total = int(amount * 100)
    yuan, jiao, fen = fen_total // 100, fen_total // 10 % 10, fen_total % 10
    groups = []
    while yuan:
        groups.append(yuan % 10000)
        yuan //= 10000
    text, gap = "", False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if group == 0:
            gap = bool(text)
            continue
        if text and (gap or group < 1000):
            text += "零"
        text += _four(group) + BIG_UNITS[index]
        gap = False
    text = text + "元" if text else ""
    if jiao == 0 and fen == 0:
        return (text or "零元") + "整"
    if jiao:
        text += DIGITS[jiao] + "角"
    elif text:
        text += "零"
    return text + (DIGITS[fen] + "分" if fen else "整")
