from django.urls import path

from regions import dashboard_views as views

app_name = "dashboards"

urlpatterns = [
    path("dashboards/", views.overview, name="overview"),
    path("dashboards/region/<int:number>/", views.region_page, name="region"),
    path("dashboards/export/", views.export, name="export"),
    path("dashboards/report/", views.report, name="report"),
    path("dashboards/recompute/", views.recompute, name="recompute"),
    path("dashboards/runs/", views.run_list, name="runs"),
    path("dashboards/runs/<int:run_id>/", views.run_status, name="run"),
]
