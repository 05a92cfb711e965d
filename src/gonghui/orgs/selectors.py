"""Reads of the union tree, always within the caller's scope."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from gonghui.core.paths import subtree_q
from gonghui.core.scope import Perm, scope_for
from gonghui.orgs.models import Org


class OrgNotFound(Exception):
    """No union the caller may see has this code: unknown, or outside their subtree (answer 404).

    Both answer alike, so that codes of other subtrees cannot be found by trying them.
    """


class OrgOutOfScope(Exception):
    """The caller sees the union but lacks the permission asked for (a viewer asking to manage: 403)."""


def org_visible(*, user, perm: Perm = Perm.READ) -> QuerySet[Org]:
    return Org.objects.filter(scope_for(user, perm).q("path"))


def org_get(*, user, code: str, perm: Perm = Perm.READ) -> Org:
    """The org with this code, if the user reaches it with ``perm``.

    A union the user cannot even read is "not found", exactly as an unknown code; one they read but
    may not act on with ``perm`` is out of scope.
    """
    org = Org.objects.filter(code=code).first()
    if org is None or not scope_for(user, Perm.READ).covers(org.path):
        raise OrgNotFound(code)
    if not scope_for(user, perm).covers(org.path):
        raise OrgOutOfScope(code)
    return org


def org_parent_code(*, org: Org) -> str | None:
    """The code of the union directly above ``org`` (its own path minus one step)."""
    if org.depth <= 1:
        return None
    return Org.objects.filter(path=org.path[: -Org.steplen]).values_list("code", flat=True).first()


def org_roots(*, user) -> list[Org]:
    """The highest orgs the user reaches: where their workbench starts."""
    scope = scope_for(user, Perm.READ)
    if scope.everything:
        return list(Org.objects.get_root_nodes())
    return list(Org.objects.filter(path__in=scope.paths).order_by("path"))


def org_children(*, user, org: Org) -> QuerySet[Org]:
    # Children are one step deeper under the same path prefix; filtered by scope as well, so that a
    # caller who forgot to check ``org`` still gets nothing outside the subtree.
    return (
        Org.objects.filter(scope_for(user, Perm.READ).q("path"))
        .filter(subtree_q(org.path), depth=org.depth + 1)
        .order_by("path")
    )


def org_ancestors_in_scope(*, user, org: Org) -> list[Org]:
    """Breadcrumbs: the org's ancestors the user may see, then the org itself."""
    scope = scope_for(user, Perm.READ)
    paths = [org.path[: i * Org.steplen] for i in range(1, org.depth)]
    ancestors = [a for a in Org.objects.filter(path__in=paths).order_by("depth") if scope.covers(a.path)]
    return [*ancestors, org]


def org_search(*, user, within: Org, text: str, limit: int = 50) -> QuerySet[Org]:
    """Orgs of ``within``'s subtree whose name contains ``text`` or whose code starts with it."""
    text = text.strip()
    qs = Org.objects.filter(scope_for(user, Perm.READ).q("path")).filter(subtree_q(within.path))
    if text:
        qs = qs.filter(Q(name__icontains=text) | Q(code__istartswith=text))
    return qs.order_by("path")[:limit]
