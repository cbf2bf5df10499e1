from tongzhou.bookings.tests.conftest import now  # noqa: F401 - the clock the tests move
from tongzhou.meals.tests.conftest import (  # noqa: F401 - a counter at lunch, elders with cards
    counter,
    lunch_time,
    make_counter,
    make_member,
    policy,
)
