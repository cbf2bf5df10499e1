from tongzhou.meals.tests.conftest import (  # noqa: F401  (fixtures shared with checkout tests)
    counter,
    lunch_time,
    make_counter,
    make_member,
    policy,
)
