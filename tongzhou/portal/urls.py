from django.urls import path

from tongzhou.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
    path("qr.json", views.qr_json, name="qr"),
    path("family/", views.link_family, name="family"),
    path("book/", views.book, name="book"),
]
