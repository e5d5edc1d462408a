"""The readable form of a ``tsunagi check`` report."""

from __future__ import annotations

from shared.clock import jst_text, utcnow
from shared.messaging.consistency_report import Report


def render(report: Report) -> str:
    lines = [f"Tsunagi consistency check — {jst_text(utcnow())}", ""]
    lines.append(
        f"{'EVENTS':<50} {'PUBLISHED':>9} {'APPLIED':>8} {'IN FLIGHT':>9} {'DEAD':>5} {'ERASED':>6} {'LOST':>5}"
    )
    for f in report.flows:
        name = f"{f.event_type} ({f.publisher} → {f.consumer})"
        counts = f"{f.published:>9} {f.applied:>8} {f.in_flight:>9} {f.dead_lettered:>5} {f.erased:>6} {len(f.lost):>5}"
        lines.append(f"{name:<50} {counts}")
    if not report.flows:
        lines.append("(no events published yet)")
    lines += ["", f"{'RULE':<62} {'CAUSES':>7} {'MISSING':>8} {'TWICE+':>7}"]
    for r in report.rules:
        lines.append(f"{r.rule.description:<62} {r.causes:>7} {len(r.missing):>8} {len(r.duplicated):>7}")
    lines += ["", f"{'STREAM / GROUP':<40} {'PENDING':>8} {'UNREAD':>8} {'CONSUMERS':>10}"]
    for g in report.groups:
        lines.append(f"{g.stream + ' / ' + g.group:<40} {g.pending:>8} {g.undelivered:>8} {g.consumers:>10}")
    lines += ["", f"{'SERVICE':<12} {'OUTBOX BACKLOG':>15} {'DEAD LETTERS':>13}"]
    for service in sorted(set(report.backlog) | set(report.dead_letters)):
        lines.append(f"{service:<12} {report.backlog.get(service, 0):>15} {report.dead_letters.get(service, 0):>13}")
    for service, why in sorted(report.skipped.items()):
        lines.append(f"{service:<12} skipped: {why}")
    if report.erased:
        lines.append(
            f"\n{report.erased} event(s) erased by retention (保存期間) before a consumer applied them: not lost"
        )
    if report.republished:
        lines.append(
            f"\n{report.republished} event(s) published more than once (relay at-least-once; "
            "consumers skipped the copies)"
        )
    for f in report.flows:
        for event_id in f.lost[:10]:
            lines.append(f"LOST {f.event_type} {event_id}: published by {f.publisher}, never applied by {f.consumer}")
    for r in report.rules:
        for event_id in r.missing[:10]:
            lines.append(
                f"LOST {r.rule.cause} {event_id}: applied by {r.rule.service} without {' or '.join(r.rule.effects)}"
            )
        for event_id in r.duplicated[:10]:
            lines.append(f"DUPLICATE {r.rule.cause} {event_id}: caused more than one {' / '.join(r.rule.effects)}")
    verdict = (
        "OK: nothing lost, nothing applied twice"
        if report.ok
        else (f"PROBLEM: {report.lost} lost, {report.duplicated} duplicated")
    )
    if report.in_flight:
        verdict += f" ({report.in_flight} still in flight)"
    lines += ["", verdict]
    return "\n".join(lines)
