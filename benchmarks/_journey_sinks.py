"""The loopback receivers of the journeys benchmark in a process of their own (so that the
worker measured does not share its interpreter lock with them).

Prints ``{"smtp_port", "hook_url"}``; then answers each line ``count`` on stdin with
``{"emails", "webhooks", "max_email_repeats"}``; ends at ``quit`` or end of input.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.orchestrate.sinks import HookSink, SmtpSink


def main() -> None:
    with SmtpSink() as smtp, HookSink() as hook:
        print(json.dumps({"smtp_port": smtp.port, "hook_url": hook.url}), flush=True)
        for line in sys.stdin:
            if line.strip() != "count":
                break
            keys = smtp.keys()
            print(json.dumps({
                "emails": len(smtp.raw), "webhooks": len(hook.arrivals),
                "max_email_repeats": max(keys.values()) if keys else 0,
                "bad_signatures": sum(1 for _, _, ok in hook.arrivals if not ok),
            }), flush=True)


if __name__ == "__main__":
    main()
