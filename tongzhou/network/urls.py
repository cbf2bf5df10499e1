from django.urls import path

from tongzhou.network import views

app_name = "network"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("map/", views.map_page, name="map"),
    path("map.json", views.map_json, name="map_json"),
    path("rota/", views.rota, name="rota"),
    path("workforce/", views.workforce_page, name="workforce"),
]
