from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.clickjacking import xframe_options_deny


@xframe_options_deny
def counter(request: HttpRequest) -> HttpResponse:
    """The counter page. It signs in as a terminal (credential kept on the tablet) and talks
    to the checkout API; the server renders only the shell."""
    return render(request, "meals/counter.html")
