"""moto's server, as `python -m moto.server` runs it, with its response serializer's key
lookups remembered (devstack/moto_speed.py) and the SNS and SES delivery log in front of it
(devstack/delivery_log.py): the local stack's stand-in for AWS's SNS, SES, Scheduler and S3."""

from __future__ import annotations

import argparse
import os

from devstack import moto_speed


def main() -> None:
    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from werkzeug.serving import run_simple

    from devstack.delivery_log import moto_app

    parser = argparse.ArgumentParser()
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=5000)
    args = parser.parse_args()
    os.environ.setdefault("MOTO_PORT", str(args.port))  # as moto's own entry point does
    moto_speed.apply()
    run_simple(args.host, args.port, moto_app(), threaded=True, request_handler=MotoRequestHandler)


if __name__ == "__main__":
    main()
