from tests.conftest import twiml
from tests.helpers import call_params, make_mailbox


def test_incoming_forwards(app, twilio):
    make_mailbox()
    root = twiml(twilio.post("/voice/incoming", call_params()))
    assert root.find("Dial/Number").text == "+14155550111"
