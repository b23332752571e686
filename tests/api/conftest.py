"""API tests run on the plain app from tests/conftest.py and send `api_headers()` (the bearer token) from
tests.support; voicemails are left through `twilio`-signed webhooks, as Twilio would leave them."""
