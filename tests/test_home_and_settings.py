import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from tongzhou.access.roles import Role
from tongzhou.elders.models import Category
from tongzhou.elders.services import membership_add

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.django_db
def test_home_shows_the_users_own_area_in_chinese_then_english(
    make_user: Any, make_elder: Any, make_canteen: Any, superuser: Any
) -> None:
    import datetime as dt

    make_canteen("330902002001")
    make_canteen("330903001001")
    old = make_elder("330902002001", birth=dt.date(1931, 1, 1))
    make_elder("330902003201", birth=dt.date(1960, 1, 1))
    make_elder("330903001001", birth=dt.date(1950, 1, 1))
    membership_add(
        actor=superuser, elder=old, category=Category.objects.get(code="tekun"),
        valid_from=dt.date(2020, 1, 1),
    )  # fmt: skip
    client = Client()
    client.force_login(make_user(Role.DISTRICT_OFFICER, region="330902"))
    page = client.get("/").content.decode()
    assert "<h1>定海区</h1>" in page
    assert "登记在册老年人：2" in page
    assert 'data-testid="canteens-open">1<' in page
    assert 'data-testid="coverage-rate">' in page
    assert '特困供养</td><td class="num">1<' in page
    assert "90岁及以上" in page
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    english = client.get("/").content.decode()
    assert "Elders on the register: 2" in english and "90 and over" in english


@pytest.mark.django_db
def test_signed_out_visitors_are_sent_to_sign_in() -> None:
    response = Client().get("/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert "登录" in Client().get("/accounts/login/").content.decode()


def _django_setup(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("TONGZHOU_")}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_placeholder_secret_is_refused_when_debug_is_off(tmp_path: Path) -> None:
    # Read no local.env: point the settings at an empty var directory.
    result = _django_setup(TONGZHOU_DEBUG="0", TONGZHOU_ENV_FILE=str(tmp_path / "none.env"))
    assert result.returncode != 0
    assert "TONGZHOU_SECRET_KEY is the placeholder" in result.stderr
    ok = _django_setup(TONGZHOU_DEBUG="1", TONGZHOU_ENV_FILE=str(tmp_path / "none.env"))
    assert ok.returncode == 0, ok.stderr


@pytest.mark.django_db
def test_a_page_a_role_may_not_use_answers_in_chinese(make_user: Any, make_canteen: Any) -> None:
    cashier = make_user(Role.CASHIER, canteen=make_canteen("330902002001"))
    client = Client()
    client.force_login(cashier)
    for path in ("/coverage/", "/settlement/anomalies/", "/exports/", "/no-such-page/"):
        answer = client.get(path)
        assert answer.status_code == 404, path
        page = answer.content.decode()
        assert "没有找到这个页面" in page and "回到我的首页" in page, path
        assert "Not Found" not in page
