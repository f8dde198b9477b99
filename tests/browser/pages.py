"""Browser pages that record what a script would leave behind: every Content-Security-Policy
violation (events and console) and every dialog.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import BrowserContext, Page

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

# Runs first in every document and frame: violations are events of the document, gone with it.
_RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (e) => window.__violations.push(
  `${e.violatedDirective} blocked ${e.blockedURI || "inline"} in ${e.documentURI}: ${e.sample}`));
"""


@dataclass
class Watched:
    """A page, and what it said: CSP violations (from the console, across navigations) and dialogs."""

    page: Page
    console: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def violations(self) -> list[str]:
        """Violations seen by the current document, and any the console reported before it."""
        current: list[str] = self.page.evaluate("window.__violations || []")
        reported = [line for line in self.console if "Content Security Policy" in line]
        return current + reported


def watch(context: BrowserContext) -> Watched:
    """A new page of `context` whose violations, console and dialogs are recorded."""
    context.add_init_script(_RECORD_VIOLATIONS)
    watched = Watched(context.new_page())
    watched.page.on("console", lambda message: watched.console.append(message.text))
    watched.page.on("dialog", lambda dialog: (watched.dialogs.append(dialog.message), dialog.dismiss()))
    return watched
