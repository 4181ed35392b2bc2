"""Who may join the user pool: people with an email address at one of the allowed domains.

A domain admits exactly itself: `example.com` does not admit `mail.example.com`, which has to be
listed on its own. Subdomains are often run by someone else (a subsidiary, a customer, students
of a university), so admitting them silently would widen the pool beyond what was configured.
"""

from __future__ import annotations

from dataclasses import dataclass

from lambdas.core.errors import DomainError


class SignUpRefused(DomainError):
    """The address is not admitted; Cognito shows the message to the person signing up."""

    def __init__(self, message: str, *, email_domain: str | None) -> None:
        super().__init__(message, field="email")
        self.email_domain = email_domain


@dataclass(frozen=True, slots=True)
class EmailDomainPolicy:
    allowed_domains: frozenset[str]

    @classmethod
    def from_setting(cls, text: str) -> EmailDomainPolicy:
        """From a comma-separated list such as `example.com, Example.org` (case is ignored)."""
        return cls(frozenset(part.strip().lower() for part in text.split(",") if part.strip()))

    def admit(self, email: str | None) -> str:
        """The lower-case domain of `email` when it is allowed; otherwise raises SignUpRefused.

        A missing or malformed address is refused, and so is every address when no domain is
        configured: the policy fails closed.
        """
        local_part, at, domain = (email or "").strip().rpartition("@")
        domain = domain.lower()
        if at and local_part and domain in self.allowed_domains:
            return domain
        raise SignUpRefused(self._refusal(), email_domain=domain if at and local_part else None)

    def _refusal(self) -> str:
        if not self.allowed_domains:
            return "Sign-up is closed"
        return f"Sign-up is limited to addresses at {', '.join(sorted(self.allowed_domains))}"
