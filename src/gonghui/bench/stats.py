"""`gonghui bench stats`: latency of GET /api/v1/orgs/{code}/stats at four levels of the tree.

Method. Through Django's test client (the whole request path: middleware, token auth, scope,
queries, JSON), for the city (NB), a district (YZ), the district's first township and that township's
first grassroots union: 5 warm-up requests, then ``repeat`` timed requests each; p50 and p95.
"""

from __future__ import annotations

import time

from django.test import Client

from gonghui.bench.common import Metric, bench_actor, percentile
from gonghui.core.services import api_token_issue
from gonghui.members.models import Member
from gonghui.orgs.models import Org, OrgKind


def levels() -> list[tuple[str, Org]]:
    city = Org.objects.filter(code="NB").first() or Org.objects.filter(depth=1).first()
    if city is None:
        raise RuntimeError("No unions in the database: run `gonghui demo` first.")
    district = Org.objects.filter(code="YZ").first() or Org.objects.filter(depth=2).first()
    township = Org.objects.filter(path__startswith=district.path, depth=district.depth + 1,
                                  kind=OrgKind.TOWNSHIP).first()
    levels = [("city", city), ("district", district)]
    if township is not None:
        levels.append(("township", township))
        grassroots = Org.objects.filter(path__startswith=township.path, depth=township.depth + 1).first()
        if grassroots is not None:
            levels.append(("enterprise", grassroots))
    return levels


def run(repeat: int = 50) -> list[Metric]:
    client = Client()
    token = api_token_issue(user=bench_actor())
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    members = Member.objects.count()
    metrics = []
    for level, org in levels():
        url = f"/api/v1/orgs/{org.code}/stats"
        for _ in range(5):
            assert client.get(url, **headers).status_code == 200
        samples = []
        for _ in range(repeat):
            started = time.perf_counter()
            response = client.get(url, **headers)
            samples.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.content
        subtree = response.json()["members"]
        extra = {"level": level, "org": org.code, "subtree_members": subtree, "db_members": members}
        metrics.append(Metric("stats", "p50_ms", round(percentile(samples, 50), 2), "ms", extra))
        metrics.append(Metric("stats", "p95_ms", round(percentile(samples, 95), 2), "ms", extra))
    return metrics
