"""Human-readable renderings of an arena run: plain text for terminals, Markdown for PRs and job summaries."""

from __future__ import annotations

from bot.core.comments import SEVERITY_BADGES
from bot.core.outcome import ArenaReport, ContenderOutcome


def render_text(report: ArenaReport) -> str:
    lines = [
        f"Review Arena: {report.source} (prompt {report.prompt_version})",
        f"reviewed {len(report.reviewed)} file(s), skipped {len(report.skipped)}",
    ]
    for s in report.skipped:
        lines.append(f"  skipped {s.path}: {s.reason}")
    for note in report.notes:
        lines.append(f"  note: {note}")
    for o in report.outcomes:
        lines += ["", _text_header(o)]
        for item in o.findings:
            p, f = item.placement, item.finding
            where = f"{p.path}:{p.line}" if p.line else f"{p.path} (in review body: {p.reason})"
            moved = f" [moved from {p.moved_from}]" if p.moved_from else ""
            lines.append(f"  {f.severity:<8} {f.category:<15} {where}{moved}")
            lines.append(f"           {f.title or f.body.splitlines()[0] if f.body else f.title}")
        lines += [f"  ! {p}" for p in o.problems]
        lines += [f"  x part {f.chunk + 1}: {f.message}" for f in o.failures]
    return "\n".join(lines) + "\n"


def _text_header(o: ContenderOutcome) -> str:
    u = o.usage
    return (
        f"== {o.contender.label} [{o.contender.name}] {o.status}: {len(o.findings)} finding(s) · model {o.model}"
        f" · tokens in {u.input_tokens} (cached {u.cached_input_tokens}) out {u.output_tokens}"
        f" (reasoning {u.reasoning_tokens}) · ${o.cost_usd:.4f} · {o.latency_s:.1f} s"
    )


def render_markdown(report: ArenaReport) -> str:
    lines = [
        f"## Review Arena: {report.source}",
        "",
        "| contender | status | findings | model | input | cached | output | reasoning | cost | latency |",
        "|---|---|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    for o in report.outcomes:
        u = o.usage
        lines.append(
            f"| {o.contender.label} | {o.status} | {len(o.findings)} | `{o.model}` | {u.input_tokens} | "
            f"{u.cached_input_tokens} | {u.output_tokens} | {u.reasoning_tokens} | ${o.cost_usd:.4f} | "
            f"{o.latency_s:.1f} s |"
        )
    for o in report.outcomes:
        lines += ["", f"### {o.contender.label}", ""]
        if o.error:
            lines.append(f"> ❌ {o.error}")
        for item in o.findings:
            p, f = item.placement, item.finding
            where = f"`{p.path}:{p.line}`" if p.line else f"`{p.path}` ({p.reason})"
            lines.append(f"- {SEVERITY_BADGES[f.severity]} {f.category} {where}: **{f.title}** {f.body}".rstrip())
        if not o.findings and not o.error:
            lines.append("No findings.")
    if report.skipped:
        lines += ["", "### Files not reviewed", ""]
        lines += [f"- `{s.path}`: {s.reason}" for s in report.skipped]
    return "\n".join(lines) + "\n"
