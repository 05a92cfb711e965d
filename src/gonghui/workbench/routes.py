"""Where a module's pages and API live: the URL includes and routers that apps register.

In ``AppConfig.ready()``::

    from gonghui.workbench import routes

    routes.register_staff_urls("aid/", "gonghui.mutualaid.staff_urls")    # /staff/aid/, staff:mutualaid:…
    routes.register_portal_urls("aid/", "gonghui.mutualaid.portal_urls")  # /aid/, portal:mutualaid:…
    routes.register_api_router("/aid", "gonghui.mutualaid.api:router")    # /api/v1/aid/…

Modules are named by their dotted path and imported only when the URLconf (or the API root) loads,
which Django does after every app is ready, so a registration is never too late. A URL module with
an ``app_name`` gets its namespace under the shell's (``staff:mutualaid:home``); one without adds
its names to the shell's own (``staff:members``). They are included in the order they registered
(the order of INSTALLED_APPS), after the shell's own pages.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.urls import include, path
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Route:
    prefix: str
    target: str  # "package.module" for URLs, "package.module:attribute" for an API router


_routes: dict[str, dict[str, Route]] = {"staff": {}, "portal": {}, "api": {}}


def _register(kind: str, prefix: str, target: str) -> Route:
    route = _routes[kind][prefix] = Route(prefix, target)
    return route


def register_staff_urls(prefix: str, module: str) -> Route:
    return _register("staff", prefix, module)


def register_portal_urls(prefix: str, module: str) -> Route:
    return _register("portal", prefix, module)


def register_api_router(prefix: str, router: str) -> Route:
    return _register("api", prefix, router)


def _registered(kind: str) -> list[Route]:
    apps.check_apps_ready()  # imported before every app registered, a URLconf would lose pages silently
    return list(_routes[kind].values())


def staff_urlpatterns() -> list:
    return [path(r.prefix, include(r.target)) for r in _registered("staff")]


def portal_urlpatterns() -> list:
    return [path(r.prefix, include(r.target)) for r in _registered("portal")]


def api_routers() -> list[tuple[str, object]]:
    """(prefix, ninja router) of every registered router, imported now."""
    return [(r.prefix, import_string(r.target.replace(":", "."))) for r in _registered("api")]
