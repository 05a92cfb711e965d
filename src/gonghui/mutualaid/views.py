"""Workbench pages of mutual aid (互助保障), under /staff/aid/ (names staff:mutualaid:…).

Form in, service or selector out, template: the rules live in ``services``, ``rules``, ``feeds``
and ``selectors``. The module works for the current union of the workbench (the switcher, or
``?org=CODE``); org-level pages answer 403 outside the user's subtree, single objects 404.
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _, pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from gonghui.core.exports import attachment
from gonghui.core.money import to_fen
from gonghui.core.scope import Perm
from gonghui.mutualaid import exports, rules, selectors, services, stats as aid_stats
from gonghui.mutualaid.feeds import COLUMN_LABELS, FEED_UPLOAD_MAX_MB, feed_file_create
from gonghui.mutualaid.forms import (
    EnrolForm,
    EnrolmentFilter,
    FailureForm,
    FeedUploadForm,
    PlanFilter,
    PlanForm,
    RefuseClaimForm,
    YearFilter,
)
from gonghui.mutualaid.models import (
    ClaimStatus,
    EnrolmentBatch,
    FeedStatus,
    PaymentBatch,
    PaymentLine,
    PayoutStatus,
    Product,
    Reason,
    Relation,
    SettlementStatus,
)
from gonghui.mutualaid.rules import parse_tiers
from gonghui.workbench.access import can, current_org, get_org_or_403, render_staff, staff_required
from gonghui.workbench.charts import chart_spec, wan

RUNNING_FEEDS = (FeedStatus.QUEUED, FeedStatus.RECEIVING, FeedStatus.RECEIVED, FeedStatus.PRICING)


# --- frame ---------------------------------------------------------------------------------------


def _org(request, perm: Perm = Perm.READ):
    """The union the page is for: ``?org=CODE`` (403 outside the subtree), else the current one."""
    code = request.GET.get("org") or request.POST.get("org")
    org = get_org_or_403(request, code, perm) if code else current_org(request)
    if org is None:
        raise Http404("No union to work for.")
    if not code and perm != Perm.READ and not can(request, perm, org.path):
        raise PermissionDenied("Your role cannot do this for this union.")
    return org


def _page(request, template: str, context: dict, *, org, tab: str, status: int = 200):
    return render_staff(request, template, {**context, "aid_tab": tab}, org=org, section="aid", status=status)


def _paged(request, queryset):
    return Paginator(queryset, settings.PAGE_SIZE).get_page(request.GET.get("page"))


def _errors(exc: ValidationError) -> str:
    return " ".join(exc.messages)


def _is_city_cadre(request) -> bool:
    return can(request, Perm.MANAGE, services.root_org().path)


def _reason(code: str) -> str:
    return str(Reason(code).label) if code in Reason.values else code


def _percent(ratio) -> str:
    return f"{(Decimal(str(ratio)) * 100).normalize():f}%"


def _yuan(amount) -> str:
    return _("%(amount)s yuan") % {"amount": f"{to_fen(amount):,.2f}"}


def plan_rules(plan) -> list[tuple[str, str]]:
    """A plan's rules in plain words, in the order a cadre explains them to a worker."""
    tiers = parse_tiers(plan.tiers)
    bands: list[str] = []
    lower = Decimal(0)
    for tier in tiers:
        if tier.upto is None:
            if len(tiers) == 1:
                bands.append(_("%(ratio)s of the amount above the deductible") % {"ratio": _percent(tier.ratio)})
            else:
                bands.append(_("%(ratio)s of what is above %(lower)s") % {"ratio": _percent(tier.ratio),
                                                                         "lower": _yuan(lower)})
        elif not lower:
            bands.append(_("%(ratio)s of the first %(upper)s above the deductible") % {
                "ratio": _percent(tier.ratio), "upper": _yuan(tier.upto)})
            lower = tier.upto
        else:
            bands.append(_("%(ratio)s of the part from %(lower)s to %(upper)s") % {
                "ratio": _percent(tier.ratio), "lower": _yuan(lower), "upper": _yuan(tier.upto)})
            lower = tier.upto
    return [
        (_("Product"), plan.get_product_display()),
        (_("Who may be enrolled"), plan.get_eligibility_display()),
        (_("Fee"), _("%(fee)s per member and year") % {"fee": _yuan(plan.fee)}),
        (_("Enrolment period"), f"{plan.window_start:%Y-%m-%d} – {plan.window_end:%Y-%m-%d}"),
        (_("Period of cover"), f"{plan.cover_start:%Y-%m-%d} – {plan.cover_end:%Y-%m-%d}"),
        (_("Deductible"), _("In-catalogue self-pay of a stay counts above %(amount)s") % {
            "amount": _yuan(plan.deductible)}),
        (_("Ratio"), "；".join(bands)),
        (_("Cap per stay"), _yuan(plan.stay_cap) if plan.stay_cap is not None else _("No cap per stay")),
        (_("Yearly cap"), _("At most %(amount)s per person and year") % {"amount": _yuan(plan.yearly_cap)}),
        (_("Parents and children"), _("Members may claim for them, with proof of relationship")
         if plan.allows_dependants else _("Not covered")),
    ]


def timeline(obj, limit: int = 50):
    """What happened to an object, newest first, from the audit log.

    The caller got ``obj`` through a scoped selector, so whoever sees the page may see its history.
    Plans are public, so not ``selectors.timeline`` (which asks for READ over the object's union).
    """
    from gonghui.core import audit

    return audit.history(obj, limit)


# --- module home (数读, work queue, charts) --------------------------------------------------------


def short_products() -> list[tuple[str, str]]:
    """Product names short enough for a chart axis (在职住院, 特种重病, 退休住院)."""
    return [(Product.INPATIENT, _("In-service inpatient")), (Product.CRITICAL_ILLNESS, _("Critical illness")),
            (Product.RETIREE_INPATIENT, _("Retiree inpatient"))]


YEARS_SHOWN = 10


def _years(today: dt.date) -> list[int]:
    """The plan years to choose from and to chart: the last ten, this one first."""
    return list(range(today.year, today.year - YEARS_SHOWN, -1))


@staff_required
def home(request):
    org = _org(request)
    today = timezone.localdate()
    years = _years(today)
    year_form = YearFilter(request.GET or None, years=years)
    data = year_form.cleaned_data if year_form.is_bound and year_form.is_valid() else {}
    year = data.get("year") or today.year
    start, end = dt.date(year, 1, 1), min(dt.date(year, 12, 31), today)
    if data.get("start") or data.get("end"):  # a period of one's own instead of a plan year
        start, end = data.get("start") or start, data.get("end") or end
    figures = selectors_period(org, start, end)
    times, people = pgettext("unit", "person-times"), pgettext("unit", "people")
    wan_yuan = pgettext("unit", "ten-thousand yuan")
    kpis = [
        {"key": "aid_enrolments", "label": _("Enrolments"), "value": figures["aid_enrolments"], "unit": times,
         "icon": "shield-plus"},
        {"key": "aid_fees", "label": _("Fees collected"), "value": wan(figures["aid_fees"]), "unit": wan_yuan,
         "icon": "cash-stack"},
        {"key": "aid_payouts", "label": _("Payouts"), "value": figures["aid_payouts"], "unit": times,
         "icon": "heart-pulse"},
        {"key": "aid_paid_amount", "label": _("Amount paid"), "value": wan(figures["aid_paid_amount"]),
         "unit": wan_yuan, "icon": "wallet2"},
        {"key": "aid_paid_members", "label": _("Members paid"), "value": figures["aid_paid_members"],
         "unit": people, "icon": "person-heart"},
    ]
    feeds = list(selectors.feed_list(user=request.user, org=org))
    queue = {
        "claims": selectors.claim_queue(user=request.user, org=org).count(),
        "failed": selectors.payout_list(user=request.user, org=org, status=PayoutStatus.FAILED).count(),
        "due": selectors.payouts_due(user=request.user, org=org),
        "feeds": [f for f in feeds if f.status in RUNNING_FEEDS],
    }
    breakdown = figures.get("breakdown", {})
    products = [(value, str(label)) for value, label in short_products()]

    def by_product(metric):
        rows = breakdown.get(metric, {}).get("product", {})
        return [(label, rows.get(value, {})) for value, label in products]

    enrol_rows = [(label, row.get("n", 0)) for label, row in by_product("aid_enrolments")]
    paid_rows = [(label, wan(row.get("amount", 0))) for label, row in by_product("aid_paid_amount")]
    # The year charts: one grouped query over the statistics rows, not one period query per year.
    per_year = sorted(aid_stats.per_year(org.path, years, today, ("aid_enrolments", "aid_paid_amount")).items())
    charts = [
        chart_spec("aid-enrol-product", "bar", _("Enrolments by product"), enrol_rows, unit=times,
                   series=_("Enrolments")),
        chart_spec("aid-paid-product", "bar", _("Amount paid by product"), paid_rows, unit=wan_yuan,
                   series=_("Amount paid")),
        chart_spec("aid-enrol-year", "bar", _("Enrolments per year"),
                   [(str(y), f["aid_enrolments"]) for y, f in per_year], unit=times, series=_("Enrolments")),
        chart_spec("aid-paid-year", "bar", _("Amount paid per year"),
                   [(str(y), wan(f["aid_paid_amount"])) for y, f in per_year], unit=wan_yuan, series=_("Amount paid")),
    ]
    context = {"org": org, "year": year, "year_form": year_form, "start": start, "end": end, "kpis": kpis,
               "queue": queue, "charts": charts, "may_manage": can(request, Perm.MANAGE, org.path)}
    return _page(request, "mutualaid/staff/home.html", context, org=org, tab="home")


def selectors_period(org, start, end) -> dict:
    """The period's mutual-aid figures of ``org``'s subtree (the statistics rows; zero when none)."""
    from gonghui.stats.activity import period_figures

    figures = period_figures(org.path, start, end)
    for key in ("aid_enrolments", "aid_payouts", "aid_paid_members", "aid_claims"):
        figures.setdefault(key, 0)
    for key in ("aid_fees", "aid_paid_amount"):
        figures.setdefault(key, Decimal("0.00"))
    return figures


# --- plans ---------------------------------------------------------------------------------------


@staff_required
def plan_list_page(request):
    org = _org(request)
    today = timezone.localdate()
    every = list(selectors.plan_list())  # a few rows a year: one query, filtered here
    years = sorted({p.year for p in every} | {today.year}, reverse=True)
    form = PlanFilter(request.GET or None, years=years)
    year = product = None
    if form.is_valid():
        year, product = form.cleaned_data["year"], form.cleaned_data["product"] or None
    plans = [p for p in every if (year is None or p.year == year) and (not product or p.product == product)]
    rows = [{"plan": p, "locked": p.enrolled > 0, "open": p.window_start <= today <= p.window_end,
             "tiers": [_percent(t.ratio) for t in parse_tiers(p.tiers)]} for p in plans]
    context = {"org": org, "form": form, "rows": rows, "may_define": _is_city_cadre(request)}
    return _page(request, "mutualaid/staff/plans.html", context, org=org, tab="plans")


def _plan_or_404(pk: int):
    plan = selectors.plan_get(pk=pk)
    if plan is None:
        raise Http404("No such plan.")
    return plan


@staff_required
def plan_detail(request, pk: int):
    plan = _plan_or_404(pk)
    org = _org(request)
    today = timezone.localdate()
    locked = selectors.plan_locked(plan=plan)
    context = {
        "org": org, "plan": plan, "locked": locked, "rules": plan_rules(plan),
        "open": plan.window_start <= today <= plan.window_end,
        "totals": selectors.enrolment_totals(user=request.user, org=org, plan=plan),
        "may_define": _is_city_cadre(request), "may_enrol": can(request, Perm.MANAGE, org.path),
        "batches": [b for b in selectors.enrolment_batches(user=request.user, org=org) if b.plan_id == plan.pk],
        "timeline": timeline(plan),
    }
    return _page(request, "mutualaid/staff/plan.html", context, org=org, tab="plans")


def _save(form, save):
    """Call the service; its ValidationError lands beside the fields it names."""
    try:
        return save()
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.error_dict.items():
                target = field if field in form.fields else None
                if field == "tiers":
                    target = "ratio_1"
                form.add_error(target, errors)
        else:
            form.add_error(None, exc)
        return None


@staff_required
def plan_new(request):
    org = _org(request)
    if not _is_city_cadre(request):
        raise PermissionDenied("Plans are defined by the city union.")
    source = None
    if request.GET.get("from"):
        source = _plan_or_404(_int(request.GET["from"]))
    initial = PlanForm.initial_from(source, next_year=True) if source else {"year": timezone.localdate().year}
    form = PlanForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        plan = _save(form, lambda: services.plan_create(actor=request.user, **form.service_fields()))
        if plan is not None:
            messages.success(request, _("The plan %(name)s was defined (version %(version)s).")
                             % {"name": plan.name, "version": plan.version})
            return redirect("staff:mutualaid:plan", pk=plan.pk)
    status = 422 if request.method == "POST" else 200
    return _page(request, "mutualaid/staff/plan_form.html", {"org": org, "form": form, "source": source},
                 org=org, tab="plans", status=status)


@staff_required
def plan_edit(request, pk: int):
    plan = _plan_or_404(pk)
    org = _org(request)
    if not _is_city_cadre(request):
        raise PermissionDenied("Plans are defined by the city union.")
    locked = selectors.plan_locked(plan=plan)
    form = PlanForm(request.POST or None, initial=PlanForm.initial_from(plan))
    form.fields["product"].disabled = form.fields["year"].disabled = True
    if request.method == "POST":
        if locked:
            messages.error(request, str(Reason.PLAN_LOCKED.label))
            return redirect("staff:mutualaid:plan", pk=plan.pk)
        if form.is_valid():
            fields = form.service_fields()
            fields.pop("product"), fields.pop("year")
            saved = _save(form, lambda: services.plan_update(actor=request.user, plan=plan, **fields))
            if saved is not None:
                messages.success(request, _("The plan was changed."))
                return redirect("staff:mutualaid:plan", pk=plan.pk)
    status = 422 if request.method == "POST" else 200
    return _page(request, "mutualaid/staff/plan_form.html",
                 {"org": org, "form": form, "plan": plan, "locked": locked}, org=org, tab="plans", status=status)


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404("Not a number.") from None


# --- enrolment -----------------------------------------------------------------------------------


def _read_id_numbers(upload) -> tuple[list[str], list[int]]:
    """The ID numbers of an uploaded list, one a line, or the column headed 身份证号 (CSV/XLSX),
    and the line of the file each stands on: line 1 is the first line of the file (the header
    when there is one), blank lines are skipped but counted, as the roster import counts them."""
    from gonghui.members.roster import RosterFormatError, _csv_rows, _xlsx_rows

    name = (upload.name or "").lower()
    try:
        rows = _xlsx_rows(upload) if name.endswith(".xlsx") else _csv_rows(upload)
        rows = [list(r) for r in rows]
    except RosterFormatError as exc:
        raise ValidationError(str(exc)) from None
    if not rows:
        return [], []
    header = [str(c or "").strip().lstrip("\ufeff") for c in rows[0]]
    column = next((i for i, h in enumerate(header) if h in ("身份证号", "身份证号码", "id_number")), None)
    first = 1
    if column is None:
        column = 0
    else:
        rows, first = rows[1:], 2
    numbers, lines = [], []
    for line, row in enumerate(rows, start=first):
        if not any(c not in (None, "") for c in row):
            continue
        numbers.append(str(row[column]).strip() if len(row) > column and row[column] is not None else "")
        lines.append(line)
    return numbers, lines


@staff_required
def plan_enrol(request, pk: int):
    """批量参保: choose whom, see the fee due, confirm; the batch page shows the outcome."""
    plan = _plan_or_404(pk)
    org = _org(request, Perm.MANAGE)
    today = timezone.localdate()
    data = request.POST if request.method == "POST" else (request.GET if request.GET.get("mode") else None)
    if data is not None and data.getlist("pick"):  # ticked on the selection page
        data = data.copy()
        data["members"] = ",".join(data.getlist("pick"))
    form = EnrolForm(data, request.FILES or None)
    preview = selectors.enrolment_preview(user=request.user, plan=plan, org=org)
    selected: list[int] = []
    if form.is_bound and form.is_valid():
        selected = form.cleaned_data["members"]
    if request.method == "POST" and form.is_valid() and request.POST.get("confirm") == "1":
        mode = form.cleaned_data["mode"]
        kwargs = {}
        try:
            if mode == EnrolmentBatch.Mode.SELECTION:
                kwargs["member_ids"] = selected
            elif mode == EnrolmentBatch.Mode.LIST:
                kwargs["id_numbers"], kwargs["line_numbers"] = _read_id_numbers(form.cleaned_data["file"])
            batch = services.enrol_batch(actor=request.user, plan=plan, org=org, mode=mode, **kwargs)
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for errors in exc.error_dict.values():
                    form.add_error(None, errors)
            else:
                form.add_error(None, exc)
        else:
            messages.success(request, _("%(n)s members were enrolled in %(plan)s; fee due %(fee)s.")
                             % {"n": batch.enrolled, "plan": plan.name, "fee": _yuan(batch.fee_due)})
            return redirect("staff:mutualaid:enrol_batch", pk=batch.pk)
    context = {"org": org, "plan": plan, "form": form, "preview": preview, "selected": selected,
               "selected_fee": to_fen(plan.fee * len(selected)),
               "open": plan.window_start <= today <= plan.window_end,
               "members_csv": ",".join(map(str, selected))}
    status = 422 if request.method == "POST" else 200
    return _page(request, "mutualaid/staff/enrol.html", context, org=org, tab="enrolments", status=status)


@staff_required
def plan_select(request, pk: int):
    """Pick members from the roster for a selection enrolment (ids carried to the enrol page)."""
    from gonghui.members.forms import MemberSearchForm
    from gonghui.members.selectors import member_list

    plan = _plan_or_404(pk)
    org = _org(request, Perm.MANAGE)
    search = MemberSearchForm(request.GET or None)
    text = search.cleaned_data["q"] if search.is_valid() else ""
    page = _paged(request, member_list(user=request.user, org=org, text=text))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"org": org, "plan": plan, "page": page, "search": search, "q": text, "query": query.urlencode()}
    return _page(request, "mutualaid/staff/select.html", context, org=org, tab="enrolments")


@staff_required
def enrol_batch_page(request, pk: int):
    batch = selectors.enrolment_batch_get(user=request.user, pk=pk)
    if batch is None:
        raise Http404("No such enrolment batch.")
    lines = []
    for line in batch.report.get("lines", []):
        code = line.get("code", "")
        lines.append({**line, "reason": line.get("message") or _reason(code)})
    context = {"org": batch.org, "batch": batch, "lines": lines, "more": batch.report.get("more", 0),
               "timeline": timeline(batch)}
    return _page(request, "mutualaid/staff/enrol_batch.html", context, org=batch.org, tab="enrolments")


@staff_required
def enrolment_list_page(request):
    """One plan year's enrolments in the union's subtree (the newest with enrolments unless the
    user picks one), searchable, counted, in keyset pages (see selectors.enrolment_page)."""
    org = _org(request)
    plans = selectors.enrolment_plans()
    data = request.GET.copy()
    for key in ("after", "before", "last", "page"):
        data.pop(key, None)
    if not data.get("plan"):
        default = selectors.enrolment_default_plan(user=request.user, org=org, plans=plans)
        if default is not None:
            data["plan"] = str(default.pk)
    form = EnrolmentFilter(data, plans=plans)
    form.fields["plan"].choices = [(p.pk, str(p)) for p in plans]  # one plan year at a time
    plan, text = None, ""
    if form.is_valid():
        plan = next((p for p in plans if p.pk == form.cleaned_data["plan"]), None)
        text = form.cleaned_data["q"]
    page, count, more, bad_cursor = None, 0, False, False
    if plan is not None:
        raw_after, raw_before = request.GET.get("after"), request.GET.get("before")
        after, before = selectors.parse_cursor(raw_after), selectors.parse_cursor(raw_before)
        bad_cursor = bool((raw_after and after is None) or (raw_before and before is None))
        page = selectors.enrolment_page(user=request.user, org=org, plan=plan, text=text, after=after,
                                        before=None if after else before,
                                        last=not (after or before) and request.GET.get("last") == "1",
                                        size=settings.PAGE_SIZE)
        count, more = selectors.enrolment_count(user=request.user, org=org, plan=plan, text=text)
    context = {"org": org, "form": form, "page": page, "plan": plan, "count": count, "count_more": more,
               "bad_cursor": bad_cursor, "query": data.urlencode(),
               "batches": selectors.enrolment_batches(user=request.user, org=org, limit=10),
               "open_plans": selectors.plans_open(), "may_manage": can(request, Perm.MANAGE, org.path)}
    return _page(request, "mutualaid/staff/enrolments.html", context, org=org, tab="enrolments")


# --- settlement feed -----------------------------------------------------------------------------


@staff_required
def feed_list_page(request):
    org = _org(request)
    may_manage = can(request, Perm.MANAGE, org.path)
    form = FeedUploadForm(request.POST or None, request.FILES or None, max_mb=FEED_UPLOAD_MAX_MB)
    if request.method == "POST":
        if not may_manage:
            raise PermissionDenied("Your role cannot send settlement files for this union.")
        if form.is_valid():
            feed = _save(form, lambda: feed_file_create(actor=request.user, org=org, upload=form.cleaned_data["file"],
                                                        language=request.LANGUAGE_CODE))
            if feed is not None:
                return redirect("staff:mutualaid:feed", pk=feed.pk)
    context = {"org": org, "form": form, "feeds": selectors.feed_list(user=request.user, org=org),
               "may_manage": may_manage, "columns": COLUMN_LABELS}
    status = 422 if request.method == "POST" else 200
    return _page(request, "mutualaid/staff/feeds.html", context, org=org, tab="feeds", status=status)


def _feed_or_404(request, pk: int):
    feed = selectors.feed_get(user=request.user, pk=pk)
    if feed is None:
        raise Http404("No such settlement feed.")
    return feed


def _feed_context(feed) -> dict:
    finished = feed.status not in RUNNING_FEEDS
    context = {"feed": feed, "finished": finished, "org": feed.org, "timeline": timeline(feed)}
    if feed.status == FeedStatus.PRICING and feed.stored:
        context["percent"] = min(99, int(feed.progress * 100 / feed.stored)) if feed.progress else 0
    if finished:
        reasons = selectors.feed_reasons(feed=feed)
        context["reasons"] = sorted(
            ({"code": code, "n": n, "label": _reason(code)}
             for code, n in reasons.items()), key=lambda r: -r["n"])
        context["bad_lines"] = [{**line, "column_label": COLUMN_LABELS.get(line.get("column"), line.get("column"))}
                                for line in (feed.report or {}).get("lines", [])]
        rejected = list(selectors.feed_records(feed=feed, status=SettlementStatus.REJECTED)[:50])
        for record in rejected:
            record.reason_label = _reason(record.reason_code)
        context["rejected"] = rejected
        context["priced_records"] = selectors.feed_records(feed=feed, status=SettlementStatus.PRICED).select_related(
            "payout", "payout__member")[:50]
    return context


@never_cache
@staff_required
def feed_page(request, pk: int):
    """Progress while the feed is read and priced (htmx polls every second), then the outcome."""
    feed = _feed_or_404(request, pk)
    context = _feed_context(feed)
    if request.htmx and request.htmx.target == "feed-job":
        return render(request, "mutualaid/staff/_feed_job.html", context)
    return _page(request, "mutualaid/staff/feed.html", context, org=feed.org, tab="feeds")


@never_cache
@staff_required
def feed_result_xlsx(request, pk: int):
    """The feed's outcome line by line: priced (amount), rejected (code and reason), unreadable lines."""
    feed = _feed_or_404(request, pk)
    content, _name, content_type = exports.feed_result_export(actor=request.user, feed=feed)
    return attachment(content, filename=f"医保结算结果-{feed.pk}.xlsx", content_type=content_type)


# --- claims --------------------------------------------------------------------------------------


@staff_required
def claim_queue_page(request):
    org = _org(request)
    status = request.GET.get("status") if request.GET.get("status") in ClaimStatus.values else ClaimStatus.SUBMITTED
    page = _paged(request, selectors.claim_queue(user=request.user, org=org, status=status))
    context = {"org": org, "page": page, "status": status, "statuses": ClaimStatus.choices}
    return _page(request, "mutualaid/staff/claims.html", context, org=org, tab="claims")


def _claim_or_404(request, pk: int):
    claim = selectors.claim_get(user=request.user, pk=pk)
    if claim is None or not can(request, Perm.READ, claim.org_path):
        raise Http404("No such claim in your subtree.")
    return claim


def _render_claim(request, claim, refuse_form=None, status=200):
    payout = getattr(claim, "payout", None) if claim.status == ClaimStatus.APPROVED else None
    may_decide = claim.status == ClaimStatus.SUBMITTED and can(request, Perm.MANAGE, claim.org_path)
    context = {
        "claim": claim, "org": claim.org, "documents": selectors.claim_documents(claim=claim),
        "rules": plan_rules(claim.plan), "refuse_form": refuse_form or RefuseClaimForm(),
        "may_decide": may_decide, "payout": payout,
        "explanation": selectors.payout_explanation(payout=payout) if payout is not None else None,
        "preview": _claim_preview(claim) if may_decide else None,
        "reason_label": _reason(claim.reason_code), "timeline": timeline(claim),
    }
    return _page(request, "mutualaid/staff/claim.html", context, org=claim.org, tab="claims", status=status)


def _claim_preview(claim):
    """What approving would pay now: the plan's rule on the member's ledger (read, not locked).

    Only for the member's own stays, whose ledger ``cover_of_member`` reads; a parent's or child's
    ledger is not exposed by the selectors, so those claims show the amount after approval.
    The approval prices again under the ledger lock, so a claim approved meanwhile is counted.
    """
    if claim.relation != Relation.SELF:
        return None
    row = next((r for r in selectors.cover_of_member(member=claim.member) if r["plan"].pk == claim.plan_id), None)
    pricing = rules.price(rules.Rule.of(claim.plan), claim.self_pay_in, row["paid"] if row else Decimal("0"))
    return {"amount": pricing.amount, "lines": rules.explain(pricing.steps)}


@staff_required
def claim_detail(request, pk: int):
    return _render_claim(request, _claim_or_404(request, pk))


@require_POST
@staff_required
def claim_approve_view(request, pk: int):
    claim = _claim_or_404(request, pk)
    try:
        payout = services.claim_approve(actor=request.user, claim=claim)  # PermissionDenied → 403
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, _("The claim was approved: %(amount)s to be paid.")
                         % {"amount": _yuan(payout.amount)})
    return redirect("staff:mutualaid:claim", pk=pk)


@require_POST
@staff_required
def claim_refuse_view(request, pk: int):
    claim = _claim_or_404(request, pk)
    form = RefuseClaimForm(request.POST)
    if form.is_valid():
        done = _save(form, lambda: services.claim_refuse(actor=request.user, claim=claim, **form.cleaned_data))
        if done is not None:
            messages.success(request, _("The claim was refused; the member sees the reason."))
            return redirect("staff:mutualaid:claim", pk=pk)
    return _render_claim(request, claim, refuse_form=form, status=422)


@never_cache
@staff_required
def document_download(request, pk: int):
    """An attachment of a claim, after the permission check; never at a public URL."""
    return serve_document(request, pk)


def serve_document(request, pk: int):
    doc = selectors.claim_document_get(user=request.user, pk=pk)
    if doc is None:
        raise Http404("No such document for you.")
    inline = doc.content_type in ("application/pdf", "image/jpeg", "image/png") and request.GET.get("download") != "1"
    response = FileResponse(doc.file.open("rb"), as_attachment=not inline, filename=doc.filename,
                            content_type=doc.content_type)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    # Nothing in an uploaded file may run: images open in a sandbox; Chromium's PDF viewer refuses a
    # sandboxed document, so a PDF gets no sources at all instead.
    response["Content-Security-Policy"] = (
        "default-src 'none'; frame-ancestors 'none'" if doc.content_type == "application/pdf"
        else "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; frame-ancestors 'none'; sandbox")
    return response


# --- payouts and payment batches -----------------------------------------------------------------


@staff_required
def payout_list_page(request):
    org = _org(request)
    status = request.GET.get("status") if request.GET.get("status") in PayoutStatus.values else ""
    page = _paged(request, selectors.payout_list(user=request.user, org=org, status=status or None))
    context = {"org": org, "page": page, "status": status, "statuses": PayoutStatus.choices,
               "due": selectors.payouts_due(user=request.user, org=org),
               "failed": selectors.payout_list(user=request.user, org=org, status=PayoutStatus.FAILED).count(),
               "batches": selectors.payment_batch_list(user=request.user, org=org, limit=10),
               "may_manage": can(request, Perm.MANAGE, org.path), "query": f"status={status}" if status else "",
               "batch_key": uuid.uuid4().hex}  # a double click makes one batch, not two
    return _page(request, "mutualaid/staff/payouts.html", context, org=org, tab="payouts")


@staff_required
def payout_detail(request, pk: int):
    payout = selectors.payout_get(user=request.user, pk=pk)
    if payout is None or not can(request, Perm.READ, payout.org_path):
        raise Http404("No such payout in your subtree.")
    context = {"payout": payout, "explanation": selectors.payout_explanation(payout=payout),
               "rules": plan_rules(payout.plan), "org": payout.member.org,
               "lines": payout.payment_lines.select_related("batch").order_by("pk")}
    return _page(request, "mutualaid/staff/payout.html", context, org=payout.member.org, tab="payouts")


@require_POST
@staff_required
def batch_create(request):
    org = _org(request, Perm.MANAGE)
    try:
        batch = services.payment_batch_create(actor=request.user, org=org,
                                              idempotency_key=request.POST.get("key", "")[:64])
    except ValidationError as exc:
        messages.error(request, _errors(exc))
        return redirect(f"{reverse('staff:mutualaid:payouts')}?org={org.code}")
    messages.success(request, _("Payment batch %(n)s made: %(lines)s payouts, %(total)s. Export it for the bank.")
                     % {"n": batch.pk, "lines": batch.lines, "total": _yuan(batch.total)})
    return redirect("staff:mutualaid:batch", pk=batch.pk)


def _batch_or_404(request, pk: int):
    batch = selectors.payment_batch_get(user=request.user, pk=pk)
    if batch is None:
        raise Http404("No such payment batch in your subtree.")
    return batch


def _render_batch(request, batch, failure_form=None, status=200):
    lines = list(selectors.payment_lines(batch=batch))
    counts = {s: sum(1 for line in lines if line.status == s) for s in PaymentLine.Status.values}
    context = {"batch": batch, "org": batch.org, "lines": lines, "counts": counts,
               "failure_form": failure_form or FailureForm(), "may_manage": can(request, Perm.MANAGE, batch.org_path),
               "open": batch.status == PaymentBatch.Status.OPEN, "timeline": timeline(batch)}
    return _page(request, "mutualaid/staff/batch.html", context, org=batch.org, tab="payouts", status=status)


@staff_required
def batch_detail(request, pk: int):
    return _render_batch(request, _batch_or_404(request, pk))


@never_cache
@staff_required
def batch_export(request, pk: int):
    """The batch as the bank's payment list (XLSX, or CSV with ?format=csv), written and audited by the service."""
    batch = _batch_or_404(request, pk)
    fmt = "csv" if request.GET.get("format") == "csv" else "xlsx"
    content, _name, content_type = exports.payment_batch_export(actor=request.user, batch=batch, fmt=fmt)
    return attachment(content, filename=f"互助金支付清单-{batch.org.code}-{batch.pk}.{fmt}", content_type=content_type)


@require_POST
@staff_required
def batch_settle(request, pk: int):
    """Record the bank's answer: one payout failed (with the bank's reason), or all the rest paid."""
    batch = _batch_or_404(request, pk)
    if request.POST.get("payout"):
        form = FailureForm(request.POST)
        if not form.is_valid():
            return _render_batch(request, batch, failure_form=form, status=422)
        failed, paid, done = {_int(request.POST["payout"]): form.cleaned_data["reason"]}, [], _(
            "The payment was marked as failed; retry it in a new batch.")
    else:
        failed, paid, done = {}, None, _("The remaining payments were marked as paid.")
    try:
        services.payment_batch_settle(actor=request.user, batch=batch, failed=failed, paid=paid)
    except ValidationError as exc:
        messages.error(request, _errors(exc))
    else:
        messages.success(request, done)
    return redirect("staff:mutualaid:batch", pk=pk)


@require_POST
@staff_required
def batch_retry(request, pk: int):
    batch = _batch_or_404(request, pk)
    try:
        retry = services.payment_batch_retry(actor=request.user, batch=batch,
                                             idempotency_key=f"retry-{batch.pk}-{request.POST.get('key', '')[:40]}")
    except ValidationError as exc:
        messages.error(request, _errors(exc))
        return redirect("staff:mutualaid:batch", pk=pk)
    messages.success(request, _("The failed payments are in the new batch %(n)s.") % {"n": retry.pk})
    return redirect("staff:mutualaid:batch", pk=retry.pk)
