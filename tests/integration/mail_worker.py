"""Notifications' delivery worker alone in its own process, so a test can SIGKILL it mid-mail.

    MAIL_WORKER_SETTINGS='<NotificationsSettings as JSON>' python -m tests.integration.mail_worker

It runs the service's own delivery worker (`delivery_worker(...).run`) on the system clock, with the settings of the
test's notifications (database, SMTP server, registration's URL, service token).
"""

from __future__ import annotations

import asyncio
import os
from typing import Any, cast

from notifications.contacts import ContactDirectory
from notifications.delivery import MailDelivery, delivery_worker
from notifications.mail import SmtpMailer
from notifications.settings import NotificationsSettings
from together_servicekit.clock import SystemClock
from together_servicekit.db import make_engine
from together_servicekit.runtime import Runtime


async def main() -> None:
    settings = NotificationsSettings.model_validate_json(os.environ["MAIL_WORKER_SETTINGS"])
    # The worker uses the runtime's engine and clock only: no producer, relay or consumer here.
    none = cast(Any, None)
    runtime = Runtime(
        settings=settings, engine=make_engine(settings.database_url), clock=SystemClock(), producer=none, relay=none
    )
    await delivery_worker(runtime, MailDelivery(runtime, ContactDirectory(settings), SmtpMailer(settings))).run()


if __name__ == "__main__":
    asyncio.run(main())
