import pytest

from lambdas.core.sign_up import EmailDomainPolicy, SignUpRefused

POLICY = EmailDomainPolicy.from_setting("example.com, Partner.ORG")


def test_an_address_at_an_allowed_domain_is_admitted_with_its_domain() -> None:
    assert POLICY.admit("ada@example.com") == "example.com"


def test_domains_match_whatever_their_case_in_the_address_or_the_setting() -> None:
    assert POLICY.admit("Bob@PARTNER.org") == "partner.org"


def test_an_address_at_another_domain_is_refused_naming_the_allowed_ones() -> None:
    with pytest.raises(SignUpRefused) as refused:
        POLICY.admit("eve@elsewhere.net")
    assert refused.value.message == "Sign-up is limited to addresses at example.com, partner.org"
    assert refused.value.email_domain == "elsewhere.net"


def test_a_subdomain_of_an_allowed_domain_is_refused() -> None:
    with pytest.raises(SignUpRefused):
        POLICY.admit("ada@mail.example.com")


def test_a_domain_that_merely_ends_like_an_allowed_one_is_refused() -> None:
    with pytest.raises(SignUpRefused):
        POLICY.admit("eve@notexample.com")


def test_the_domain_is_what_follows_the_last_at_sign() -> None:
    with pytest.raises(SignUpRefused):
        POLICY.admit("ada@example.com@elsewhere.net")


@pytest.mark.parametrize("email", [None, "", "example.com", "@example.com"])
def test_a_missing_or_malformed_address_is_refused(email: str | None) -> None:
    with pytest.raises(SignUpRefused) as refused:
        POLICY.admit(email)
    assert refused.value.email_domain is None


def test_without_any_configured_domain_every_address_is_refused() -> None:
    with pytest.raises(SignUpRefused) as refused:
        EmailDomainPolicy.from_setting(" , ").admit("ada@example.com")
    assert refused.value.message == "Sign-up is closed"
