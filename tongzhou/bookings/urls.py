from django.urls import path

from tongzhou.bookings import views

app_name = "bookings"
urlpatterns = [
    path("bookings/", views.elders, name="elders"),
    path("bookings/elder/<int:elder_id>/", views.elder_bookings, name="elder"),
    path("kitchen/<int:canteen_id>/", views.kitchen, name="kitchen"),
    path("delivery/", views.delivery, name="delivery"),
    path("delivery/plan/", views.delivery_plan, name="delivery_plan"),
    path("delivery/stop/<int:booking_id>/", views.delivery_stop, name="delivery_stop"),
    path("alerts/", views.alerts, name="alerts"),
]
