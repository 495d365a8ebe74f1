"""HubNet's one way of writing dates and times (`|date:"DATETIME_FORMAT"` and friends):
the year always shown, a 12-hour clock with AM/PM (so a sentence never ends "a.m..")."""

DATE_FORMAT = "M j, Y"
DATETIME_FORMAT = "M j, Y, g:i A"
TIME_FORMAT = "g:i A"
SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
MONTH_DAY_FORMAT = "F j"
YEAR_MONTH_FORMAT = "F Y"
