"""Loads the labelled sample consultations (``examples/sample-consultations.json``)
through the running system, over HTTP, as reporters would raise them. Every body is
marked ``"sample": true`` and its texts start with サンプル."""

from __future__ import annotations

import argparse
import json
import sys

import httpx

from shared.identity import issue_token
from shared.settings import PROJECT_ROOT, Settings

SAMPLES = PROJECT_ROOT / "examples" / "sample-consultations.json"


def load_samples(settings: Settings, intake_url: str) -> list[str]:
    references = []
    for item in json.loads(SAMPLES.read_text(encoding="utf-8")):
        token = issue_token(settings, role="reporter", scope=item["reporter_id"], subject=item["reporter_id"])
        response = httpx.post(
            f"{intake_url}/v1/consultations",
            json=item["body"],
            headers={"authorization": f"Bearer {token}"},
            timeout=10,
        )
        response.raise_for_status()
        references.append(response.json()["reference"])
    return references


def seed_once(settings: Settings, urls: dict[str, str]) -> None:
    marker = settings.data_dir / ".sample-data-loaded"
    if marker.exists():
        print(f"[tsunagi] sample data already loaded ({marker.read_text(encoding='utf-8').strip()})", flush=True)
        return
    references = load_samples(settings, urls["intake"])
    marker.write_text(" ".join(references) + "\n", encoding="utf-8")
    print(f"[tsunagi] loaded {len(references)} SAMPLE consultations (サンプル): {' '.join(references)}", flush=True)


def run_seed(_args: argparse.Namespace) -> int:
    settings = Settings()
    try:
        references = load_samples(settings, settings.url_of("intake"))
    except httpx.HTTPError as exc:
        print(f"error: could not reach intake at {settings.url_of('intake')}: {exc}", file=sys.stderr)
        return 1
    print("loaded SAMPLE consultations:", " ".join(references))
    return 0
