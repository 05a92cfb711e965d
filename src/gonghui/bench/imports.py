"""`gonghui bench import`: validated roster import against a raw load and django-import-export.

Method. A roster CSV of N rows (synthetic valid ID numbers of a region the demo never uses,
names, phones, unions drawn from the grassroots unions in the database) is written to a
temporary file. Three loads then run in this process, each inside a transaction that is
rolled back, so the database ends as it began; on PostgreSQL each is timed up to and including
the deferred key checks its commit would run:

1. ours: ``roster_import`` on the whole file — full validation (ID check character, dates,
   phone, union lookup and scope), HMAC + AES-GCM of ID number and phone, staging, duplicate
   and existing-member checks, the set-based insert;
2. raw: the same file parsed with ``csv`` and loaded into the member table as it is (COPY on
   PostgreSQL, one ``executemany`` transaction on SQLite), no validation, no crypto: the
   physical limit of getting these rows into that table;
3. django-import-export: a ``ModelResource`` for the member table doing the same validation
   and protection in ``before_import_row``, on the first 20,000 rows (it is too slow for more).
"""

from __future__ import annotations

import csv
import datetime as dt
import random
import tempfile
import time
from itertools import islice
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone

from gonghui.bench.common import Metric, bench_actor, peak_rss_mb, vacuum
from gonghui.core import ids, pii
from gonghui.core.ids import make_id_number, mask_phone, parse_id_number, parse_phone
from gonghui.members.imports import roster_import
from gonghui.members.models import Member
from gonghui.members.roster import OrgRef, RowValidator, read_rows
from gonghui.orgs.models import FEDERATION_KINDS, Org
from gonghui.stats.models import Tally

BENCH_REGION = "650102"  # 乌鲁木齐天山区: not a region the demo draws from, so no row collides
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国文辉鹏飞宇浩然欣怡子涵梓轩佳琪雨萱俊杰思远晨曦"
HEADER = ["姓名", "身份证号", "手机号", "工会代码", "入会日期", "新就业形态", "群体"]
CATEGORIES = ["", "", "", "", "快递员", "网约送餐员", "货车司机", "保安员", "家政服务员"]
IMPORT_EXPORT_ROWS = 20_000
DAYS = 365 * 40


def write_roster(path: Path, rows: int, org_codes: list[str], seed: int = 20261121) -> None:
    """A valid roster; row i has a distinct ID number (date and sequence from i)."""
    rng = random.Random(seed)
    start = dt.date(1966, 1, 1)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(rows):
            birth = start + dt.timedelta(days=i % DAYS)
            category = rng.choice(CATEGORIES)
            writer.writerow([
                rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(("", rng.choice(GIVEN))),
                make_id_number(BENCH_REGION, birth, i // DAYS),
                f"1{rng.choice('3578')}{rng.randrange(10**9):09d}",
                rng.choice(org_codes),
                f"{rng.randrange(2010, 2026)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
                "是" if category else "否",
                category,
            ])


def validate_rate(rows: int = 50_000, *, repeat: int = 5) -> dict[str, float]:
    """µs per row of the Python side of a roster import in one process, without the database.

    A roster of ``rows`` valid rows (``write_roster``; 200 synthetic union codes, all in scope) goes
    through three steps: ``read`` — ``read_rows`` over the CSV file; ``total`` — a new
    ``RowValidator`` on every row read, ID number and phone protected as an import does;
    ``protect`` — the same ID numbers and phones protected alone (``pii.protector``, as the
    validator does). ``validate`` is ``total`` less ``protect``. Each step runs ``repeat`` times
    from cold caches (the validator's, and the ID numbers' birth dates); each run is timed in
    chunks of 2,000 rows, and a step's time is the sum over the chunks of each chunk's best run:
    other work on a shared machine only ever adds time, and this keeps most of it out.
    """
    chunk = 2_000
    codes = [f"BENCH{i:03d}" for i in range(200)]
    orgs = {code: OrgRef(i + 1, f"0001.{i + 1:04d}") for i, code in enumerate(codes)}
    pii.keys()  # the keys are read once per process, not per import

    def timed(run) -> float:
        """Seconds of ``run(clock)``, which calls ``clock()`` after each chunk: best run per chunk, summed."""
        best: list[float] = []
        for _ in range(repeat):
            ids._births.clear()  # as in a new process
            laps = []
            started = time.perf_counter()

            def clock():
                nonlocal started
                now = time.perf_counter()
                laps.append(now - started)
                started = now

            run(clock)
            best = [min(pair) for pair in zip(best, laps, strict=True)] if best else laps
        return sum(best)

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "roster.csv"
        write_roster(path, rows, codes)

        def read(clock):
            with path.open("rb") as stream:
                reader = read_rows(stream, path.name)
                while list(islice(reader, chunk)):
                    clock()

        read_s = timed(read)
        with path.open("rb") as stream:
            table = list(read_rows(stream, path.name))

    def validate(clock):
        validator = RowValidator(orgs_by_code=orgs, default_org=None, code_exists=lambda code: False)
        for start in range(0, rows, chunk):
            for line, raw in table[start : start + chunk]:
                if validator(line, raw)[0] is None:
                    raise RuntimeError(f"the benchmark roster has a bad row (line {line})")
            clock()

    total_s = timed(validate)
    plain = []
    for _line, raw in table:
        info = parse_id_number(raw["id_number"])
        phone = parse_phone(raw["phone"])
        plain.append((info.number, info.masked, phone, mask_phone(phone)))

    def protect(clock):
        protect_id, protect_phone = pii.protector("id"), pii.protector("phone")
        for start in range(0, rows, chunk):
            for number, masked, phone, masked_phone in plain[start : start + chunk]:
                protect_id(number, masked)
                protect_phone(phone, masked_phone)
            clock()

    protect_s = timed(protect)
    per_row = 1e6 / rows
    return {"rows": rows, "read_us": round(read_s * per_row, 2), "validate_us": round((total_s - protect_s) * per_row, 2),
            "protect_us": round(protect_s * per_row, 2), "total_us": round(total_s * per_row, 2),
            "read_and_total_us": round((read_s + total_s) * per_row, 2)}


def _rolled_back(fn):
    """Run fn() in a transaction that is rolled back; return its result.

    Before the rollback, the checks a commit would run (the member table's deferred foreign keys:
    one per row inserted) run too on PostgreSQL, so each load is timed with what its commit would
    cost. SQLite cannot be asked to check deferred keys without committing."""
    result = None
    with transaction.atomic():
        result = fn()
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        transaction.set_rollback(True)
    return result


def _time(fn) -> tuple[float, object]:
    """Seconds of ``fn()`` rolled back, and what it returned. The tables it writes are vacuumed
    before: the loads insert the same people, and none should step over another's dead rows."""
    vacuum((Member, Tally))
    started = time.perf_counter()
    value = _rolled_back(fn)
    return time.perf_counter() - started, value


def _raw_load(path: Path, orgs: dict[str, tuple[int, str]]) -> int:
    now = timezone.now()
    columns = ("org_id", "org_path", "name", "id_hash", "id_cipher", "id_masked", "birth_date", "sex",
               "region_code", "phone_hash", "phone_masked", "pii_key_id", "category", "is_new_form", "employer",
               "joined_on", "status", "created_at", "updated_at")

    def records():
        with path.open(newline="", encoding="utf-8") as handle:
            reader = csv.reader(handle)
            next(reader)
            for name, id_number, phone, code, joined, new_form, category in reader:
                org_id, org_path = orgs[code]
                yield (org_id, org_path, name, id_number, b"", id_number, "1990-01-01", "M", id_number[:6], phone,
                       phone, "raw", category, new_form == "是", "", joined, "active", now, now)

    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY members_member ({', '.join(columns)}) FROM STDIN") as copy:
                for record in records():
                    copy.write_row(record)
                    count += 1
        else:
            batch = []
            sql = f"INSERT INTO members_member ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))})"
            for record in records():
                batch.append(record)
                if len(batch) == 10_000:
                    cursor.executemany(sql, batch)
                    count += len(batch)
                    batch = []
            cursor.executemany(sql, batch)
            count += len(batch)
    return count


def _import_export_load(path: Path, rows: int) -> int:
    import tablib
    from import_export import fields, resources, widgets

    from gonghui.core import pii
    from gonghui.core.ids import mask_phone, parse_id_number, parse_phone

    class BytesWidget(widgets.Widget):
        def clean(self, value, row=None, **kwargs):
            return value

        def render(self, value, obj=None, **kwargs):
            return bytes(value).hex() if value else ""

    class MemberResource(resources.ModelResource):
        org = fields.Field(column_name="org", attribute="org", widget=widgets.ForeignKeyWidget(Org, "code"))
        id_cipher = fields.Field(column_name="id_cipher", attribute="id_cipher", widget=BytesWidget())
        phone_cipher = fields.Field(column_name="phone_cipher", attribute="phone_cipher", widget=BytesWidget())

        class Meta:
            model = Member
            import_id_fields = ("id_hash",)
            fields = ("org", "name", "id_hash", "id_cipher", "id_masked", "birth_date", "sex", "region_code",
                      "phone_hash", "phone_cipher", "phone_masked", "pii_key_id", "joined_on", "is_new_form",
                      "org_path")

        def before_import_row(self, row, **kwargs):
            info = parse_id_number(row["id_number"])
            ident = pii.protect("id", info.number, info.masked)
            phone = parse_phone(row["phone"])
            tel = pii.protect("phone", phone, mask_phone(phone))
            row.update(id_hash=ident.hash, id_cipher=ident.cipher, id_masked=ident.masked,
                       birth_date=info.birth_date, sex=info.sex, region_code=info.region_code,
                       phone_hash=tel.hash, phone_cipher=tel.cipher, phone_masked=tel.masked,
                       pii_key_id=ident.key_id, is_new_form=row["is_new_form"] == "是",
                       org_path=Org.objects.only("path").get(code=row["org"]).path)

    # Columns the resource computes in before_import_row must exist in the dataset's headers.
    computed = ["id_hash", "id_cipher", "id_masked", "birth_date", "sex", "region_code", "phone_hash",
                "phone_cipher", "phone_masked", "pii_key_id", "org_path"]
    data = tablib.Dataset(headers=["name", "id_number", "phone", "org", "joined_on", "is_new_form", "category",
                                   *computed])
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        next(reader)
        for i, record in enumerate(reader):
            if i == rows:
                break
            data.append([*record, *([""] * len(computed))])
    result = MemberResource().import_data(data, dry_run=False, use_transactions=False, raise_errors=True)
    return result.totals["new"]


def run(rows: int, *, with_import_export: bool = True) -> list[Metric]:
    grassroots = list(
        Org.objects.exclude(kind__in=FEDERATION_KINDS).values_list("code", "id", "path")[:5000]
    )
    if not grassroots:
        raise RuntimeError("No grassroots unions in the database: run `gonghui demo` first.")
    orgs = {code: (pk, path) for code, pk, path in grassroots}
    actor = bench_actor()
    metrics: list[Metric] = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "roster.csv"
        write_roster(path, rows, list(orgs))
        rss_before = peak_rss_mb()

        def ours():
            with path.open("rb") as stream:
                return roster_import(actor=actor, stream=stream, filename=path.name)

        seconds, result = _time(ours)
        if result.imported != rows:
            raise RuntimeError(f"expected {rows} imported, got {result.imported} (errors: {result.errors.kept[:3]})")
        ours_rate = rows / seconds
        metrics.append(Metric("import", "rows_per_s", round(ours_rate), "rows/s", {"rows": rows, "seconds": round(seconds, 2)}))
        metrics.append(Metric("import", "peak_rss_mb", round(peak_rss_mb(), 1), "MiB",
                              {"before_import_mb": round(rss_before, 1)}))

        raw_seconds, raw_count = _time(lambda: _raw_load(path, orgs))
        raw_rate = raw_count / raw_seconds
        metrics.append(Metric("import", "raw_rows_per_s", round(raw_rate), "rows/s", {"rows": raw_count}))
        metrics.append(Metric("import", "vs_raw", round(raw_rate / ours_rate, 2), "x (raw ÷ ours; target ≤ 3)"))

        if with_import_export:
            n = min(rows, IMPORT_EXPORT_ROWS)
            ie_seconds, ie_count = _time(lambda: _import_export_load(path, n))
            ie_rate = ie_count / ie_seconds
            metrics.append(Metric("import", "import_export_rows_per_s", round(ie_rate, 1), "rows/s", {"rows": ie_count}))
            metrics.append(Metric("import", "vs_import_export", round(ours_rate / ie_rate, 1),
                                  "x (ours ÷ theirs; target ≥ 100)"))
    return metrics
