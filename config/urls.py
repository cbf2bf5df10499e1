from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from config.api import api
from tongzhou.coverage.views import coverage
from tongzhou.meals.views import counter, counter_worker
from tongzhou.operations import views as operations
from tongzhou.operations.metrics import metrics

urlpatterns = [
    # First: the counters' API is most of the traffic, and Django tries patterns in order.
    path("api/v1/", api.urls),
    path("", include("tongzhou.dashboard.urls")),
    path("", include("tongzhou.bookings.urls")),
    path("coverage/", coverage, name="coverage"),
    path("settlement/", include("tongzhou.settlement.urls")),
    path("care/", include("tongzhou.care.urls")),
    path("visits/", include("tongzhou.visits.urls")),
    path("network/", include("tongzhou.network.urls")),
    path("oversight/", include("tongzhou.oversight.urls")),
    path("board/", include("tongzhou.board.urls")),
    path("discovery/", include("tongzhou.discovery.urls")),
    path("terminal/", counter, name="counter"),
    path("terminal/sw.js", counter_worker, name="counter-worker"),
    path("me/", include("tongzhou.portal.urls")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("healthz", operations.live, name="health-live"),
    path("readyz", operations.ready, name="health-ready"),
    path("metrics", metrics, name="metrics"),
]
