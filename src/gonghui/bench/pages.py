"""`gonghui bench pages`: server time and queries of the pages a cadre and a worker open daily.

Method. Through Django's test client in this process (the whole request path: middleware,
session, scope, queries, template), logged in as a cadre of the city (NB), a district (YZ), the
district's first township and that township's first grassroots union, and as the demo's
``worker``. A cadre's pages are the workbench home, every entry of the menu that user sees (so a
module's pages are measured as soon as it registers its menu entry), the first page of the
member list of their union, the member search, the newest member's detail page, and the API's
org and member-list reads; the worker's are the member home, 办事, 我的 and every service tile
with a page. Each page: 3 warm-up requests, then ``repeat`` timed ones; p50, p95 and the queries
of one request. Cadres missing at a level are created for the run inside a transaction that is
rolled back at the end, so the database ends as it began.
"""

from __future__ import annotations

import time

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test import Client
from django.urls import NoReverseMatch, reverse

from gonghui.bench.common import Metric, percentile
from gonghui.bench.stats import levels
from gonghui.core.models import Role, RoleKind
from gonghui.core.services import api_token_issue
from gonghui.members.models import Member
from gonghui.orgs.models import Org
from gonghui.workbench import menu, portal

WARM_UP = 3


def _cadre(org: Org, level: str):
    role = Role.objects.select_related("user").filter(org=org, kind=RoleKind.CADRE, user__is_active=True).first()
    if role is not None:
        return role.user
    user = get_user_model().objects.create(username=f"bench-{level}-{org.code}"[:150], is_active=True)
    Role.objects.create(user=user, org=org, kind=RoleKind.CADRE)
    return user


def _cadre_pages(user, org: Org) -> list[tuple[str, str, dict]]:
    pages = [(item["key"], item["href"], {}) for item in menu.build(user, org) if "href" in item]
    pages.append(("member_search", reverse("staff:members", args=[org.code]) + "?q=王", {}))
    newest = Member.objects.filter(org_path__startswith=org.path).order_by("-id").first()
    if newest is not None:
        pages.append(("member_detail", reverse("staff:member", args=[newest.pk]), {}))
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {api_token_issue(user=user)}"}
    pages.append(("api_org", f"/api/v1/orgs/{org.code}", bearer))
    pages.append(("api_members", f"/api/v1/members?org={org.code}&page=1", bearer))
    return pages


def _worker_pages(user) -> list[tuple[str, str, dict]]:
    pages = [("portal_home", reverse("portal:home"), {}), ("portal_services", reverse("portal:services"), {}),
             ("portal_me", reverse("portal:me"), {})]
    for tile in portal.tiles(user):
        if tile.url:
            try:
                pages.append((f"tile_{tile.key}", reverse(tile.url), {}))
            except NoReverseMatch:
                continue
    seen: set[str] = set()  # two tiles may open one page (the card and the membership: 我的)
    return [page for page in pages if not (page[1] in seen or seen.add(page[1]))]


def _measure(client: Client, level: str, pages, repeat: int) -> list[Metric]:
    metrics = []
    for page, url, headers in pages:
        for _ in range(WARM_UP):
            response = client.get(url, **headers)
            if response.status_code != 200:
                raise RuntimeError(f"{page} ({url}) answered {response.status_code} as the {level} user.")
        queries = []  # counted by a wrapper: the test client's request resets connection.queries
        with connection.execute_wrapper(lambda execute, sql, params, many, context: (
                queries.append(sql), execute(sql, params, many, context))[1]):
            client.get(url, **headers)
        samples = []
        for _ in range(repeat):
            started = time.perf_counter()
            client.get(url, **headers)
            samples.append((time.perf_counter() - started) * 1000)
        extra = {"page": page, "level": level, "url": url, "queries": len(queries)}
        metrics.append(Metric("pages", "p50_ms", round(percentile(samples, 50), 2), "ms", extra))
        metrics.append(Metric("pages", "p95_ms", round(percentile(samples, 95), 2), "ms", extra))
    return metrics


def run(repeat: int = 20) -> list[Metric]:
    metrics: list[Metric] = []
    with transaction.atomic():
        for level, org in levels():
            client = Client()
            user = _cadre(org, level)
            client.force_login(user)
            metrics += _measure(client, level, _cadre_pages(user, org), repeat)
        worker = get_user_model().objects.filter(username="worker", is_active=True).first()
        if worker is not None:
            client = Client()
            client.force_login(worker)
            metrics += _measure(client, "worker", _worker_pages(worker), repeat)
        transaction.set_rollback(True)
    return metrics
