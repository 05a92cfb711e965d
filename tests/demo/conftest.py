from decimal import Decimal

import pytest

from gonghui.demo.services import demo_load

# Small enough to load in a fraction of a second, large enough for every district to have
# townships and grassroots unions: 42 unions, 6,078 members.
TEST_SCALE = Decimal("0.002")
PASSWORD = "demo-test-pass"


@pytest.fixture(autouse=True)
def fast_hasher(settings):
    # The demo hashes one password per load; the production hasher takes half a second.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def demo(db):
    return demo_load(scale=TEST_SCALE, password=PASSWORD)
