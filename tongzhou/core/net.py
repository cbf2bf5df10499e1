"""Who is asking: the client's address as the platform's own proxies report it."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The caller's IP address. Behind `settings.PROXY_HOPS` reverse proxies of our own (the
    TLS proxy in production), the address is the one the outermost of them saw, read from
    the right of X-Forwarded-For, where a client cannot forge it; otherwise REMOTE_ADDR.
    Keying limits on the proxy's own address would let one guesser lock everyone out."""
    hops = int(settings.PROXY_HOPS)
    if hops > 0:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [address for address in forwarded if address]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return str(request.META.get("REMOTE_ADDR", "?"))
