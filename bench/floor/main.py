"""One floor service as its own process: ``python -m bench.floor.main <service> --port P``
(settings from the same ``TSUNAGI_*`` environment a Tsunagi service reads). intake serves
HTTP (uvicorn, as Tsunagi's services are served) beside its consumer and relay; the
others run their consumers and relay. referral reads ``tsunagi.case`` in its group and
acks, as Tsunagi's referral does with ``case.opened`` (no handler there)."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from redis.asyncio import Redis

from bench.floor.bus import consume
from bench.floor.db import Lanes
from shared.clock import Clock
from shared.keyring import KeyRing
from shared.reference import load_reference_data
from shared.settings import Settings


async def serve(service: str, port: int) -> None:
    settings = Settings()
    clock = Clock.from_settings(settings)
    keys = KeyRing.from_settings(settings)
    reference = load_reference_data(settings.reference_dir)
    url = settings.database_url or str(Path(settings.data_dir) / f"{service}.db")
    lanes = Lanes(url, service)
    redis = Redis.from_url(settings.effective_redis_url())
    tasks: list = []
    if service == "intake":
        import uvicorn

        from bench.floor.intake import Intake

        app = Intake(settings, lanes, redis, keys, reference, clock)
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False))
        tasks = [server.serve(), *await app.tasks()]
    elif service == "case":
        from bench.floor.case import Case
        from services.case.adapters.chain_key import timeline_key
        from services.case.domain.matching import MatchKeys

        match = MatchKeys(settings.match_key.get_secret_value().encode())
        tasks = await Case(lanes, redis, keys, reference, clock, match, timeline_key(settings)).tasks()
    elif service == "notify":
        from bench.floor.notify import Notify
        from services.notify.handlers.context import load_templates

        tasks = await Notify(lanes, redis, keys, reference, clock, load_templates()).tasks()
    elif service == "referral":
        from services.referral.adapters.orm import messaging

        db, lock = await lanes.get("consumer")
        tasks = [consume(db, redis, messaging, keys, "tsunagi.case", "referral", {}, clock, lock, asyncio.Event(), 0.1)]
    print("ready", flush=True)
    await asyncio.gather(*tasks)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("service", choices=["intake", "case", "notify", "referral"])
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    asyncio.run(serve(args.service, args.port))


if __name__ == "__main__":
    main()
