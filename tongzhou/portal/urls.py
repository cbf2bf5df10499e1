from django.urls import path

from tongzhou.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login, name="login"),
    path("logout/", views.logout, name="logout"),
    path("code/", views.code, name="code"),
    path("qr.json", views.qr_json, name="qr"),
    path("meals/", views.meals, name="meals"),
    path("book/", views.book, name="book"),
    path("booked/", views.booked, name="booked"),
    path("cancel/", views.cancel, name="cancel"),
    path("family/", views.family, name="family"),
    path("services/", views.care_services, name="services"),
    path("rate/", views.rate, name="rate"),
    path("menu/", views.menu, name="menu"),
]
