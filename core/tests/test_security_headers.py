"""Every answer carries a Content-Security-Policy with no inline script, and a Permissions-Policy."""

import re

import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.security]


def directives(response):
    return dict(part.strip().split(" ", 1) for part in response["Content-Security-Policy"].split(";") if part.strip())


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/api/v1/events/", "/api/docs/", "/healthz"])
def test_every_kind_of_answer_has_the_policies(client, path):
    response = client.get(path)
    policy = directives(response)
    # A nonce is named only where a page used it; never 'unsafe-inline' for scripts.
    assert re.fullmatch(r"'self'( 'nonce-[\w+/=-]+')?", policy["script-src"])
    assert (policy["default-src"], policy["object-src"], policy["frame-ancestors"]) == ("'self'", "'none'", "'none'")
    assert response["Permissions-Policy"].startswith("camera=(), microphone=(), geolocation=()")


def test_the_api_docs_page_has_no_inline_script(client):
    html = client.get("/api/docs/").content.decode()
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all("src=" in attributes and not body.strip() for attributes, body in scripts)


def test_no_template_has_an_inline_script_or_handler():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "templates"
    offenders = []
    for template in root.rglob("*.html"):
        text = template.read_text()
        inline = [body for attributes, body in re.findall(r"<script([^>]*)>(.*?)</script>", text, re.S) if body.strip()]
        handlers = re.findall(r"\son[a-z]+\s*=", text)
        if inline or handlers:
            offenders.append(str(template.relative_to(root)))
    assert offenders == []
