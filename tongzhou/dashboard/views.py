from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tongzhou.core import clock
from tongzhou.dashboard.selectors import area_summary


@login_required
def home(request: HttpRequest) -> HttpResponse:
    today = clock.today()
    summary = area_summary(actor=request.user, day=today)
    return render(request, "dashboard/home.html", {"summary": summary, "today": today})
