"""Reading the internet domains people paste for an account or the company."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from engagement.accounts.domains import company_domains, domain_of, domain_read, domains_read
from engagement.accounts.models import AccountDomain
from engagement.tests.factories import AccountFactory


@pytest.mark.parametrize(
    ("text", "domain"),
    [("acme.com", "acme.com"), ("  ACME.com. ", "acme.com"), ("www.acme.com", "acme.com"),
     ("https://www.acme.com/about?x=1", "acme.com"), ("http://eu.acme.co.uk", "eu.acme.co.uk"),
     ("@acme.com", "acme.com"), ("lee@Acme.com", "acme.com"), ("bücher.example", "xn--bcher-kva.example"),
     ("acme.xn--p1ai", "acme.xn--p1ai")],
)  # fmt: skip
def test_a_domain_is_read_from_a_name_an_address_or_a_website(text, domain):
    assert domain_read(text) == domain


@pytest.mark.parametrize("text", ["acme", "acme.c", "-acme.com", "acme-.com", "ac me.com", "acme..com", "", "1.2.3.4"])
def test_what_is_not_a_domain_is_refused_saying_how_to_write_one(text):
    with pytest.raises(ValidationError, match=r"is not an internet domain: write it as acme\.com"):
        domain_read(text)


def test_a_personal_mail_service_is_nobodys_company():
    with pytest.raises(ValidationError, match=r"gmail\.com is where anyone has an address"):
        domain_read("someone@GMAIL.com")


def test_several_domains_read_in_order_each_once():
    assert domains_read("acme.com; www.acme.com, acme.co.uk  acme.de") == ["acme.com", "acme.co.uk", "acme.de"]
    assert company_domains(["example.com, example.co.uk", "", "example.com"]) == {"example.com", "example.co.uk"}
    assert domain_of("Lee@Acme.COM") == "acme.com"


@pytest.mark.django_db
def test_an_accounts_domain_is_cleaned_and_belongs_to_one_account():
    acme, other = AccountFactory(), AccountFactory()
    domain = AccountDomain(account=acme, domain="https://www.Acme.com/")
    domain.full_clean()
    domain.save()

    assert domain.domain == "acme.com"
    with pytest.raises(ValidationError) as refused:
        AccountDomain(account=other, domain="ACME.com").full_clean()
    assert "domain" in refused.value.message_dict
