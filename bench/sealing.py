"""What sealing the personal fields of an event costs, in-process: a
``consultation.submitted`` with every personal field filled (six of them), sealed as
the unit of work seals it for the outbox and opened as ``payload_as`` opens it for the
case service's handler, next to reading the same payload unsealed.

    python -m bench.sealing [--n 20000]

Prints CPU µs per call."""

from __future__ import annotations

import argparse
import json
import time
import timeit

from shared.events import SYSTEM, ConsultationSubmitted, Envelope
from shared.events.consultation import HouseholdMember, PersonConcerned
from shared.events.personal import seal_payload
from shared.keyring import KeyRing


def sample() -> ConsultationSubmitted:
    return ConsultationSubmitted(
        consultation_id="01J00000000000000000000000",
        reference="TSN-2026-000001",
        reporter_id="vol-1",
        reporter_role="民生委員・児童委員",
        channel="電話",
        school_district="SD07",
        categories=["8050", "ひきこもり"],
        urgency="高",
        consent="未確認",
        person=PersonConcerned(
            name="サンプル 太郎", name_kana="サンプル タロウ", age_group="80代", approximate_place="サンプル町1丁目付近"
        ),
        household=[
            HouseholdMember(relation="本人", age_group="80代"),
            HouseholdMember(relation="長男", age_group="50代", name="サンプル 一郎", note="ほとんど外出していない様子"),
        ],
        noticed="サンプル: 新聞がたまっている。80代の母と50代の息子の二人暮らし。",
        sample=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=20_000)
    n = parser.parse_args().n
    ring = KeyRing.new()
    envelope = Envelope.wrap(sample(), aggregate_id="c1", actor=SYSTEM, correlation_id="bench")
    sealed = envelope.model_copy(update={"payload": seal_payload(ConsultationSubmitted, envelope.payload, ring)})
    sealed.opened_with(ring)

    def per_call_us(call: object) -> float:
        # CPU time of this process: the machines are shared, wall time moves with the neighbours.
        return timeit.Timer(call, timer=time.process_time).timeit(number=n) / n * 1e6  # type: ignore[arg-type]

    seal = per_call_us(lambda: seal_payload(ConsultationSubmitted, envelope.payload, ring))
    opened = per_call_us(lambda: sealed.payload_as(ConsultationSubmitted))
    plain = per_call_us(lambda: envelope.payload_as(ConsultationSubmitted))
    size = len(json.dumps(envelope.payload, ensure_ascii=False).encode())
    sealed_size = len(json.dumps(sealed.payload).encode())
    print(f"seal for the outbox   {seal:6.1f} µs")
    print(f"payload_as, sealed    {opened:6.1f} µs  (unsealed {plain:.1f} µs: +{opened - plain:.1f} µs to open)")
    print(f"payload JSON          {size} → {sealed_size} bytes")


if __name__ == "__main__":
    main()
