from django.urls import path

from tongzhou.board import views

app_name = "board"
urlpatterns = [
    path("", views.board, name="board"),
    path("approvals/", views.approvals, name="approvals"),
    path("evidence/<int:evidence_id>/", views.evidence, name="evidence"),
    path("summary/", views.summary, name="summary"),
    path("public/", views.public, name="public"),
    path("supervision/", views.supervision, name="supervision"),
    path("supervision/new/", views.item_new, name="item_new"),
    path("supervision/<int:item_id>/", views.item, name="item"),
    path("<str:code>/", views.indicator, name="indicator"),
]
