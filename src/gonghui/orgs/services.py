"""Writes to the union tree. Each function is one transaction and one audit line."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from gonghui.core import audit
from gonghui.core.ids import parse_credit_code
from gonghui.core.scope import Perm, require
from gonghui.orgs.models import Org, OrgKind
from gonghui.orgs.tallies import org_tally_delta
from gonghui.stats import tallies

EDITABLE_FIELDS = ("name", "kind", "is_new_form", "credit_code", "star_rating")
# Codes appear in URLs (/orgs/{code}) and roster files: letters, digits, '-' and '_'.
CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,31}$")


def _clean(fields: dict) -> dict:
    fields = dict(fields)
    if "name" in fields:
        fields["name"] = (fields["name"] or "").strip()
        if not fields["name"]:
            raise ValidationError({"name": _("Enter the union's name.")})
        if len(fields["name"]) > 200:
            raise ValidationError({"name": _("A union's name has at most 200 characters.")})
    if "kind" in fields and fields["kind"] not in OrgKind.values:
        raise ValidationError({"kind": _("Unknown kind of union.")})
    if fields.get("credit_code"):
        try:
            fields["credit_code"] = parse_credit_code(fields["credit_code"])
        except ValidationError as exc:
            raise ValidationError({"credit_code": exc.messages}) from None
    if fields.get("star_rating") is not None:
        try:
            fields["star_rating"] = int(fields["star_rating"])
        except (TypeError, ValueError):
            raise ValidationError({"star_rating": _("A star rating is 1 to 5 stars.")}) from None
        if not 1 <= fields["star_rating"] <= 5:
            raise ValidationError({"star_rating": _("A star rating is 1 to 5 stars.")})
    if "is_new_form" in fields:
        fields["is_new_form"] = bool(fields["is_new_form"])
    if fields.get("kind") == OrgKind.NEW_FORM:
        fields["is_new_form"] = True
    return fields


def org_create(*, actor, parent: Org, code: str, name: str, kind: str, is_new_form: bool = False,
               credit_code: str = "", star_rating: int | None = None) -> Org:
    require(actor, Perm.MANAGE, parent.path)
    code = (code or "").strip().upper()
    if not code:
        raise ValidationError({"code": _("Enter a union code.")})
    if not CODE_RE.match(code):
        raise ValidationError(
            {"code": _("A union code is up to 32 letters, digits, '-' or '_', starting with a letter or digit.")}
        )
    fields = _clean(dict(name=name, kind=kind, is_new_form=is_new_form, credit_code=credit_code or "",
                         star_rating=star_rating))
    taken = ValidationError({"code": _("Another union already uses this code.")})
    try:
        with transaction.atomic():
            if Org.objects.filter(code=code).exists():
                raise taken
            parent = Org.objects.select_for_update().get(pk=parent.pk)  # children get consecutive paths
            org = Org.objects.add_child(parent, dict(code=code, **fields))
            tallies.apply(org_tally_delta(org, +1))
            audit.record(actor=actor, action="org.create", obj=org, org_path=org.path,
                         data={"code": code, "parent": parent.code, "kind": fields["kind"]})
    except IntegrityError:
        # Another request took the code between our check and our insert.
        if Org.objects.filter(code=code).exists():
            raise taken from None
        raise
    return org


def org_update(*, actor, org: Org, **changes) -> Org:
    require(actor, Perm.MANAGE, org.path)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    changes = _clean(changes)
    with transaction.atomic():
        org = Org.objects.select_for_update().get(pk=org.pk)
        before = {k: getattr(org, k) for k in changes}
        uncounted = org_tally_delta(org, -1)
        for key, value in changes.items():
            setattr(org, key, value)
        org.save(update_fields=[*changes, "updated_at"])
        if org.is_new_form != before.get("is_new_form", org.is_new_form):
            tallies.apply(tallies.combine(uncounted, org_tally_delta(org, +1)))
        diff = {k: [before[k], v] for k, v in changes.items() if before[k] != v}
        audit.record(actor=actor, action="org.update", obj=org, org_path=org.path, data={"changes": diff})
    return org
