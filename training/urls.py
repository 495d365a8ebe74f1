from django.urls import path

from training import views

app_name = "training"

urlpatterns = [
    path("trainings/", views.training_list, name="list"),
    path("trainings/export.csv", views.training_export, {"file_format": "csv"}, name="export-csv"),
    path(
        "trainings/export.xlsx", views.training_export, {"file_format": "xlsx"}, name="export-xlsx"
    ),
    path("trainings/new/", views.training_create, name="new"),
    path("trainings/import/", views.training_import, name="import"),
    path("trainings/import/template.csv", views.import_template, name="import-template"),
    path("trainings/coverage/<int:number>/", views.region_coverage, name="coverage"),
    path("trainings/<int:training_id>/", views.training_detail, name="detail"),
    path("trainings/<int:training_id>/edit/", views.training_edit, name="edit"),
    path("trainings/<int:training_id>/cancel/", views.training_cancel, name="cancel"),
]
