from django.urls import path

from tongzhou.settlement import views

app_name = "settlement"
urlpatterns = [
    path("", views.index, name="index"),
    path("<int:statement_id>/", views.statement, name="statement"),
    path("<int:statement_id>/statement.xlsx", views.statement_xlsx, name="xlsx"),
    path("<int:statement_id>/statement.pdf", views.statement_pdf, name="pdf"),
    path("reconcile/<int:period_id>/", views.reconciliation, name="reconcile"),
    path("anomalies/", views.anomalies, name="anomalies"),
    path("charts/", views.charts, name="charts"),
]
