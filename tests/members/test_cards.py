"""The member card's signed code: what every scanner (check-in, merchants) trusts."""

import pytest
from django.test import override_settings

from gonghui.members import cards


def test_a_card_code_reads_back_to_its_member():
    code = cards.card_code(42)
    assert code.startswith("GHA:M:42:")
    assert cards.read_card_code(code) == 42
    assert cards.read_card_code(f"  {code}\n") == 42  # a scanner gun's newline


@pytest.mark.parametrize("code", ["", "GHA:M:42", "GHA:M:43:" + "x" * 43, "GONGHUI:CARD:5105000000000001",
                                  "GHA:S:42:abc", "GHA:M:" + "9" * 200])
def test_forged_altered_or_foreign_codes_are_refused(code):
    with pytest.raises(cards.BadCode):
        cards.read_card_code(code)


def test_another_members_signature_does_not_fit():
    signature = cards.card_code(42).rsplit(":", 1)[1]
    with pytest.raises(cards.BadCode):
        cards.read_card_code(f"GHA:M:43:{signature}")


def test_codes_stay_valid_while_the_key_rotates():
    with override_settings(SECRET_KEY="old-key-" + "x" * 50):
        printed = cards.card_code(7)
    assert printed != cards.card_code(7)
    with override_settings(SECRET_KEY="new-key-" + "y" * 50, SECRET_KEY_FALLBACKS=["old-key-" + "x" * 50]):
        assert cards.read_card_code(printed) == 7
    with override_settings(SECRET_KEY="new-key-" + "y" * 50, SECRET_KEY_FALLBACKS=[]), pytest.raises(cards.BadCode):
        cards.read_card_code(printed)


def test_the_legacy_unsigned_card_qr_is_told_apart():
    assert cards.is_legacy_card("GONGHUI:CARD:5105000000000001")
    assert not cards.is_legacy_card(cards.card_code(1))
