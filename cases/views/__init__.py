"""Case pages. Thin: parse, go through the door or call one service, render.

One module per capability; the views are importable from here (`cases.urls`)."""

from cases.views.access import case_access_log_export, case_access_log_view
from cases.views.case import (
    case_accept,
    case_assign,
    case_close,
    case_consent,
    case_decline,
    case_detail,
    case_note,
    case_reopen,
    case_route,
    case_screen,
    case_step,
    case_youth_update,
)
from cases.views.intake import referral_new, youth_match_list
from cases.views.lists import case_bulk, case_export, case_list, hub_queue_view
from cases.views.needs import need_add, need_update
from cases.views.notifications import (
    notification_list,
    notification_open,
    notifications_read,
)

__all__ = [
    "case_accept",
    "case_access_log_export",
    "case_access_log_view",
    "case_assign",
    "case_bulk",
    "case_close",
    "case_consent",
    "case_decline",
    "case_detail",
    "case_export",
    "case_list",
    "case_note",
    "case_reopen",
    "case_route",
    "case_screen",
    "case_step",
    "case_youth_update",
    "hub_queue_view",
    "need_add",
    "need_update",
    "notification_list",
    "notification_open",
    "notifications_read",
    "referral_new",
    "youth_match_list",
]
