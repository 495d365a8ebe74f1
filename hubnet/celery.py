"""The Celery application. Tasks run in-process when CELERY_BROKER_URL is unset."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hubnet.settings")

app = Celery("hubnet")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
