"""`gonghui bench rush` and `gonghui bench lottery`: the activities engine under a rush, and a big draw.

rush — method:
1. a scratch union (code ``RUSHBENCH``) with ``--claims / 2`` members, each with an account and a
   bearer token (set-based), and one first-come activity of ``--places`` places;
2. the real server: gunicorn (``--server-workers`` processes of 8 threads, the project's WSGI app,
   the same database) on a free loopback port;
3. timed: ``--clients`` client threads, each with its own keep-alive HTTP connection, send the
   trivial authenticated endpoint (``GET /api/v1/activities/mine/card``: token, member, a
   signature) ``--claims / 4`` times — the baseline — and then the ``--claims`` claims
   (``POST /api/v1/activities/{id}/register``), every member twice in a shuffled order, so that a
   person clicking twice is part of the rush;
4. checked from the database: ``granted`` (confirmed registrations), ``granted_twice`` (members
   holding more than one), the activity's ``taken``; from the answers: ``server_errors`` (5xx),
   ``told_full`` (409 full), ``told_duplicate``, others;
5. everything it made is deleted (its audit lines stay: the log is append-only).
Metrics: granted, granted_twice, server_errors, claims_per_s, p50_ms, p99_ms, trivial_per_s,
vs_trivial (claims/s ÷ trivial req/s).

lottery — method: ``--entrants`` registrations (priority group 1 for every tenth) for ``--places``
places with tickets made from a fixed seed, so both databases hold the same entrants; timed:
``services.draw_run`` with seed ``bench``. Metrics: draw_s, winners and ``winners_digest`` (the first
12 hex digits of SHA-256 over the winning tickets in order, the same on SQLite and PostgreSQL).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import http.client
import json
import os
import random
import secrets
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.db.models import Count, Exists, OuterRef
from django.utils import timezone

from gonghui.bench.common import Metric, bench_actor, percentile, vacuum
from gonghui.bench.extensions import Bench, Option, at_least_one

CODE = "RUSHBENCH"


def _org():
    from gonghui.orgs.models import Org

    left = Org.objects.filter(code=CODE).first()
    if left is not None:  # an earlier run that was killed
        _cleanup(left)
    return Org.objects.add_root({"code": CODE, "name": "抢名额压测工会", "kind": "enterprise"})


def _people(org, n: int, *, users: bool) -> list[tuple[int, str | None]]:
    """``n`` members of ``org`` (synthetic digests; no real ID numbers), each with an account and a
    token when ``users``: [(member id, token or None)]."""
    from gonghui.core.models import ApiToken
    from gonghui.core.services import token_digest
    from gonghui.members.models import Member

    User = get_user_model()
    stamp = secrets.token_hex(4)
    user_ids: list[int | None] = [None] * n
    tokens: list[str | None] = [None] * n
    if users:
        made = User.objects.bulk_create([User(username=f"rush-{stamp}-{i}", password="!") for i in range(n)],
                                        batch_size=2000)
        if made[0].pk is None:  # SQLite before RETURNING: read them back
            made = list(User.objects.filter(username__startswith=f"rush-{stamp}-").order_by("pk"))
        user_ids = [u.pk for u in made]
        tokens = ["gh_" + secrets.token_urlsafe(32) for _ in range(n)]
        expires = timezone.now() + dt.timedelta(days=1)
        ApiToken.objects.bulk_create([ApiToken(user_id=u, key_hash=token_digest(t), expires_at=expires)
                                      for u, t in zip(user_ids, tokens, strict=True)], batch_size=2000)
    today = timezone.localdate()
    Member.objects.bulk_create([
        Member(org_id=org.pk, org_path=org.path, name=f"职工{i}", id_hash=f"rush{stamp}{i:012d}".ljust(64, "0"),
               id_cipher=b"", id_masked="330************0", birth_date=dt.date(1990, 1, 1), sex="M",
               region_code="330212", pii_key_id="bench", joined_on=today, user_id=user_ids[i])
        for i in range(n)], batch_size=2000)
    ids = list(Member.objects.filter(org_path=org.path).order_by("pk").values_list("pk", flat=True))
    return list(zip(ids, tokens, strict=True))


def _cleanup(org) -> None:
    from gonghui.activities.models import Activity, Registration
    from gonghui.core.models import ApiToken, AuditEntry
    from gonghui.members.models import Member
    from gonghui.stats import activity as ledger
    from gonghui.stats.models import Activity as LedgerRow

    activities = Activity.objects.filter(org_path=org.path)
    Registration.objects.filter(activity__in=activities).delete()
    activities.delete()
    members = Member.objects.filter(org_path=org.path)
    user_ids = list(members.exclude(user_id=None).values_list("user_id", flat=True))
    members.delete()
    # Accounts named in the audit log (those granted a place) stay, deactivated: the log is append-only.
    User = get_user_model()
    for i in range(0, len(user_ids), 5000):
        part = User.objects.filter(pk__in=user_ids[i:i + 5000])
        ApiToken.objects.filter(user__in=part).delete()
        part.filter(Exists(AuditEntry.objects.filter(actor=OuterRef("pk")))).update(is_active=False)
        part.exclude(Exists(AuditEntry.objects.filter(actor=OuterRef("pk")))).delete()
    LedgerRow.objects.filter(path__startswith=org.path).delete()
    ledger.refresh_totals(["registrations"])
    org.delete()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server(port: int, workers: int) -> subprocess.Popen:
    log = tempfile.TemporaryFile()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    gunicorn = Path(sys.executable).with_name("gunicorn")
    proc = subprocess.Popen([str(gunicorn), "gonghui.wsgi:application", "--bind", f"127.0.0.1:{port}",
                             "--workers", str(workers), "--worker-class", "gthread", "--threads", "8",
                             "--keep-alive", "30", "--log-level", "warning", "--backlog", "2048"],
                            env=env, stdout=subprocess.DEVNULL, stderr=log)  # a pipe would fill and block it
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    log.seek(0)
    raise RuntimeError("gunicorn did not start: " + log.read().decode(errors="replace")[-2000:])


def _hammer(port: int, requests: list[tuple[str, str, str]], clients: int) -> tuple[float, list[float], list[int]]:
    """Send (method, path, token) requests from ``clients`` threads; (seconds, latencies ms, statuses)."""
    lock = threading.Lock()
    position = iter(range(len(requests)))
    latencies: list[float] = [0.0] * len(requests)
    statuses: list[int] = [0] * len(requests)
    bodies: list[bytes] = [b""] * len(requests)
    start = threading.Barrier(clients + 1)

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        start.wait()
        while True:
            with lock:
                i = next(position, None)
            if i is None:
                break
            method, path, token = requests[i]
            body = b"{}" if method == "POST" else None
            headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            t0 = time.perf_counter()
            for attempt in range(2):
                try:
                    conn.request(method, path, body=body, headers=headers)
                    response = conn.getresponse()
                    bodies[i] = response.read()
                    statuses[i] = response.status
                    break
                except (http.client.HTTPException, OSError):  # a keep-alive connection closed by the server
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                    statuses[i] = -1
            latencies[i] = (time.perf_counter() - t0) * 1000
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - t0
    statuses_codes = []
    for status, body in zip(statuses, bodies, strict=True):
        code = ""
        if status in (409, 422):
            try:
                code = json.loads(body).get("code", "")
            except ValueError:
                code = ""
        statuses_codes.append((status, code))
    return seconds, latencies, statuses_codes


def rush(options) -> list[Metric]:
    from gonghui.activities import services
    from gonghui.activities.models import Activity, ActivityKind, Mode, Registration, RegStatus

    claims, places, clients = options["claims"], options["places"], options["clients"]
    members_n = max(claims // 2, places + 1)
    org = _org()
    try:
        people = _people(org, members_n, users=True)
        kind, _ = ActivityKind.objects.get_or_create(code="benefit", defaults={"name": "普惠活动", "is_benefit": True})
        start = timezone.now() + dt.timedelta(days=7)
        activity = services.activity_create(actor=bench_actor(), org=org, kind=kind, title="五一普惠电影票",
                                            mode=Mode.FIRST_COME, capacity=places, sessions=[(start, None)])
        vacuum([Registration, Activity])
        rng = random.Random(7)
        tokens = [t for _m, t in people]
        claim_list = [("POST", f"/api/v1/activities/{activity.pk}/register", t) for t in tokens * 2][:claims]
        rng.shuffle(claim_list)
        trivial = [("GET", "/api/v1/activities/mine/card", rng.choice(tokens)) for _ in range(max(claims // 4, 1))]
        port = _free_port()
        server = _server(port, options["server_workers"])
        try:
            _hammer(port, trivial[:min(len(trivial), 500)], clients)  # warm the workers' connections
            t_seconds, _t_lat, t_status = _hammer(port, trivial, clients)
            c_seconds, c_lat, c_status = _hammer(port, claim_list, clients)
        finally:
            server.terminate()
            server.wait(timeout=30)
        granted = Registration.objects.filter(activity=activity, status=RegStatus.CONFIRMED).count()
        twice = (Registration.objects.filter(activity=activity).values("member_id").annotate(n=Count("id"))
                 .filter(n__gt=1).count())
        taken = Activity.objects.get(pk=activity.pk).taken
        errors = sum(1 for s, _c in c_status + t_status if s >= 500 or s < 0)
        told = {"full": 0, "duplicate": 0}
        ok = 0
        for status, code in c_status:
            if status == 201:
                ok += 1
            elif code in told:
                told[code] += 1
        other = len(c_status) - ok - sum(told.values())
        claims_per_s = len(claim_list) / c_seconds
        trivial_per_s = len(trivial) / t_seconds
        extra = {"claims": len(claim_list), "places": places, "clients": clients,
                 "server_workers": options["server_workers"]}
        return [
            Metric("rush", "granted", granted, "places", {**extra, "taken": taken, "answered_201": ok}),
            Metric("rush", "granted_twice", twice, "members"),
            Metric("rush", "server_errors", errors, "answers"),
            Metric("rush", "told_full", told["full"], "answers"),
            Metric("rush", "told_duplicate", told["duplicate"], "answers", {"other": other}),
            Metric("rush", "claims_per_s", round(claims_per_s, 1), "req/s"),
            Metric("rush", "p50_ms", round(percentile(c_lat, 50), 1), "ms"),
            Metric("rush", "p99_ms", round(percentile(c_lat, 99), 1), "ms"),
            Metric("rush", "trivial_per_s", round(trivial_per_s, 1), "req/s", {"requests": len(trivial)}),
            Metric("rush", "vs_trivial", round(claims_per_s / trivial_per_s, 3), "ratio"),
        ]
    finally:
        _cleanup(org)


def lottery(options) -> list[Metric]:
    from gonghui.activities import services
    from gonghui.activities.models import Activity, ActivityKind, Mode, Registration, RegStatus

    entrants, places = options["entrants"], options["places"]
    org = _org()
    try:
        people = _people(org, entrants, users=False)
        kind, _ = ActivityKind.objects.get_or_create(code="recuperation", defaults={"name": "疗休养", "is_benefit": True})
        now = timezone.now()
        activity = services.activity_create(
            actor=bench_actor(), org=org, kind=kind, title="疗休养抽签", mode=Mode.LOTTERY, capacity=places,
            closes_at=now + dt.timedelta(days=1), priority_groups=["hardship"],
            sessions=[(now + dt.timedelta(days=10), None)])
        rng = random.Random(2026)
        Registration.objects.bulk_create([
            Registration(activity=activity, member_id=m, org_path=org.path, status=RegStatus.APPLIED,
                         ticket=f"{rng.getrandbits(64):016x}", priority=0 if i % 10 == 0 else 1)
            for i, (m, _t) in enumerate(people)], batch_size=2000)
        vacuum([Registration])
        t0 = time.perf_counter()
        result = services.draw_run(actor=bench_actor(), activity=activity, seed="bench",
                                   now=now + dt.timedelta(days=2))
        seconds = time.perf_counter() - t0
        winners = list(Registration.objects.filter(activity=activity, status=RegStatus.CONFIRMED)
                       .order_by("rank").values_list("ticket", flat=True))
        digest = hashlib.sha256("\n".join(winners).encode()).hexdigest()[:12]
        taken = Activity.objects.get(pk=activity.pk).taken
        return [
            Metric("lottery", "draw_s", round(seconds, 3), "s", {"entrants": entrants, "places": places}),
            Metric("lottery", "winners", result["winners"], "places", {"taken": taken, "winners_digest": digest}),
        ]
    finally:
        _cleanup(org)


BENCHES = [
    Bench("rush", "first-come claims over HTTP on the real server against a trivial endpoint", rush, options=(
        Option(("--claims",), {"type": at_least_one, "default": 20_000, "help": "rush: claims sent"}),
        Option(("--places",), {"type": at_least_one, "default": 1_000, "help": "rush, lottery: places"}),
        Option(("--clients",), {"type": at_least_one, "default": 200, "help": "rush: concurrent clients"}),
        Option(("--server-workers",), {"type": at_least_one, "default": 2, "help": "rush: gunicorn processes"}),
    )),
    Bench("lottery", "a seeded draw of many registrations", lottery, options=(
        Option(("--entrants",), {"type": at_least_one, "default": 100_000, "help": "lottery: registrations"}),
        Option(("--places",), {"type": at_least_one, "default": 1_000, "help": "rush, lottery: places"}),
    )),
]
