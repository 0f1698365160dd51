"""Helpers for the end-to-end tests: Debian's Chromium via Playwright."""
from __future__ import annotations

import os
import shutil

import pytest

REQUIRE_BROWSER = os.environ.get("LUKLUK_REQUIRE_BROWSER") == "1"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        message = "Debian's chromium is not installed (make test installs it where it can: apt-get install chromium)"
        if REQUIRE_BROWSER:
            pytest.fail(message)
        pytest.skip(message)
    return path


def sign_in_with_password(page, name: str) -> None:
    """A manager or the admin signs in with their password on the sign-in page, as a person does, and the
    page has left the sign-in page."""
    import re

    from playwright.sync_api import expect

    from tests.conftest import PASSWORDS

    page.goto("/sign-in/manager")
    page.get_by_label("Hasło").fill(PASSWORDS[name])
    page.get_by_label("Imię i nazwisko").select_option(label=name)
    page.get_by_role("button", name="Zaloguj").click()
    expect(page).not_to_have_url(re.compile(r"/sign-in"))
