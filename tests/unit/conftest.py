"""Unit tests: pure domain rules. No socket may open (the network guard)."""

from tests.network_guard import no_network  # noqa: F401 - an autouse fixture
