from django.urls import path

from tongzhou.oversight import views

app_name = "oversight"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("kitchen/", views.kitchen, name="kitchen"),
    path("applications/new/", views.application_new, name="application_new"),
    path("applications/<int:application_id>/", views.application, name="application"),
    path("files/<int:file_id>/", views.application_file, name="application_file"),
    path("canteens/<int:canteen_id>/", views.canteen, name="canteen"),
    path("evaluations/", views.evaluations, name="evaluations"),
    path("canteens/<int:canteen_id>/status/", views.canteen_status, name="canteen_status"),
    path("elders/<int:elder_id>/meals/", views.elder_meals, name="elder_meals"),
    path("traces/<int:case_id>/", views.trace, name="trace"),
]
