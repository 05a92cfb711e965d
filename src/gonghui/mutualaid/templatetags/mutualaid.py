"""Template filters of the mutual-aid pages."""

from django import template

from gonghui.mutualaid.models import Reason

register = template.Library()


@register.filter
def reason_label(code) -> str:
    """The sentence for a refusal or rejection code; pages show it, never the code."""
    return str(Reason(code).label) if code in Reason.values else str(code or "")
