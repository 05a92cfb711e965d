"""Template filters for figures as the union's reports print them.

Counts and money get thousands separators regardless of the active language (a cadre reading
英文界面 still reads 3,039,000); the markup adds tabular figures through the ``num`` class.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from gonghui.core.money import to_fen

register = template.Library()


@register.filter
def num(value) -> str:
    """3039000 → "3,039,000"; None or junk → "—"."""
    if value is None or value == "":
        return "—"
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if number == number.to_integral_value():
        return f"{int(number):,}"
    return f"{number:,.2f}"


@register.filter
def money(value) -> str:
    """Decimal yuan → "1,234.50 元"."""
    if value is None or value == "":
        return "—"
    amount = to_fen(Decimal(str(value)))
    return _("%(amount)s yuan") % {"amount": f"{amount:,.2f}"}


@register.filter
def money_wan(value) -> str:
    """Decimal yuan → "12.35 万元" (ten-thousands of yuan, as reports print large sums)."""
    if value is None or value == "":
        return "—"
    amount = to_fen(Decimal(str(value)) / Decimal(10000))
    return _("%(amount)s ten-thousand yuan") % {"amount": f"{amount:,.2f}"}


@register.filter
def age(birth: dt.date | None, on: dt.date | None = None) -> int | str:
    """Whole years from ``birth`` to ``on`` (today)."""
    if not birth:
        return "—"
    on = on or timezone.localdate()
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


@register.filter
def signed_pct(value) -> str:
    """0.0123 → "+1.2%"; None → ""."""
    if value is None:
        return ""
    return f"{value * 100:+.1f}%"


@register.filter
def bs_widget(field):
    """Render a bound field's widget with Bootstrap classes, error state and described-by ids."""
    widget = field.field.widget
    classes = [widget.attrs.get("class", "")]
    if getattr(widget, "input_type", None) == "select" or widget.__class__.__name__.endswith("Select"):
        classes.append("form-select")
    else:
        classes.append("form-control")
    described = []
    if field.errors:
        classes.append("is-invalid")
        described.append(f"{field.id_for_label}-error")
    if field.help_text:
        described.append(f"{field.id_for_label}-help")
    attrs = {"class": " ".join(c for c in classes if c)}
    if described:
        attrs["aria-describedby"] = " ".join(described)
    if field.errors:
        attrs["aria-invalid"] = "true"
    return field.as_widget(attrs=attrs)


@register.filter
def group4(value) -> str:
    """A card number in groups of four, as printed on cards: "5105 0000 0000 1290"."""
    if not value:
        return ""
    text = str(value)
    return " ".join(text[i:i + 4] for i in range(0, len(text), 4))
