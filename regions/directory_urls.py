from django.urls import path

from regions import directory_views as views

app_name = "directory"

urlpatterns = [
    path("directory/", views.directory_list, name="list"),
    path(
        "directory/export.csv", views.directory_export, {"file_format": "csv"}, name="export-csv"
    ),
    path(
        "directory/export.xlsx",
        views.directory_export,
        {"file_format": "xlsx"},
        name="export-xlsx",
    ),
    path("directory/new/", views.provider_new, name="new"),
    path("directory/import/", views.directory_import, name="import"),
    path("directory/import/template.csv", views.import_template, name="import-template"),
    path("directory/<int:provider_id>/", views.provider_detail, name="detail"),
    path("directory/<int:provider_id>/edit/", views.provider_edit, name="edit"),
]
