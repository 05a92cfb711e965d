"""SMS codes: six digits, stored hashed, five minutes, five wrong tries, one a minute, a daily cap."""

import hashlib
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from gonghui.core import pii
from gonghui.core.models import AccountPhone, Role, SmsCode
from gonghui.core.services import account_for_verified_phone
from gonghui.core.sms import LocmemSender, sms_code_check, sms_code_send
from tests.factories import UserFactory

PHONE = "13912345678"


def send(phone=PHONE) -> str:
    sms_code_send(phone=phone)
    return LocmemSender.last_code(phone)


def codes_of(error: pytest.ExceptionInfo) -> list[str]:
    return [e.code for e in error.value.error_list]


def age_codes(seconds: int) -> None:
    """Pretend every code was sent ``seconds`` earlier."""
    for row in SmsCode.objects.all():
        SmsCode.objects.filter(pk=row.pk).update(created_at=row.created_at - timedelta(seconds=seconds),
                                                 expires_at=row.expires_at - timedelta(seconds=seconds))


def test_a_code_is_six_digits_texted_to_the_mobile(db, sms_outbox):
    code = send()
    assert len(code) == 6 and code.isdigit()
    assert sms_outbox[-1].phone == PHONE
    assert "5 分钟" in sms_outbox[-1].text or "5 minutes" in sms_outbox[-1].text
    assert sms_code_check(phone=PHONE, code=code) == PHONE


def test_the_code_is_stored_only_as_a_keyed_hash(db):
    code = send()
    row = SmsCode.objects.get()
    assert len(row.code_hash) == 64 and row.code_hash != hashlib.sha256(code.encode()).hexdigest()
    assert row.phone_hash == pii.digest("phone", PHONE)
    stored = [str(v) for v in SmsCode.objects.values_list().get()]
    assert code not in stored and PHONE not in " ".join(stored)


def test_a_code_works_once(db):
    code = send()
    sms_code_check(phone=PHONE, code=code)
    with pytest.raises(ValidationError) as error:
        sms_code_check(phone=PHONE, code=code)
    assert codes_of(error) == ["sms_no_code"]


def test_a_code_expires_after_five_minutes(db):
    code = send()
    age_codes(301)
    with pytest.raises(ValidationError) as error:
        sms_code_check(phone=PHONE, code=code)
    assert codes_of(error) == ["sms_expired"]


def test_the_expiry_is_configurable(db, settings):
    settings.SMS_CODE_TTL_SECONDS = 60
    code = send()
    age_codes(61)
    with pytest.raises(ValidationError):
        sms_code_check(phone=PHONE, code=code)


def test_five_wrong_tries_void_the_code_even_the_right_one_after(db):
    code = send()
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    messages = []
    for _ in range(5):
        with pytest.raises(ValidationError) as error:
            sms_code_check(phone=PHONE, code=wrong)
        messages.append(error.value.messages[0])
    assert "4" in messages[0] and codes_of(error) == ["sms_too_many_tries"]
    with pytest.raises(ValidationError) as error:
        sms_code_check(phone=PHONE, code=code)
    assert codes_of(error) == ["sms_too_many_tries"]
    assert SmsCode.objects.get().tries == 5


def test_a_malformed_code_is_refused_without_counting_a_try(db):
    send()
    with pytest.raises(ValidationError) as error:
        sms_code_check(phone=PHONE, code="12ab")
    assert codes_of(error) == ["sms_code_format"]
    assert SmsCode.objects.get().tries == 0


def test_full_width_digits_are_accepted(db):
    code = send()
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in code)
    assert sms_code_check(phone=PHONE, code=full_width) == PHONE


def test_a_new_code_waits_a_minute(db):
    send()
    with pytest.raises(ValidationError) as error:
        sms_code_send(phone=PHONE)
    assert codes_of(error) == ["sms_too_soon"]
    assert "秒" in error.value.messages[0] or "seconds" in error.value.messages[0]
    age_codes(61)
    send()
    assert SmsCode.objects.count() == 2


def test_only_the_newest_code_counts(db):
    first = send()
    age_codes(61)
    second = send()
    if first != second:
        with pytest.raises(ValidationError):
            sms_code_check(phone=PHONE, code=first)
    assert sms_code_check(phone=PHONE, code=second) == PHONE


def test_a_mobile_gets_at_most_the_daily_limit(db, settings):
    settings.SMS_DAILY_LIMIT = 3
    for _ in range(3):
        send()
        age_codes(61)
    with pytest.raises(ValidationError) as error:
        sms_code_send(phone=PHONE)
    assert codes_of(error) == ["sms_daily_limit"]
    age_codes(24 * 3600)
    send()  # a day later


def test_other_mobiles_are_not_held_back(db):
    send()
    send("13700001111")
    assert SmsCode.objects.count() == 2


def test_an_invalid_mobile_is_refused_before_anything_is_sent(db, sms_outbox):
    with pytest.raises(ValidationError) as error:
        sms_code_send(phone="12345")
    assert codes_of(error) == ["phone_invalid"]
    assert sms_outbox == [] and not SmsCode.objects.exists()


class Broken:
    def send(self, *, phone, text):
        raise OSError("gateway down")


def test_a_failed_delivery_voids_the_code_so_the_worker_may_ask_again(db, settings):
    settings.SMS_BACKEND = "tests.core.test_sms.Broken"
    with pytest.raises(ValidationError) as error:
        sms_code_send(phone=PHONE)
    assert codes_of(error) == ["sms_send_failed"]
    assert not SmsCode.objects.exists()


def test_the_console_sender_shows_the_code_on_stderr_not_in_the_log_and_masks_the_mobile(db, settings, caplog,
                                                                                         capfd):
    settings.SMS_BACKEND = "gonghui.core.sms.ConsoleSender"
    sms_code_send(phone=PHONE)
    shown = capfd.readouterr().err
    assert "[development SMS] to " in shown and PHONE not in shown
    assert "SMS" not in caplog.text
    assert SmsCode.objects.filter(expires_at__gt=timezone.now()).exists()


# --- the account of a verified mobile ------------------------------------------------------------


def test_the_first_verified_code_makes_an_account_without_password(db):
    user, created = account_for_verified_phone(phone=PHONE)
    assert created and not user.has_usable_password()
    assert user.phone.phone_masked == "139****5678"
    again, created = account_for_verified_phone(phone=PHONE)
    assert again == user and not created


def test_a_logged_in_account_gets_the_mobile(db):
    user = UserFactory()
    same, created = account_for_verified_phone(phone=PHONE, user=user)
    assert same == user and not created and AccountPhone.objects.get().user == user


def test_a_mobile_of_another_account_is_refused_to_a_logged_in_user(db):
    account_for_verified_phone(phone=PHONE)
    with pytest.raises(ValidationError) as error:
        account_for_verified_phone(phone=PHONE, user=UserFactory())
    assert codes_of(error) == ["phone_taken"]


def test_a_cadre_account_never_logs_in_by_sms(tree):
    cadre = UserFactory()
    account_for_verified_phone(phone=PHONE, user=cadre)
    Role.objects.create(user=cadre, org=tree.yz, kind="cadre")
    with pytest.raises(ValidationError) as error:
        account_for_verified_phone(phone=PHONE)
    assert codes_of(error) == ["password_only"]
