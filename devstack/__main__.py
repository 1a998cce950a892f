"""`python -m devstack run`: the whole local stack in the foreground; Ctrl-C stops it all."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path
from types import FrameType

from devstack.engines import (
    Child,
    StackError,
    ensure_ports_free,
    start_api,
    start_dynamodb,
    start_moto,
    start_runner,
    use_endpoint,
)
from devstack.env import EndpointError, LocalEnv


def _terminate(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def run(env: LocalEnv) -> int:
    signal.signal(signal.SIGTERM, _terminate)
    # Ctrl-C stops it all even when started where SIGINT is ignored (a shell's background job
    # inherits SIGINT ignored, and Python then leaves it so).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    children: list[Child] = []
    try:
        ensure_ports_free(env)
        _engines(env, children)
        credentials, demo = _prepare(env)
        print("Starting chalice local ...", flush=True)
        children.append(start_api(env))
        children.append(start_runner(env))
        from devstack.bootstrap import banner

        print(banner(credentials, demo), flush=True)
        while all(child.alive() for child in children):
            time.sleep(0.5)
        dead = [child.name for child in children if not child.alive()]
        print(f"Stopping: {', '.join(dead)} exited unexpectedly.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nStopping the local stack ...", flush=True)
        return 0
    except StackError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        for child in reversed(children):
            child.stop()
        print("Stopped.", flush=True)


def _engines(env: LocalEnv, children: list[Child]) -> None:
    """Start DynamoDB Local and moto's server, or use the ones the environment names (which
    are left running when the stack stops)."""
    if env.dynamodb_endpoint:
        print(
            f"Using DynamoDB at {env.dynamodb_endpoint} (PAYCASE_DYNAMODB_ENDPOINT) ...", flush=True
        )
        use_endpoint(env.dynamodb_endpoint, "PAYCASE_DYNAMODB_ENDPOINT")
    else:
        print(f"Starting DynamoDB Local (data in {env.data_dir / 'dynamodb'}) ...", flush=True)
        children.append(start_dynamodb(env))
    if env.aws_endpoint:
        print(
            f"Using Scheduler, SNS, SES and S3 at {env.aws_endpoint} (PAYCASE_AWS_ENDPOINT) ...",
            flush=True,
        )
        use_endpoint(env.aws_endpoint, "PAYCASE_AWS_ENDPOINT")
    else:
        print("Starting moto server (EventBridge Scheduler, SNS, SES, S3) ...", flush=True)
        children.append(start_moto(env))


def _prepare(env: LocalEnv) -> tuple[dict[str, object], dict[str, object] | None]:
    """Create the tables and resources, seed the demo data (in this process)."""
    os.environ.update(env.app_environment())
    from chalicelib.settings import Settings
    from chalicelib.wiring import Container
    from devstack.bootstrap import (
        demo_complaint,
        demo_evidence,
        demo_payment,
        provision,
        save_demo_case,
        seed,
    )

    container = Container(Settings.from_env())
    provision(container)
    credentials = seed(container, env)
    demo = demo_complaint(container)
    save_demo_case(env, credentials, demo)
    demo_payment(container)
    demo_evidence(container, demo)
    return credentials, demo


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="start the local stack (make run)")
    packaging = commands.add_parser("package", help="CloudFormation for a stage (make package)")
    packaging.add_argument("--stage", choices=("dev", "prod"), default="dev")
    packaging.add_argument("--out", type=Path, help="output directory (default build/<stage>)")
    admin = commands.add_parser("create-admin", help="the first admin of a deployed stage")
    admin.add_argument("--stage", choices=("dev", "prod"), required=True)
    admin.add_argument("--name", required=True)
    admin.add_argument("--team")
    backfill = commands.add_parser(
        "backfill-search", help="give existing cases their search lookups (resumable)"
    )
    backfill.add_argument("--stage", choices=("dev", "prod"), required=True)
    backfill.add_argument("--restart", action="store_true", help="read every case again")
    args = parser.parse_args(argv)
    if args.command == "backfill-search":
        from devstack.backfill import backfill_search

        print(f"Backfilling the search index of stage {args.stage} ...", flush=True)
        report = backfill_search(args.stage, restart=args.restart)
        state = "done" if report.done else "not finished: run it again"
        print(f"{report.cases} cases read, {report.lookups} lookups written; {state}.")
        return 0
    if args.command == "create-admin":
        from devstack.admin import create_admin

        member, token = create_admin(args.stage, args.name, args.team)
        print(f"Created admin {member.name} ({member.staff_id}) in stage {args.stage}.")
        print(f"Token (shown once, store it safely): {token}")
        return 0
    if args.command == "run":
        try:
            env = LocalEnv.from_environ()
        except EndpointError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        return run(env)
    if args.command == "package":
        from devstack.package import PackageError, package

        try:
            print(package(args.stage, args.out or Path("build") / args.stage), flush=True)
        except PackageError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        return 0
    return 2


if __name__ == "__main__":
    sys.exit(main())
