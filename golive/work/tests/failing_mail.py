"""An e-mail backend for tests: refuses mail to @broken.example, delivers the rest to the outbox."""

from smtplib import SMTPRecipientsRefused

from django.core.mail.backends.locmem import EmailBackend

BROKEN = "@broken.example"
PATH = "golive.work.tests.failing_mail.FailingEmailBackend"


class FailingEmailBackend(EmailBackend):
    """Raise as an SMTP server does for a refused recipient; deliver every other message."""

    def send_messages(self, messages):
        for message in messages:
            refused = [to for to in message.recipients() if to.endswith(BROKEN)]
            if refused:
                raise SMTPRecipientsRefused({to: (550, b"Mailbox unavailable") for to in refused})
        return super().send_messages(messages)
