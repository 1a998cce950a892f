"""The unit and service tiers run with the network switched off."""

from __future__ import annotations

import socket

import pytest
from pytest_socket import SocketBlockedError


def test_network_guard_refuses_a_socket_in_the_unit_tier() -> None:
    # pytest-socket warns, then raises; under `filterwarnings = error` either fails a test.
    with pytest.raises(SocketBlockedError), pytest.warns(UserWarning, match="socket"):
        socket.create_connection(("127.0.0.1", 9), timeout=0.1)
