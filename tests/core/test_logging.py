"""The log filter: no ID number or phone reaches a log line, its traceback or its stack."""

import io
import logging

import pytest

from gonghui.core.logging import RedactPIIFilter, redact

ID = "330212199001011234"


@pytest.fixture
def log():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactPIIFilter())
    logger = logging.getLogger("gonghui.tests.redact")
    logger.addHandler(handler)
    logger.propagate = False
    yield logger, stream
    logger.removeHandler(handler)
    logger.propagate = True


@pytest.mark.parametrize("text", [
    ID, ID[:17] + "X", ID[:17] + "x", "３３０２１２１９９００１０１１２３４", "330212900101123",
    "13912345678", "+8613912345678", "+86 139 1234 5678", "0086-13912345678", "139-1234-5678",
])
def test_it_redacts_id_numbers_and_phones_in_every_usual_spelling(text):
    cleaned = redact(f"before {text} after")
    assert cleaned.startswith("before [") and cleaned.endswith("] after")


@pytest.mark.parametrize("text", ["order 1234567890123456789", "12345", "member 42", "2024-01-01", "card 5105000000000429"])
def test_it_leaves_other_numbers_alone(text):
    assert redact(text) == text


def test_it_redacts_the_formatted_message_including_its_arguments(log):
    logger, stream = log
    logger.warning("member %s phone %s", ID, "13912345678")
    assert stream.getvalue().strip() == "member [id-number] phone [phone]"


def test_it_redacts_a_traceback(log):
    logger, stream = log
    try:
        raise ValueError(f"bad row {ID}")
    except ValueError:
        logger.exception("import failed")
    assert ID not in stream.getvalue()
    assert "ValueError: bad row [id-number]" in stream.getvalue()


def test_it_redacts_the_stack(log):
    logger, stream = log
    logger.warning("here", stack_info=True)
    assert "Stack (most recent call last)" in stream.getvalue()


def test_a_broken_format_string_is_still_logged(log):
    logger, stream = log
    logger.warning("two %s %s", ID)
    assert "two" in stream.getvalue() and ID not in stream.getvalue()


def test_a_404_on_a_url_holding_an_id_number_is_logged_redacted(client, db, caplog):
    redactor = RedactPIIFilter()
    with caplog.at_level(logging.WARNING, logger="django.request"):
        client.get(f"/api/v1/nothing/{ID}")
    records = [r for r in caplog.records if r.name == "django.request"]
    assert records
    for record in records:
        redactor.filter(record)
        assert ID not in record.getMessage()


TOKEN = "gh_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8S9t0U1v"


@pytest.mark.parametrize("text", [
    f"Unexpected auth - 'Token {TOKEN}'", f"Unexpected auth - '{TOKEN}'", f"GET /api/v1/orgs/{TOKEN}",
    "Authorization: Bearer abcdefgh12345678", "Cookie: sessionid=k2j3h4g5f6d7s8a9q0w1e2r3t4y5u6i7; csrftoken=abcdefgh",
    "GET /login/?password=hunter2222&next=/", '{"token": "abcdefghijklmnop"}',
    "【甬工惠】您的验证码是 123456，5 分钟内有效。", "POST code=654321", "sms_code=112233", "your code is 778899",
])
def test_it_redacts_tokens_session_ids_passwords_and_sms_codes(text):
    cleaned = redact(text)
    for secret in (TOKEN, "abcdefgh12345678", "k2j3h4g5f6d7s8a9q0w1e2r3t4y5u6i7", "hunter2222", "abcdefghijklmnop",
                   "123456", "654321", "112233", "778899"):
        assert secret not in cleaned, cleaned


@pytest.mark.parametrize("text", ["status code 500", '{"code": "not_found"}', "postcode 315000", "session expired",
                                  "the token endpoint answered 401"])
def test_it_leaves_ordinary_words_about_codes_and_tokens_alone(text):
    assert redact(text) == text


def test_the_exact_secrets_of_the_request_are_redacted_whatever_their_shape(log):
    from gonghui.core.logging import _request_secrets, keep_secret

    logger, stream = log
    token = _request_secrets.set(())
    try:
        keep_secret("plainword-secret")
        logger.warning("leaked plainword-secret here")
    finally:
        _request_secrets.reset(token)
    assert stream.getvalue().strip() == "leaked [secret] here"
