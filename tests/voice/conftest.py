"""Voice tests run on the plain app from tests/conftest.py: no PUBLIC_BASE_URL, so `twilio` signs webhooks
for http://localhost, the URL the app sees. Tests that need a proxy build their own app with `make_app`."""
