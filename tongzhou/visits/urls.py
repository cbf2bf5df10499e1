from django.urls import path

from tongzhou.visits import views

app_name = "visits"
urlpatterns = [
    path("", views.due, name="due"),
    path("<int:visit_id>/", views.record, name="record"),
    path("rates/", views.rates, name="rates"),
]
