"""The elder's page sign-in: five wrong codes from one client pause it, counted in the
database every worker shares; sixty wrong codes at once check at most five."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from tongzhou.access.roles import Role
from tongzhou.core.errors import DomainError
from tongzhou.portal.services import grant_and_code, sign_in
from tongzhou.throttle.models import Throttle


def _refusal(call: Any) -> str:
    with pytest.raises(DomainError) as refused:
        call()
    return refused.value.code


@pytest.mark.django_db
def test_five_wrong_codes_pause_the_client_even_for_a_right_one(
    make_user: Any, make_elder: Any
) -> None:
    elder = make_elder("330902002001")
    worker = make_user(Role.VILLAGE_WORKER, region="330902002001")
    issued = grant_and_code(actor=worker, elder=elder, kind="self", holder_name="本人")
    codes = [_refusal(lambda: sign_in(code="00000000", client="10.0.0.9")) for _ in range(5)]
    assert codes == ["sign_in_code_invalid"] * 5
    assert Throttle.objects.get(key="portal-sign-in:10.0.0.9").failures == 5
    assert _refusal(lambda: sign_in(code=issued.code, client="10.0.0.9")) == "sign_in_rate_limited"
    assert sign_in(code=issued.code, client="10.0.0.10").elder_id == elder.pk  # another client


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_sixty_wrong_codes_at_once_check_at_most_five(live_zhoushan: None) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("real parallel clients need PostgreSQL")
    barrier = threading.Barrier(60)
    outcomes: list[str] = []

    def guess(n: int) -> None:
        try:
            barrier.wait()
            sign_in(code=f"{n:08d}", client="10.0.0.66")
        except DomainError as refused:
            outcomes.append(refused.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(60)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(outcomes) == 60
    assert outcomes.count("sign_in_code_invalid") == 5, sorted(set(outcomes))
    assert outcomes.count("sign_in_rate_limited") == 55
