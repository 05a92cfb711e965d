"""Without DEBUG, `gonghui check --deploy` refuses an SMS sender that never reaches a phone (the
console sender, the default, writes every login and joining code to the server log)."""

import pytest

from gonghui.core.checks import sms_sender_check
from tests.core.test_settings import PRODUCTION, check_deploy


@pytest.mark.parametrize(("backend", "says"), [
    (None, "a development sender"),  # the default: the console sender
    ("gonghui.core.sms.LocmemSender", "a development sender"),
    ("gateway.NoSuchSender", "cannot be imported"),
], ids=["default", "locmem", "missing"])
def test_check_deploy_fails_without_a_real_sms_sender(tmp_path, backend, says):
    env = {k: v for k, v in PRODUCTION.items() if k != "SMS_BACKEND"}
    if backend:
        env["SMS_BACKEND"] = backend
    passed, output = check_deploy(env, tmp_path)
    assert not passed, output
    assert "gonghui.E002" in output and says in output
    assert "SmsSender subclass" in output  # the hint says what to set


def test_the_check_is_quiet_with_debug_or_with_a_gateway_sender(settings):
    settings.SMS_BACKEND = "gonghui.core.sms.ConsoleSender"
    settings.DEBUG = True
    assert sms_sender_check() == []
    settings.DEBUG = False
    assert [e.id for e in sms_sender_check()] == ["gonghui.E002"]
    settings.SMS_BACKEND = PRODUCTION["SMS_BACKEND"]
    assert sms_sender_check() == []
