from django.urls import path

from regions import views

app_name = "people"

urlpatterns = [
    path("people/", views.people_list, name="list"),
    path("people/changes/", views.access_change_list, name="changes"),
    path("people/invite/", views.person_invite, name="invite"),
    path("people/<int:user_id>/", views.person_detail, name="detail"),
    path("people/<int:user_id>/grant/", views.person_grant, name="grant"),
    path("people/<int:user_id>/deactivate/", views.person_deactivate, name="deactivate"),
    path("people/<int:user_id>/reset-mfa/", views.person_mfa_reset, name="mfa-reset"),
    path("people/<int:user_id>/unlock/", views.person_unlock, name="unlock"),
    path("people/memberships/<int:membership_id>/end/", views.membership_end, name="end"),
    path("invitation/<uidb64>/<token>/", views.invite_accept, name="invite-accept"),
]
