"""The "why it won" heat map: each token of the text coloured by how much the instruction helped predict it.

The gain of a token is NLL(token | instruction) − NLL(token | no instruction), in hundredths of a nat as
the records keep it (opening.pipeline.report.token_scores). Negative (helped) is blue, positive (hurt)
is orange, white is no change; the strength saturates at :data:`FULL_SCALE`. Blue and orange stay apart
for the common colour-vision deficiencies (the ColorBrewer PuOr/RdBu ends), and every token also carries
its value in a tooltip, so the colour is never the only carrier.
"""

from __future__ import annotations

import html

from opening.gui.strings import tr

FULL_SCALE = 300
"""Hundredths of a nat at which the colour is full (3 nats: 20× more or less likely)."""
HELPED = (33, 102, 172)  # #2166ac
HURT = (179, 88, 6)  # #b35806


def colour(gain: int | None) -> str:
    if gain is None:
        return "#eeeeee"
    strength = min(1.0, abs(gain) / FULL_SCALE)
    base = HELPED if gain < 0 else HURT
    r, g, b = (round(255 + (c - 255) * strength) for c in base)
    return f"#{r:02x}{g:02x}{b:02x}"


def _ink(gain: int | None) -> str:
    return "#ffffff" if gain is not None and abs(gain) > 0.6 * FULL_SCALE else "#000000"


def _span(text: str, gain: int | None) -> str:
    tip = tr("heat_tip_none") if gain is None else tr("heat_tip", gain=gain / 100)
    body = html.escape(text).replace("\n", "<br>") or "&#8203;"
    return f'<span style="background-color:{colour(gain)};color:{_ink(gain)}" title="{html.escape(tip)}">{body}</span>'


def heat_map_html(tokens: list[str], gains: list[int | None]) -> str:
    """The text as coloured spans (one per token), then the legend."""
    spans = "".join(_span(t, g) for t, g in zip(tokens, gains, strict=False))
    legend = " ".join(
        _span(f" {label} ", gain)
        for label, gain in (
            (tr("heat_helped_much"), -FULL_SCALE),
            (tr("heat_helped"), -FULL_SCALE // 3),
            (tr("heat_no_change"), 0),
            (tr("heat_hurt"), FULL_SCALE // 3),
            (tr("heat_hurt_much"), FULL_SCALE),
        )
    )
    legend_text = html.escape(tr("heat_legend"))
    return f'<p style="white-space:pre-wrap">{spans}</p><p><small>{legend_text}</small><br>{legend}</p>'
