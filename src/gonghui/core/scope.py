"""Who may see and do what: one function turns a user into the org paths they may reach.

A role is held on one org and covers its whole subtree (hitobito's layer model). Every
selector and service asks ``scope_for(user, permission)`` and filters by the result; nothing
else decides visibility. The answer is cached on the user object, i.e. per request.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.utils.translation import gettext as _

from gonghui.core.models import Role, RoleKind
from gonghui.core.paths import subtree_q


class Perm(StrEnum):
    READ = "read"  # see orgs, statistics and masked member lists of the subtree
    MANAGE = "manage"  # add and edit orgs and members of the subtree
    REVEAL = "reveal"  # see a member's full ID number (audited)
    MEDIATE = "mediate"  # work dispute cases of the subtree


ROLE_PERMISSIONS: dict[str, frozenset[Perm]] = {
    RoleKind.CADRE: frozenset({Perm.READ, Perm.MANAGE, Perm.REVEAL}),
    RoleKind.VIEWER: frozenset({Perm.READ}),
    RoleKind.MEDIATOR: frozenset({Perm.READ, Perm.MEDIATE}),
    RoleKind.LAWYER: frozenset({Perm.READ, Perm.MEDIATE}),
}


@dataclass(frozen=True)
class Scope:
    """The org subtrees (by materialised path) a user reaches with one permission."""

    paths: tuple[str, ...]
    everything: bool = False

    @property
    def empty(self) -> bool:
        return not self.everything and not self.paths

    def q(self, field: str = "path") -> Q:
        if self.everything:
            return Q()
        if not self.paths:
            return Q(pk__in=[])
        q = Q()
        for path in self.paths:
            q |= subtree_q(path, field)
        return q

    def covers(self, path: str) -> bool:
        return self.everything or any(path.startswith(p) for p in self.paths)


def _minimal(paths: set[str]) -> tuple[str, ...]:
    """Drop paths that lie inside another path of the set."""
    kept: list[str] = []
    for path in sorted(paths):
        if not kept or not path.startswith(kept[-1]):
            kept.append(path)
    return tuple(kept)


def scope_for(user, permission: Perm | str = Perm.READ) -> Scope:
    if user is None or not user.is_authenticated or not user.is_active:
        return Scope(paths=())
    cache = user.__dict__.setdefault("_gonghui_scopes", {})
    permission = Perm(permission)
    if permission not in cache:
        if user.is_superuser:
            cache[permission] = Scope(paths=(), everything=True)
        else:
            kinds = [k for k, perms in ROLE_PERMISSIONS.items() if permission in perms]
            paths = Role.objects.filter(user=user, kind__in=kinds).values_list("org__path", flat=True)
            cache[permission] = Scope(paths=_minimal(set(paths)))
    return cache[permission]


def forget_scope(user) -> None:
    user.__dict__.pop("_gonghui_scopes", None)


def require(user, permission: Perm | str, path: str) -> None:
    """Raise PermissionDenied unless ``user`` holds ``permission`` on the org at ``path``."""
    if not scope_for(user, permission).covers(path):
        raise PermissionDenied(_("You have no right to do this for this union."))


def is_staff_user(user) -> bool:
    return not scope_for(user, Perm.READ).empty
