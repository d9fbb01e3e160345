import pytest


@pytest.fixture(autouse=True)
def security_urls_and_defaults(settings):
    """The account and audit pages are reachable (tests/security/urls.py adds them while jiaxiang/urls.py does not
    yet); 2FA is off unless a test switches it on (tests/conftest.py should do the same for the whole suite, see
    docs/security.md §7); no trusted proxies unless a test sets them."""
    settings.ROOT_URLCONF = "tests.security.urls"
    settings.REQUIRE_2FA = False
    settings.TRUSTED_PROXIES = []
