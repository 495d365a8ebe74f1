"""Only reference lists are edited in the admin. Case data is never registered here:
the admin would bypass the one door (cases.selectors) and the access log."""

from django.contrib import admin

from cases.models import Indicator
from hubnet.admin import HubNetModelAdmin


@admin.register(Indicator)
class IndicatorAdmin(HubNetModelAdmin):
    list_display = ["label", "category", "exploitation", "active", "order"]
    list_editable = ["active", "order"]
    list_filter = ["active", "category", "exploitation"]
    search_fields = ["label", "key"]
    ordering = ["order", "category", "label"]

    def has_delete_permission(self, request, obj=None):
        # Referrals keep the indicators they noted; retire one by unticking "active".
        return False
