from django.urls import path

from tongzhou.care import views

app_name = "care"
urlpatterns = [
    path("list/", views.service_list, name="list"),
    path("list/<int:version_id>.xlsx", views.export_list, name="export"),
    path("elder/<int:elder_id>/", views.elder_care, name="elder"),
    path("orders/", views.orders, name="orders"),
    path("settlement/", views.settlement, name="settlement"),
    path("settlement/<int:statement_id>/", views.statement, name="statement"),
    path("serve/", views.serve, name="serve"),
    path("serve/<int:order_id>/", views.serve_order, name="serve_order"),
    path("serve/<int:order_id>/face-challenge/", views.face_challenge, name="face_challenge"),
]
