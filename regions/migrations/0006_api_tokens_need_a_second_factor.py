from django.db import migrations


def tokens_without_second_factor_end(apps, schema_editor):
    """API tokens were issued before a second factor was required. A token of an account
    that has none (an app or a passkey) ends: its holder makes a new one after enrolling."""
    AuthToken = apps.get_model("knox", "AuthToken")
    TOTPDevice = apps.get_model("otp_totp", "TOTPDevice")
    WebAuthnCredential = apps.get_model("django_otp_webauthn", "WebAuthnCredential")
    enrolled = set(TOTPDevice.objects.filter(confirmed=True).values_list("user_id", flat=True))
    enrolled |= set(
        WebAuthnCredential.objects.filter(confirmed=True).values_list("user_id", flat=True)
    )
    AuthToken.objects.exclude(user_id__in=enrolled).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("regions", "0005_access_change_security_kinds"),
        ("knox", "0009_extend_authtoken_field"),
        ("otp_totp", "0003_add_timestamps"),
        ("django_otp_webauthn", "0004_webauthnuserhandle"),
    ]

    operations = [
        migrations.RunPython(tokens_without_second_factor_end, migrations.RunPython.noop)
    ]
