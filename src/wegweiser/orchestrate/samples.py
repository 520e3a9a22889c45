"""The sample journey the demo project gets (``journeys/``), also the example of
docs/journeys.md: a reminder with a limited deal for persons who entered Consideration
(the playbook of the product brief, point 8)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from wegweiser.orchestrate.loading import JOURNEYS_DIR
from wegweiser.orchestrate.settings import DELIVERY_FILE

if TYPE_CHECKING:
    from pathlib import Path

REMINDER = """\
# Consideration: a reminder, ideally a deal -- and leave people alone who buy anyway.
description = "Reminder with a limited deal one day after a person starts considering"
priority = 5                 # wins over lower priorities when a frequency cap allows one
holdout = 0.1                # 10% get nothing: the baseline that shows the real effect

[entry]
kind = "phase_entered"       # or "event" (with where = [...]), "phase_left", "segment_entered",
                             # "segment_left", "persona_entered", "persona_left", "schedule"
phase = "Consideration"
reentry = "once_per"         # "once", "once_per" (with reentry_days), "always"
reentry_days = 30

[exit]
goal = ["order_completed"]   # a conversion: the run ends
phase_regression = true      # back to Awareness: stop reminding
unsubscribed = true

[[steps]]
id = "settle"
type = "wait"
duration = "1d"

[[steps]]
id = "morning"
type = "wait"
until_time = "09:30"         # the person's time zone (trait, else country, else default)
weekdays = ["mon", "tue", "wed", "thu", "fri", "sat"]

[[steps]]
id = "ab"
type = "random"              # the same person always gets the same branch
branches = [{ share = 50, next = "deal" }, { share = 50, next = "reviews" }]

[[steps]]
id = "deal"
type = "send"
channel = "email"
template = "deal"
variant = "deal"
next = "wait_cart"

[[steps]]
id = "reviews"
type = "send"
channel = "email"
template = "reviews"
variant = "reviews"

[[steps]]
id = "wait_cart"
type = "wait"
until_event = "add_to_cart"
timeout = "3d"
on_timeout = "done"

[[steps]]
id = "carted"
type = "set_trait"
trait = "reminder_worked"
value = true

[[steps]]
id = "done"
type = "exit"

[templates.deal.de]
subject = "Nur bis Sonntag: 10 % auf Ihre Auswahl"
text = \"\"\"Hallo {{ traits.first_name | default('') }},
Ihr Rabattcode REMIND10 gilt bis Sonntag.

Keine Erinnerungen mehr: {{ links.unsubscribe }}\"\"\"
html = \"\"\"<p>Hallo {{ traits.first_name | default('') }},</p>
<p>Ihr Rabattcode <b>REMIND10</b> gilt bis Sonntag.</p>
<p><a href="{{ links.unsubscribe }}">Keine Erinnerungen mehr</a></p>\"\"\"

[templates.deal.en]
subject = "Until Sunday only: 10% off your pick"
text = \"\"\"Hello {{ traits.first_name | default('') }},
your code REMIND10 is valid until Sunday.

No more reminders: {{ links.unsubscribe }}\"\"\"

[templates.reviews.de]
subject = "Was andere Kundinnen und Kunden sagen"
text = \"\"\"4,8 von 5 Sternen aus 2.300 Bewertungen -- Testsieger 2026.
Abmelden: {{ links.unsubscribe }}\"\"\"

[templates.reviews.en]
subject = "What other customers say"
text = \"\"\"4.8 of 5 stars from 2,300 reviews -- test winner 2026.
Unsubscribe: {{ links.unsubscribe }}\"\"\"
"""

DELIVERY = """\
# Delivery settings for every journey. Secrets never go here: *_env names a variable.
default_timezone = "Europe/Berlin"
default_language = "de"

[quiet_hours]                # in the person's time zone
start = "21:00"
end = "08:00"
mode = "defer"               # or "drop"

[[caps]]                     # across channels: at most 3 messages a week ...
channel = "*"
max = 3
per = "rolling"
window = "7d"

[[caps]]                     # ... and one email per calendar day
channel = "email"
max = 1
per = "day"

[control_group]              # kept out of every journey; change the salt to redraw
share = 0.05
salt = "2026"

[email]
host = "127.0.0.1"
port = 25
from_address = "Demo Shop <shop@example.org>"
# username_env = "SMTP_USER"
# password_env = "SMTP_PASSWORD"

# [webhooks.crm]
# url = "https://crm.example.org/hooks/wegweiser"
# secret_env = "CRM_WEBHOOK_SECRET"
"""


def write_samples(project_dir: Path) -> bool:
    """Write the sample journey and delivery settings unless ``journeys/`` exists."""
    folder = project_dir / JOURNEYS_DIR
    if folder.exists():
        return False
    folder.mkdir(parents=True)
    (folder / "consideration_reminder.toml").write_text(REMINDER, encoding="utf-8")
    (folder / DELIVERY_FILE).write_text(DELIVERY, encoding="utf-8")
    return True
