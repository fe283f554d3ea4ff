"""The readable API docs page is served from our own static files, no CDN."""


def test_api_docs_page_loads_redoc_from_our_static_files(client):
    page = client.get("/api/v1/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/static/vendor/redoc.standalone.js" in html and "https://" not in html
    with client.get("/static/vendor/redoc.standalone.js") as script:
        assert script.status_code == 200
