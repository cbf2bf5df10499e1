import gc
import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()
if settings.TONGZHOU["CHECKOUT_LANE"]:
    from tongzhou.meals.lane import CheckoutLane

    # The counters' sales skip the middleware and routing that serve browsers.
    application = CheckoutLane(application)

# Load every view now, then leave what start-up made out of the garbage collector's walks:
# otherwise a full collection every couple of thousand requests walks ~170,000 long-lived
# objects (75 ms with the GIL held, a stall for every request in the process).
get_resolver().url_patterns  # noqa: B018 - imports the URLconf and every API router
gc.collect()
gc.freeze()
