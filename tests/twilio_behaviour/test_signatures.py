"""Item 6: the signature covers every POSTed value, and Twilio's shared-key signing works."""

from __future__ import annotations

import pytest
from twilio.request_validator import HMAC_SHA256, RequestValidator
from werkzeug.datastructures import MultiDict

from tests.support import API_TOKEN, AUTH_TOKEN, SECRET_KEY
from voicebox.config import ConfigError, load_config

URL = "http://localhost/sms/status"
SHARED_KEY_ID = "webhooks_sharedkey_0123456789"
SHARED_SECRET = "shared-secret-abcdefghijklmnopqrstuvwxyz"


def status_form(**extra) -> MultiDict:
    """A delivery status callback as Twilio posts it."""
    return MultiDict(
        {
            "AccountSid": "AC" + "0" * 32,
            "MessageSid": "SM" + "5" * 32,
            "SmsSid": "SM" + "5" * 32,
            "MessageStatus": "delivered",
            "SmsStatus": "delivered",
            "From": "+14155550100",
            "To": "+14155550123",
            "ApiVersion": "2010-04-01",
            **extra,
        }
    )


def test_a_repeated_key_is_signed_over_every_value(client):
    form = status_form()
    # Twilio signs each value of a repeated key (its RequestValidator reads MultiDict.getall).
    form.add("ChannelPrefix", "sms")
    form.add("ChannelPrefix", "rcs")
    signature = RequestValidator(AUTH_TOKEN).compute_signature(URL, form)
    response = client.post("/sms/status", data=form, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200


def test_a_value_added_to_a_repeated_key_is_still_caught(client):
    form = status_form()
    form.add("ChannelPrefix", "sms")
    signature = RequestValidator(AUTH_TOKEN).compute_signature(URL, form)
    form.add("ChannelPrefix", "forged")  # appended after signing: must not slip through
    response = client.post("/sms/status", data=form, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 403


def shared_key_headers(form: MultiDict, secret: str = SHARED_SECRET, key_id: str = SHARED_KEY_ID) -> dict:
    signature = RequestValidator(secret).compute_signature(URL, form, HMAC_SHA256)
    return {
        "X-Twilio-Signature": signature,
        "X-Twilio-Webhooks-Signature-Settings": f"key={key_id},algorithm={HMAC_SHA256}",
    }


def test_a_webhook_signed_with_a_shared_key_is_accepted(make_app):
    app = make_app(TWILIO_WEBHOOK_SHARED_KEYS={"old": "retired-secret", SHARED_KEY_ID: SHARED_SECRET})
    form = status_form()
    with app.app_context():
        response = app.test_client().post("/sms/status", data=form, headers=shared_key_headers(form))
    assert response.status_code == 200


def test_a_shared_key_signature_with_the_wrong_secret_or_unknown_key_is_refused(make_app):
    app = make_app(TWILIO_WEBHOOK_SHARED_KEYS={SHARED_KEY_ID: SHARED_SECRET})
    form = status_form()
    with app.app_context():
        client = app.test_client()
        wrong = client.post("/sms/status", data=form, headers=shared_key_headers(form, secret="not-it"))
        unknown = client.post("/sms/status", data=form, headers=shared_key_headers(form, key_id="someone_else"))
        # The auth token's SHA1 signature does not pass for a request that says it used a shared key.
        sha1 = RequestValidator(AUTH_TOKEN).compute_signature(URL, form)
        mixed = client.post(
            "/sms/status",
            data=form,
            headers={
                "X-Twilio-Signature": sha1,
                "X-Twilio-Webhooks-Signature-Settings": f"key={SHARED_KEY_ID},algorithm={HMAC_SHA256}",
            },
        )
    assert (wrong.status_code, unknown.status_code, mixed.status_code) == (403, 403, 403)


REQUIRED = {
    "SECRET_KEY": SECRET_KEY,
    "TWILIO_ACCOUNT_SID": "AC",
    "TWILIO_AUTH_TOKEN": "t",
    "VOICEBOX_API_TOKEN": API_TOKEN,
}


def test_shared_keys_setting_reads_id_secret_pairs(monkeypatch):
    monkeypatch.setenv("TWILIO_WEBHOOK_SHARED_KEYS", f"old=retired, {SHARED_KEY_ID}={SHARED_SECRET}")
    assert load_config(REQUIRED)["TWILIO_WEBHOOK_SHARED_KEYS"] == {"old": "retired", SHARED_KEY_ID: SHARED_SECRET}
    monkeypatch.setenv("TWILIO_WEBHOOK_SHARED_KEYS", "just-a-secret")
    with pytest.raises(ConfigError, match="TWILIO_WEBHOOK_SHARED_KEYS"):
        load_config(REQUIRED)
