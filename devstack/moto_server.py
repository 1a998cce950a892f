"""moto's server (`python -m moto.server`), with its response serializer's key lookups
remembered (devstack/moto_speed.py)."""

from __future__ import annotations

from moto.server import main

from devstack import moto_speed

if __name__ == "__main__":
    moto_speed.apply()
    main()
