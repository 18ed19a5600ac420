"""The model's calendar: one step is a week, a year is 52 of them.

Every rule that turns an annual rate or count into a weekly one, or a week number
into a year, uses these (so the calendar is defined once).  Imports nothing.
"""

from __future__ import annotations

WEEKS_PER_YEAR = 52  # model weeks in a reporting, financial and birthday year
DAYS_PER_WEEK = 7  # bed-days per bed per week, and days of stay one week uses
