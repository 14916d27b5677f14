from __future__ import annotations

import pytest
from django.test import Client

HTMX_SCRIPT = "/static/django_htmx/htmx-2.min.js"
HTMX_WS_SCRIPT = "/static/django_htmx/ext/hx-ws-2.min.js"


def fetch_body(client: Client, url: str) -> tuple[int, bytes]:
    response = client.get(url)
    try:
        if response.streaming:
            return response.status_code, b"".join(response.streaming_content)
        return response.status_code, response.content
    finally:
        response.close()


@pytest.mark.django_db
def test_it_renders_the_home_page(client: Client) -> None:
    response = client.get("/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "<title>VPN Flow Lab</title>" in html
    assert "preserve-vpn-flows" in html
    assert '<section id="library"' in html
    assert "No scenarios are loaded yet." in html


@pytest.mark.django_db
def test_it_loads_htmx_and_its_websocket_extension_from_our_own_static_files(
    client: Client,
) -> None:
    html = client.get("/").content.decode()

    assert f'<script src="{HTMX_SCRIPT}" defer>' in html
    assert f'<script src="{HTMX_WS_SCRIPT}" defer>' in html
    assert "//unpkg.com" not in html and "cdn" not in html.lower()
    status, body = fetch_body(client, HTMX_SCRIPT)
    assert status == 200
    assert b"htmx" in body
    status, body = fetch_body(client, HTMX_WS_SCRIPT)
    assert status == 200
    assert b'defineExtension("ws"' in body


@pytest.mark.django_db
def test_it_serves_the_lab_stylesheet(client: Client) -> None:
    html = client.get("/").content.decode()
    assert '<link rel="stylesheet" href="/static/css/lab.css">' in html

    status, body = fetch_body(client, "/static/css/lab.css")

    assert status == 200
    assert b"font-family: system-ui" in body


@pytest.mark.django_db
def test_it_renders_the_library_partial_alone(client: Client) -> None:
    from django.template.loader import render_to_string

    html = render_to_string("home.html#library")

    assert html.strip().startswith('<section id="library"')
    assert "<title>" not in html


def test_it_refuses_post_on_the_home_page(client: Client) -> None:
    assert client.post("/").status_code == 405
