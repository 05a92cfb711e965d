"""What every service module of mutual aid shares: refusals with a reason code, money input, the
root union, the day of a write."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone

from gonghui.core.money import parse_money
from gonghui.mutualaid.models import Reason
from gonghui.orgs.models import Org


def refuse(code: Reason, message: str | None = None, *, field: str | None = None) -> ValidationError:
    """A ValidationError carrying a Reason code (and its sentence unless a more precise one is given)."""
    error = ValidationError(message or str(Reason(code).label), code=str(code))
    return ValidationError({field: [error]}) if field else error


def reason_of(exc: ValidationError) -> str:
    """The Reason code of a refusal raised by these services ('invalid' when there is none)."""
    for error in exc.error_list if not hasattr(exc, "error_dict") else [e for v in exc.error_dict.values() for e in v]:
        if error.code:
            return error.code
    return Reason.INVALID


def today(on: dt.date | None) -> dt.date:
    """The day of a write: ``on`` if given (demo and bench loads give past days), else today."""
    return on or timezone.localdate()


def money(value, field: str, *, allow_none: bool = False) -> Decimal | None:
    """An amount of yuan from a form, the API or a file (``gonghui.core.money``), or a field error."""
    return parse_money(value, field=field, required=not allow_none)


def root_org() -> Org:
    """The city union: it defines the plans."""
    return Org.objects.get_first_root_node()

