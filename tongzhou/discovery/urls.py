from django.urls import path

from tongzhou.discovery import views

app_name = "discovery"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("report/", views.report, name="report"),
]
