from tongzhou.care.tests.conftest import at, now  # noqa: F401 - shared fixtures
