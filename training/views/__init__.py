"""Training pages, one module per capability: the list and its exports (lists), one
training (edit), a region's coverage (coverage) and the CSV import (imports)."""

from training.views.coverage import region_coverage
from training.views.edit import training_cancel, training_create, training_detail, training_edit
from training.views.imports import import_template, training_import
from training.views.lists import training_export, training_list

__all__ = [
    "import_template",
    "region_coverage",
    "training_cancel",
    "training_create",
    "training_detail",
    "training_edit",
    "training_export",
    "training_import",
    "training_list",
]
