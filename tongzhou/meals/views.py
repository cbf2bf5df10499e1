import hashlib

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_deny


@xframe_options_deny
def counter(request: HttpRequest) -> HttpResponse:
    """The counter page. It signs in as a terminal (credential kept on the tablet) and talks
    to the checkout API; the server renders only the shell."""
    return render(request, "meals/counter.html")


@never_cache
def counter_worker(request: HttpRequest) -> HttpResponse:
    """The counter's service worker, at /terminal/ so that it may serve the counter page.
    Its cache is named after the static files' (hashed) names: a new release replaces it."""
    files = "|".join(static(name) for name in ("meals/counter.css", "meals/counter.js"))
    version = hashlib.sha256(files.encode()).hexdigest()[:12]
    return render(
        request,
        "meals/sw.js",
        {"version": version},
        content_type="application/javascript; charset=utf-8",
    )
