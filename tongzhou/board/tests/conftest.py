from tongzhou.bookings.tests.conftest import now  # noqa: F401 - the clock the tests move
