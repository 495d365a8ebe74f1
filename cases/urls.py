from django.urls import path

from cases import views
from cases.views import gaps

app_name = "cases"

urlpatterns = [
    path("referrals/new/", views.referral_new, name="referral-new"),
    path("referrals/youth-matches/", views.youth_match_list, name="youth-matches"),
    path("hub/queue/", views.hub_queue_view, name="hub-queue"),
    path("cases/", views.case_list, name="list"),
    path("cases/export.csv", views.case_export, {"file_format": "csv"}, name="export-csv"),
    path("cases/export.xlsx", views.case_export, {"file_format": "xlsx"}, name="export-xlsx"),
    path("cases/bulk/", views.case_bulk, name="bulk"),
    path("cases/<uuid:case_id>/", views.case_detail, name="detail"),
    path("cases/<uuid:case_id>/screen/", views.case_screen, name="screen"),
    path("cases/<uuid:case_id>/route/", views.case_route, name="route"),
    path("cases/<uuid:case_id>/accept/", views.case_accept, name="accept"),
    path("cases/<uuid:case_id>/decline/", views.case_decline, name="decline"),
    path("cases/<uuid:case_id>/assign/", views.case_assign, name="assign"),
    path("cases/<uuid:case_id>/notes/", views.case_note, name="note"),
    path("cases/<uuid:case_id>/close/", views.case_close, name="close"),
    path("cases/<uuid:case_id>/reopen/", views.case_reopen, name="reopen"),
    path("cases/<uuid:case_id>/consents/", views.case_consent, name="consent"),
    path("cases/<uuid:case_id>/access-log/", views.case_access_log_view, name="access-log"),
    path(
        "cases/<uuid:case_id>/access-log.csv",
        views.case_access_log_export,
        name="access-log-export",
    ),
    path("cases/<uuid:case_id>/youth/", views.case_youth_update, name="youth-update"),
    path("cases/<uuid:case_id>/needs/", views.need_add, name="need-add"),
    path(
        "cases/<uuid:case_id>/needs/<int:need_id>/",
        views.need_update,
        name="need-update",
    ),
    path(
        "cases/<uuid:case_id>/steps/<slug:step_key>/complete/",
        views.case_step,
        {"action": "complete"},
        name="step-complete",
    ),
    path(
        "cases/<uuid:case_id>/steps/<slug:step_key>/correct/",
        views.case_step,
        {"action": "correct"},
        name="step-correct",
    ),
    path(
        "cases/<uuid:case_id>/steps/<slug:step_key>/skip/",
        views.case_step,
        {"action": "skip"},
        name="step-skip",
    ),
    path("gaps/", gaps.gaps_state, name="gaps-state"),
    path("gaps/region/<int:number>/", gaps.gaps_region, name="gaps-region"),
    path("gaps/export/", gaps.gaps_export, name="gaps-export"),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications-read"),
    path(
        "notifications/<int:notification_id>/",
        views.notification_open,
        name="notification-open",
    ),
]
