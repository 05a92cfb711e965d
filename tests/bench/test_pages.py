"""`gonghui bench pages` on the tiny demo: every daily page of four cadres and the worker, with its
p50, p95 and query count, in the JSON contract (metric ``p95_ms`` with ``page`` and ``level``)."""

import json
from io import StringIO

from django.contrib.auth import get_user_model
from django.core.management import call_command

from gonghui.core.models import Role
from tests.demo.conftest import demo  # noqa: F401  (fixture)


def test_bench_pages_measures_each_page_for_each_level_and_leaves_nothing_behind(demo):
    users, roles = get_user_model().objects.count(), Role.objects.count()
    out = StringIO()
    call_command("bench", "pages", "--repeat", "2", "--json", stdout=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    p95 = {(line["level"], line["page"]): line for line in lines if line["metric"] == "p95_ms"}
    assert {level for level, _page in p95} == {"city", "district", "township", "enterprise", "worker"}
    for level in ("city", "district", "township", "enterprise"):
        pages = {page for lvl, page in p95 if lvl == level}
        # The menu's pages (each module's home among them), the member pages and the API reads.
        assert {"home", "orgs", "members", "joins", "transfers", "stats", "disputes", "aid",
                "member_search", "api_org", "api_members"} <= pages, (level, pages)
    assert {"portal_home", "portal_services", "portal_me", "tile_mutual_aid"} <= {p for lvl, p in p95 if lvl == "worker"}
    assert all(line["value"] > 0 and line["queries"] > 0 for line in p95.values())
    # The township and enterprise cadres were made for the run only.
    assert (get_user_model().objects.count(), Role.objects.count()) == (users, roles)
