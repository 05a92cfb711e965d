"""Row validation: the fast path for clean rows gives exactly what the full checks give, for any row."""

import datetime as dt
import io

import pytest
from hypothesis import given, settings, strategies as st
from openpyxl import Workbook

from gonghui.core import pii
from gonghui.core.ids import make_id_number
from gonghui.members.roster import ErrorLog, OrgRef, RowError, RowValidator, read_rows, read_table

TODAY = dt.date(2026, 11, 21)
ORGS = {"YZE": OrgRef(1, "0001.0001"), "BLE": OrgRef(2, "0001.0002"), "abc": OrgRef(3, "0001.0003")}
DEFAULT = OrgRef(9, "0001.0009")
ELSEWHERE = {"OUT1", "ABC"}  # unions that exist outside the importer's subtree
FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")

valid_ids = st.builds(
    make_id_number,
    st.sampled_from(["330212", "110105", "650102", "990102", "000000"]),
    st.dates(min_value=dt.date(1890, 1, 1), max_value=dt.date(2030, 1, 1)),
    st.integers(0, 999),
)
ids = st.one_of(
    valid_ids,
    valid_ids.map(lambda n: n.lower()),
    valid_ids.map(lambda n: n.translate(FULL_WIDTH)),
    valid_ids.map(lambda n: f" {n} "),
    valid_ids.map(lambda n: n[:17] + ("0" if n[17] != "0" else "1")),
    valid_ids.map(lambda n: n[:17]),
    valid_ids.map(lambda n: n[:15]),
    st.sampled_from(["", "  ", "3.30212199001011E+17", "33021219900101123Y", "11010519491231002X"]),
    st.sampled_from([330212199001011234, 3.30212199001011e17, None]),
)
phones = st.sampled_from(["13800001234", "19912345678", "+86 138 0000 1234", "0086-13800001234", "1380000123",
                          "12345678901", "", " ", None, "１３８００００１２３４", " 13800001234", 13800001234])
orgs = st.sampled_from(["YZE", "BLE", "yze", " YZE ", "", "  ", None, "OUT1", "NOPE", "abc", "ABC", 42])
dates = st.sampled_from(["2023-05-01", "2023/05/01", "2023.5.1", "20230501", "2023年5月1日", "", " ", None,
                         "2099-01-01", "not a date", "2023-02-30", "２０２３-０５-０１", "2023-W01-1", " 2023-05-01",
                         dt.datetime(2022, 3, 4, 10, 30), dt.date(2022, 3, 4), dt.datetime(2099, 1, 1),
                         f"{TODAY:%Y-%m-%d}", f"{TODAY + dt.timedelta(days=1):%Y-%m-%d}", 20230501])
flags = st.sampled_from(["是", "否", "", " ", None, "Y", "n", "yes", "No", "TRUE", " 是 ", "1", "0", "maybe",
                         True, False, 1, 0])
categories = st.sampled_from(["", " ", None, "快递员", " 快递员 ", "外卖骑手", "courier", "Courier", "厨师", 7])
names = st.one_of(st.sampled_from(["张伟", " 张  伟 ", "", "  ", "王" * 50, "王" * 51, " " + "王" * 50, 123, None]),
                  st.text(max_size=55))
ANY_CELL = {"name": names, "id_number": ids, "phone": phones, "org": orgs, "joined_on": dates, "is_new_form": flags,
            "category": categories}
# The cells of a clean row (most rows of a real file) and their near misses, for the fast path.
CLEAN_CELL = {
    "name": st.sampled_from(["张伟", "王芳", "Li Lei", "欧阳娜娜"]),
    "id_number": valid_ids,
    "phone": st.sampled_from(["13800001234", "19912345678", "", None]),
    "org": st.sampled_from(["YZE", "BLE", "abc", "", None]),
    "joined_on": st.sampled_from(["2023-05-01", "2023/05/01", "", None, f"{TODAY:%Y-%m-%d}", "2023-02-30",
                                  f"{TODAY + dt.timedelta(days=1):%Y-%m-%d}", dt.datetime(2022, 3, 4, 10, 30),
                                  dt.datetime.combine(TODAY + dt.timedelta(days=1), dt.time())]),
    "is_new_form": st.sampled_from(["是", "否", "", None, "1", "0"]),
    "category": st.sampled_from(["", None, "快递员", "外卖骑手", "courier"]),
}


@st.composite
def rows(draw):
    """A clean row with up to two of its cells drawn from anything a file may hold."""
    unusual = draw(st.sets(st.sampled_from(list(ANY_CELL)), max_size=2))
    return {column: draw(ANY_CELL[column] if column in unusual else CLEAN_CELL[column]) for column in ANY_CELL}


def stored(valid):
    """What a ValidRow writes, with each ciphertext opened (its nonce differs on every call)."""
    if valid is None:
        return None
    opened = []
    for protected in (valid.id, valid.phone):
        if protected is None:
            opened.append(None)
        else:
            plain = pii.decrypt(protected.cipher, key_id=protected.key_id, bound_to=protected.hash)
            opened.append((protected.hash, protected.masked, protected.key_id, len(protected.cipher), plain))
    return valid._replace(id=opened[0], phone=opened[1])


@settings(max_examples=1500, deadline=None)
@given(row=rows(), absent=st.sets(st.sampled_from(["phone", "org", "joined_on", "is_new_form", "category"])),
       default=st.sampled_from([None, DEFAULT]))
def test_the_fast_path_and_the_full_checks_agree_on_every_row(row, absent, default):
    validate = RowValidator(orgs_by_code=ORGS, default_org=default, code_exists=lambda code: code in ELSEWHERE,
                            today=TODAY)
    for column in absent:  # a file without that column
        del row[column]
    fast, fast_errors = validate(7, dict(row))
    full, full_errors = validate.check(7, dict(row))
    assert fast_errors == full_errors
    assert stored(fast) == stored(full)
    assert (fast is None) == bool(fast_errors)


def test_a_clean_row_is_stored_as_before():
    validate = RowValidator(orgs_by_code=ORGS, default_org=None, code_exists=lambda code: False, today=TODAY)
    number = make_id_number("330212", dt.date(1990, 1, 1), 321)
    row, errors = validate(2, {"name": "张伟", "id_number": number, "phone": "13800001234", "org": "YZE",
                               "joined_on": "2023-05-01", "is_new_form": "是", "category": "快递员"})
    assert errors == []
    assert (row.name, row.org, row.birth_date, row.sex, row.region_code, row.category, row.is_new_form,
            row.joined_on) == ("张伟", ORGS["YZE"], dt.date(1990, 1, 1), "M", "330212", "courier", True,
                               dt.date(2023, 5, 1))
    assert (row.id.hash, row.id.masked) == (pii.digest("id", number), f"330212********{number[-4:]}")
    assert (row.phone.hash, row.phone.masked) == (pii.digest("phone", "13800001234"), "138****1234")
    assert pii.decrypt(row.id.cipher, key_id=row.id.key_id, bound_to=row.id.hash) == number


# --- reading -----------------------------------------------------------------------------


def xlsx(*rows):
    workbook = Workbook()
    for r in rows:
        workbook.active.append(r)
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    return out


def test_only_blank_lines_are_skipped_not_a_line_of_zeros():
    stream = xlsx(["姓名", "身份证号", "手机号"], [None, None, None], ["", None, ""], [0, 0, None], [False, None, None],
                  ["张伟", "1", None])
    assert list(read_rows(stream, "名册.xlsx")) == [
        (4, {"name": 0, "id_number": 0, "phone": None}),
        (5, {"name": False, "id_number": None, "phone": None}),
        (6, {"name": "张伟", "id_number": "1", "phone": None}),
    ]


def test_short_lines_are_padded_and_columns_found_by_header():
    data = "工会代码,x,身份证号,姓名\nYZE,,110105194912310026\n,,,李娜\n\n,,\n".encode()
    assert list(read_rows(io.BytesIO(data), "r.csv")) == [
        (2, {"org": "YZE", "id_number": "110105194912310026", "name": None}),
        (3, {"org": "", "id_number": "", "name": "李娜"}),
    ]


def test_a_table_of_one_column_is_read_too():
    rows = read_table(io.BytesIO("编号\nA1\n\nA2\n".encode()), "t.csv", header_map=lambda header: {"code": 0},
                      labels={"code": "编号"}, required=["code"])
    assert list(rows) == [(2, {"code": "A1"}), (4, {"code": "A2"})]


@pytest.mark.parametrize("filename", ["r.csv", "r.xlsx"])
def test_line_numbers_count_the_header_and_blank_lines(filename):
    lines = [["姓名", "身份证号"], ["甲", "1"], [None, None], ["乙", "2"]]
    if filename.endswith(".xlsx"):
        stream = xlsx(*lines)
    else:
        stream = io.BytesIO("\n".join(",".join(c or "" for c in line) for line in lines).encode())
    assert [line for line, _ in read_rows(stream, filename)] == [2, 4]


def test_the_validation_benchmark_reads_validates_and_protects_every_row():
    from gonghui.bench.imports import validate_rate

    figures = validate_rate(rows=4_100, repeat=1)  # three chunks, the last one short
    assert figures["rows"] == 4_100
    assert all(figures[key] > 0 for key in ("read_us", "protect_us", "total_us", "read_and_total_us"))


@settings(max_examples=200, deadline=None)
@given(lines=st.lists(st.integers(min_value=2, max_value=3_000_001), max_size=300))
def test_the_error_log_counts_each_bad_line_once_in_any_order(lines):
    log = ErrorLog()
    for line in lines:
        log.add(RowError(line, "name", "name_missing", "x"))
    assert len(log.bad_lines) == len(set(lines)) and log.total == len(lines)
