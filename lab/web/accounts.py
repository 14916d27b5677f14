"""Accounts hardening: failed logins throttled per username and address, and password
reset mail that fails quietly (one logged line) when no mail server answers.

The throttle lives in the login forms (the site's and the admin's), so both login pages
count failures: LAB_LOGIN_FAILURES within LAB_LOGIN_WINDOW_S for one username from one
address, then a form error that says when to try again, whatever the password.
"""

from __future__ import annotations

import logging
import smtplib
import time
from collections.abc import Sequence
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.core.mail.backends.smtp import EmailBackend

from lab.live.throttle import client_address

log = logging.getLogger(__name__)


class LoginThrottle:
    """Mixin for AuthenticationForm: refuse after too many failures, count each failure."""

    request: Any

    def _key(self) -> str:
        username = str(self.data.get("username", "")).strip().lower()[:150]  # type: ignore[attr-defined]
        address = client_address(self.request) if self.request is not None else "unknown"
        return f"login-fail:{address}:{username}"

    def clean(self) -> dict[str, Any]:
        key = self._key()
        limit, window = int(settings.LAB_LOGIN_FAILURES), int(settings.LAB_LOGIN_WINDOW_S)
        failures: list[float] = [t for t in cache.get(key, []) if t > time.time() - window]
        if len(failures) >= limit:
            wait = int(failures[0] + window - time.time()) + 1
            raise forms.ValidationError(
                f"Too many failed logins for this username from your address: "
                f"try again in {wait} s.",
                code="throttled",
            )
        try:
            return super().clean()  # type: ignore[misc,no-any-return]
        except forms.ValidationError:
            cache.set(key, [*failures, time.time()], window)
            raise


class ThrottledAuthenticationForm(LoginThrottle, AuthenticationForm):
    pass


class ThrottledAdminAuthenticationForm(LoginThrottle, AdminAuthenticationForm):
    pass


class QuietSmtpBackend(EmailBackend):
    """SMTP; when the server cannot be reached or refuses, one error line is logged and
    the page carries on (Django's reset page does not say whether a mail went out)."""

    def send_messages(self, email_messages: Sequence[Any]) -> int:
        try:
            return int(super().send_messages(email_messages) or 0)
        except (OSError, smtplib.SMTPException) as exc:
            log.error(
                "mail not sent (%d message(s)) via %s:%s: %s",
                len(email_messages),
                self.host,
                self.port,
                exc,
            )
            return 0
