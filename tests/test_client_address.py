"""Limits keyed on a client address see the client behind our proxy, never the proxy."""

from __future__ import annotations

from typing import Any

from django.test import RequestFactory

from tongzhou.core.net import client_address


def test_behind_one_proxy_the_client_is_the_last_forwarded_address(settings: Any) -> None:
    factory = RequestFactory()
    settings.PROXY_HOPS = 1
    forged = factory.get("/", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.7", REMOTE_ADDR="10.0.0.2")
    assert client_address(forged) == "203.0.113.7"  # what our proxy appended, not the forgery
    settings.PROXY_HOPS = 0
    assert client_address(forged) == "10.0.0.2"
    assert client_address(factory.get("/", REMOTE_ADDR="10.0.0.3")) == "10.0.0.3"
