"""Shared fixtures: Zhoushan's real regions loaded once per test database, and factories for
people, canteens and elders that go through the same services as the application."""

from __future__ import annotations

import datetime as dt
import itertools
import os
from collections.abc import Callable
from typing import Any

import pytest

from tongzhou.access.roles import Role
from tongzhou.accounts.models import User
from tongzhou.canteens.models import Canteen, CanteenKind, CanteenStatus, Operator
from tongzhou.elders.idnumber import make_id_number
from tongzhou.elders.selectors import clear_caches as clear_category_names
from tongzhou.geo.models import Region
from tongzhou.geo.selectors import clear_caches as clear_region_ids
from tongzhou.identity.face_services import clear_gallery
from tongzhou.ledger.services import clear_caches as clear_accounts
from tongzhou.subsidies.selectors import clear_cache as clear_policies

_counter = itertools.count(1)
# Playwright's sync API keeps an event loop in the test thread; Django would then refuse ORM
# calls from the test body. The live server itself runs in its own thread, unaffected.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> None:
    from tongzhou.geo.services import zhoushan_load

    with django_db_blocker.unblock():
        zhoushan_load(actor=None)


@pytest.fixture
def region() -> Callable[[str], Region]:
    return lambda code: Region.objects.get(code=code)


@pytest.fixture
def superuser(db: Any) -> User:
    return User.objects.create_superuser("root", password="x-Test-pass-1", email="")


@pytest.fixture
def make_user(db: Any) -> Callable[..., User]:
    def make(role: Role, *, region: str | None = None, canteen: Canteen | None = None) -> User:
        return User.objects.create_user(
            username=f"{role.value or 'none'}-{next(_counter)}",
            password="x-Test-pass-1",
            role=role,
            region=Region.objects.get(code=region) if region else None,
            canteen=canteen,
            is_staff=True,
        )

    return make


@pytest.fixture
def signed_in(db: Any) -> Callable[[User], Any]:
    """A test client signed in as the user."""
    from django.test import Client

    def make(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


@pytest.fixture
def make_canteen(db: Any, superuser: User) -> Callable[..., Canteen]:
    from tongzhou.canteens.services import canteen_save

    def make(village_code: str, **fields: Any) -> Canteen:
        village = Region.objects.get(code=village_code)
        operator, _ = Operator.objects.get_or_create(name="测试运营方")
        number = next(_counter)
        canteen = Canteen(
            code=f"T-{number}",
            name=fields.pop("name", f"测试食堂{number}"),
            kind=fields.pop("kind", CanteenKind.HAPPINESS_CANTEEN),
            operator=operator,
            village=village,
            address="测试地址",
            lon=village.lon or 0.0,
            lat=village.lat or 0.0,
            seats=fields.pop("seats", 40),
            status=fields.pop("status", CanteenStatus.OPEN),
            opened_on=fields.pop("opened_on", dt.date(2023, 1, 1)),
            open_amount_max_fen=fields.pop("open_amount_max_fen", 3000),
            **fields,
        )
        return canteen_save(actor=superuser, canteen=canteen, tags=[])

    return make


@pytest.fixture
def id_number() -> Callable[..., str]:
    """A valid, unique ID number for someone born on `birth` (default 1950-05-01)."""

    def make(
        birth: dt.date = dt.date(1950, 5, 1), *, male: bool = True, region: str = "330902"
    ) -> str:
        sequence = (next(_counter) % 499) * 2 + (1 if male else 0)
        return make_id_number(region, birth, sequence)

    return make


@pytest.fixture
def make_elder(db: Any, superuser: User, id_number: Callable[..., str]) -> Callable[..., Any]:
    from tongzhou.elders.services import ElderInput, elder_create

    def make(village_code: str, **fields: Any) -> Any:
        birth = fields.pop("birth", dt.date(1950, 5, 1))
        data = ElderInput(
            name=fields.pop("name", "测试老人"),
            id_number=fields.pop("id_number", None) or id_number(birth),
            residence=Region.objects.get(code=village_code),
            **fields,
        )
        return elder_create(actor=superuser, data=data)

    return make


@pytest.fixture(autouse=True)
def _test_settings(settings: Any) -> None:
    # Production serves hashed files after collectstatic; tests render pages without it.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    # Deliberately slow password hashing is for attackers, not for a test suite.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Reference ids and settled policy versions are kept per process; each test's database
    # builds its own.
    for clear in (clear_region_ids, clear_category_names, clear_accounts, clear_policies,
                  clear_gallery):  # fmt: skip
        clear()


CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def playwright_driver() -> Any:
    """One Playwright for the session (its sync API allows only one per thread)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


def launch_chromium(playwright: Any, *extra_args: str) -> Any:
    """Debian's chromium (Playwright's own browser download is not used)."""
    import shutil

    return playwright.chromium.launch(
        executable_path=shutil.which("chromium") or "/usr/bin/chromium",
        headless=True,
        args=[*CHROMIUM_ARGS, *extra_args],
    )


@pytest.fixture(scope="session")
def chromium(playwright_driver: Any) -> Any:
    browser = launch_chromium(playwright_driver)
    yield browser
    browser.close()


@pytest.fixture
def live_zhoushan(transactional_db: Any) -> None:
    """Tests with committed data (live server, parallel clients) start from an emptied
    database: put back what migrations seed and the reference regions."""
    import importlib

    from django.apps import apps

    from tongzhou.geo.services import zhoushan_load

    for seed in (
        "tongzhou.elders.migrations.0002_seed_categories",
        "tongzhou.canteens.migrations.0002_seed_service_tags",
        "tongzhou.network.migrations.0002_defaults",
    ):
        importlib.import_module(seed).seed(apps, None)
    zhoushan_load(actor=None)
