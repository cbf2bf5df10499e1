from django.urls import path

from tongzhou.dashboard import views

app_name = "dashboard"
urlpatterns = [
    path("", views.home, name="home"),
    path("exports/", views.exports_page, name="exports"),
    path("exports/<slug:name>.xlsx", views.export_file, name="export"),
]
