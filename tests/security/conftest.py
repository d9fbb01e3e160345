import pytest


@pytest.fixture(autouse=True)
def security_urls_and_defaults(settings):
    """2FA is off unless a test switches it on (see docs/security.md §7); no trusted proxies unless a test sets
    them."""
    settings.REQUIRE_2FA = False
    settings.TRUSTED_PROXIES = []
