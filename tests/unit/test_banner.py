"""What `make run` prints: each demo member's staff_id beside their token."""

from __future__ import annotations

from devstack.bootstrap import banner


def test_banner_prints_each_staff_id_beside_its_token() -> None:
    credentials = {
        "api": "http://127.0.0.1:9000",
        "staff_tokens": {"admin": "st_admin_token", "agent": "st_agent_token"},
        "staff_ids": {"admin": "stf_0000000000000a", "agent": "stf_0000000000000b"},
        "merchants": [{"merchant_id": "M100001", "secret": "msk_x"}],
        "webhook_secret": "whsec",
    }
    lines = banner(credentials, None).splitlines()
    assert any("admin" in ln and "stf_0000000000000a  st_admin_token" in ln for ln in lines)
    assert any("agent" in ln and "stf_0000000000000b  st_agent_token" in ln for ln in lines)
