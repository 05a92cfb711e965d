"""Plan years of medical mutual aid: defined by the city union, immutable once anyone is enrolled
(the next year is a new row, a new version)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from gonghui.core import audit
from gonghui.core.dates import add_years
from gonghui.core.scope import Perm, require
from gonghui.mutualaid import rules
from gonghui.mutualaid.models import Eligibility, Plan, Product, Reason
from gonghui.mutualaid.selectors import plan_locked
from gonghui.mutualaid.services.common import money, refuse, root_org

PLAN_FIELDS = ("name", "fee", "window_start", "window_end", "cover_start", "cover_end", "eligibility",
               "deductible", "tiers", "yearly_cap", "stay_cap", "allows_dependants")


def _clean_plan(fields: dict, *, product: str, year: int) -> dict:
    out = dict(fields)
    errors: dict[str, list] = {}

    def bad(field, message):
        errors.setdefault(field, []).append(ValidationError(message, code="invalid"))

    out["name"] = " ".join(str(out.get("name") or "").split())[:100] or None
    if not out["name"]:
        bad("name", _("Give the plan a name."))
    for field in ("fee", "deductible", "yearly_cap"):
        try:
            out[field] = money(out.get(field), field)
        except ValidationError as exc:
            errors.update(exc.error_dict)
    try:
        out["stay_cap"] = money(out.get("stay_cap"), "stay_cap", allow_none=True)
    except ValidationError as exc:
        errors.update(exc.error_dict)
    try:
        out["tiers"] = rules.tiers_json(rules.parse_tiers(out.get("tiers") or []))
    except ValidationError as exc:
        errors["tiers"] = exc.error_list
    if out.get("eligibility") not in Eligibility.values:
        bad("eligibility", _("Choose who may enrol."))
    for field in ("window_start", "window_end", "cover_start", "cover_end"):
        if not isinstance(out.get(field), dt.date) or isinstance(out.get(field), dt.datetime):
            bad(field, _("Enter a date."))
    if not any(f in errors for f in ("window_start", "window_end", "cover_start", "cover_end")):
        if out["window_end"] < out["window_start"]:
            bad("window_end", _("The enrolment period ends before it starts."))
        if out["cover_end"] < out["cover_start"]:
            bad("cover_end", _("The period of cover ends before it starts."))
        if out["cover_start"].year != year:
            bad("cover_start", _("Cover starts in the plan's year."))
        if out["window_start"] > out["cover_end"]:
            bad("window_start", _("Enrolment opens before the period of cover ends."))
    if product == Product.RETIREE_INPATIENT and out.get("eligibility") == Eligibility.IN_SERVICE:
        bad("eligibility", _("The retiree product is for retired members."))
    if errors:
        raise ValidationError(errors)
    out["allows_dependants"] = bool(out.get("allows_dependants"))
    return out


def plan_create(*, actor, product: str, year: int, name: str, fee, window_start: dt.date, window_end: dt.date,
                deductible, tiers, yearly_cap, stay_cap=None, cover_start: dt.date | None = None,
                cover_end: dt.date | None = None, eligibility: str | None = None,
                allows_dependants: bool = False) -> Plan:
    """Define a product's plan for a year (city union only). The version counts the product's plans."""
    root = root_org()
    require(actor, Perm.MANAGE, root.path)
    if product not in Product.values:
        raise ValidationError({"product": _("Unknown product.")}, code="invalid")
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        raise ValidationError({"year": _("Enter a year between 2000 and 2100.")}, code="invalid")
    eligibility = eligibility or (Eligibility.RETIREE if product == Product.RETIREE_INPATIENT else Eligibility.IN_SERVICE)
    fields = _clean_plan(dict(
        name=name, fee=fee, window_start=window_start, window_end=window_end,
        cover_start=cover_start or dt.date(year, 1, 1), cover_end=cover_end or dt.date(year, 12, 31),
        eligibility=eligibility, deductible=deductible, tiers=tiers, yearly_cap=yearly_cap, stay_cap=stay_cap,
        allows_dependants=allows_dependants), product=product, year=year)
    if Plan.objects.filter(product=product, year=year).exists():
        raise ValidationError({"year": _("This product already has a plan for that year.")}, code="invalid")
    try:
        with transaction.atomic():
            version = (Plan.objects.filter(product=product).order_by("-version")
                       .values_list("version", flat=True).first() or 0) + 1
            plan = Plan.objects.create(product=product, year=year, version=version, org=root, org_path=root.path,
                                       created_by=actor, **fields)
            audit.record(actor=actor, action="aid.plan_create", obj=plan, org_path=root.path,
                         data={"product": product, "year": year, "version": version})
    except IntegrityError:
        raise ValidationError({"year": _("This product already has a plan for that year.")}, code="invalid") from None
    return plan


def plan_update(*, actor, plan: Plan, **changes) -> Plan:
    """Change a plan year's rules while nobody is enrolled; afterwards refuse (code plan_locked)."""
    require(actor, Perm.MANAGE, plan.org_path)
    unknown = set(changes) - set(PLAN_FIELDS)
    if unknown:
        raise ValidationError(_("These fields cannot be changed: %(fields)s") % {"fields": ", ".join(sorted(unknown))},
                              code="invalid")
    with transaction.atomic():
        plan = Plan.objects.select_for_update().get(pk=plan.pk)
        if plan_locked(plan=plan):
            raise refuse(Reason.PLAN_LOCKED, _("Members are enrolled in this plan year: its rules can no longer "
                                               "change. Define next year's plan instead."))
        current = {f: getattr(plan, f) for f in PLAN_FIELDS}
        fields = _clean_plan({**current, **changes}, product=plan.product, year=plan.year)
        changed = {f: str(fields[f]) for f in PLAN_FIELDS if fields[f] != current[f]}
        for f in PLAN_FIELDS:
            setattr(plan, f, fields[f])
        plan.save(update_fields=list(PLAN_FIELDS))
        audit.record(actor=actor, action="aid.plan_update", obj=plan, org_path=plan.org_path,
                     data={"changed": sorted(changed)})
    return plan


def plan_next_year(*, actor, plan: Plan, year: int | None = None, **overrides) -> Plan:
    """Next year's plan of the same product: a new row (version) starting from this one's rules."""
    year = year or plan.year + 1
    shift = year - plan.year

    fields = {f: getattr(plan, f) for f in PLAN_FIELDS}
    for f in ("window_start", "window_end", "cover_start", "cover_end"):
        fields[f] = add_years(fields[f], shift)
    fields["name"] = plan.name.replace(str(plan.year), str(year))
    fields.update(overrides)
    return plan_create(actor=actor, product=plan.product, year=year, **fields)

