"""Setting up the local AWS resources (devstack/bootstrap.py) on a busy machine."""

from __future__ import annotations

from email.utils import parseaddr

from chalicelib import wiring
from devstack.bootstrap import provision
from tests.botocore_faults import BotocoreFaults


def test_provision_waits_out_a_timed_out_setup_call(container: wiring.Container) -> None:
    ses = container.client("sesv2")
    sender = parseaddr(container.settings.email_from)[1]
    ses.delete_email_identity(EmailIdentity=sender)
    # GIVEN moto's SES answering nothing to the sender's setup, twice (a loaded machine)
    with BotocoreFaults(ses) as faults:
        faults.time_out("CreateEmailIdentity", times=2)
        # WHEN the stack is provisioned
        provision(container)
    # THEN the call was tried past both timeouts, and the sender identity is there
    assert faults.calls["CreateEmailIdentity"] == 2
    assert ses.get_email_identity(EmailIdentity=sender)["IdentityType"] == "EMAIL_ADDRESS"
