"""The README's picture of a breach alert: the message Slawatch posts, drawn as an HTML page.

    .venv/bin/python docs/screenshots/alert_preview.py zh_CN > /tmp/alert.html
    chromium --headless --screenshot=docs/screenshots/alert-zh_CN.png --window-size=720,400 /tmp/alert.html

The text and the blocks are exactly what connectors/slack_blocks.py sends to Slack
(`alert_message`) for one example breach; only the drawing is ours: a small subset of Block Kit
(section text and fields, context, buttons) and of mrkdwn (*bold*, _italic_, <url|links>,
<@member> mentions, <!date^…|fallback> dates, a few :emoji:) in Slack's colours. Slack's own
client draws it a little differently. Needs a CJK font for Chinese (Debian: fonts-noto-cjk).
"""
from __future__ import annotations

import html
import re
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from connectors.slack_blocks import alert_message  # noqa: E402
from processors.alerts import Alert, ClockView  # noqa: E402

# Slack draws these emoji as pictures; here a coloured badge (no emoji font needed)
EMOJI = {"rotating_light": ("!", "#e01e5a"), "warning": ("!", "#ecb22e"), "sos": ("SOS", "#e01e5a"),
         "white_check_mark": ("✓", "#2eb67d"), "eyes": ("👁", "#555")}
PEOPLE = {"U012MANAGER": "王经理", "U034BOSS": "陈总监"}
DUE = datetime(2026, 1, 5, 8, 30, tzinfo=timezone.utc)  # Monday 16:30 in Shanghai
LINK = "https://acme-it.atlassian.net/browse/ACME-12"


def example(locale: str) -> tuple[str, list[dict]]:
    """The breach of ACME-12's 30-minute first response, 08:30 UTC (16:30 in Shanghai)."""
    chinese = locale == "zh_CN"
    view = ClockView(
        ticket="ACME-12", metric="first_response", cycle=1, state="running", target_seconds=1800,
        elapsed_seconds=1800, paused_seconds=0, started_at=DUE - timedelta(minutes=30), stopped_at=None,
        due_at=DUE, breached_at=DUE, warnings=(), policy="urgent", calendar="shanghai-office",
        summary="VPN 无法连接（上海办公室）" if chinese else "VPN down in the Shanghai office",
        priority="High", status="Open", vendor="acme")
    alert = Alert(key="alert:ACME-12:first_response:1:breach", kind="breach", level="breach",
                  channel="#acme-sla", ticket="ACME-12", metric="first_response", cycle=1, at=DUE,
                  mentions=tuple(PEOPLE), thread_key=None, clock=view,
                  vendor_name="华东运维服务" if chinese else "ACME Outsourcing", timezone="Asia/Shanghai",
                  link=LINK)
    return alert_message(alert, locale)


def mrkdwn(text: str) -> str:
    """Slack's mrkdwn as HTML (the subset an alert uses)."""
    out = html.escape(text, quote=False)
    out = re.sub(r"&lt;!date\^\d+\^[^|]*\|([^&]*)&gt;", r"\1", out)
    out = re.sub(r"&lt;@(\w+)&gt;", lambda m: f'<span class="mention">@{PEOPLE.get(m.group(1), m.group(1))}</span>', out)
    out = re.sub(r"&lt;(https?://[^|&]+)\|([^&]*)&gt;", r'<a href="\1">\2</a>', out)
    out = re.sub(r":([a-z_]+):", lambda m: f'<span class="emoji" style="background:{EMOJI[m.group(1)][1]}">'
                 f'{EMOJI[m.group(1)][0]}</span>' if m.group(1) in EMOJI else m.group(0), out)
    out = re.sub(r"\*([^*\n]+)\*", r"<b>\1</b>", out)
    out = re.sub(r"(?<![\w/])_([^_\n]+)_(?!\w)", r"<i>\1</i>", out)
    return out.replace("\n", "<br>")


def page(blocks: list[dict], locale: str) -> str:
    parts = []
    for block in blocks:
        if block["type"] == "section" and "text" in block:
            parts.append(f'<div class="text">{mrkdwn(block["text"]["text"])}</div>')
        if block["type"] == "section" and "fields" in block:
            fields = "".join(f"<div>{mrkdwn(f['text'])}</div>" for f in block["fields"])
            parts.append(f'<div class="fields">{fields}</div>')
        elif block["type"] == "context":
            parts.append('<div class="context">' + " ".join(mrkdwn(e["text"]) for e in block["elements"]) + "</div>")
        elif block["type"] == "actions":
            buttons = "".join(f'<span class="button {e.get("style", "")}">{html.escape(e["text"]["text"])}</span>'
                              for e in block["elements"])
            parts.append(f'<div class="actions">{buttons}</div>')
    lang = "zh-CN" if locale == "zh_CN" else "en"
    return f"""<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><style>
body {{ font: 15px/1.46 "Noto Sans CJK SC", "Noto Sans SC", Lato, "Helvetica Neue", sans-serif; color: #1d1c1d;
       margin: 0; padding: 20px; background: #fff; }}
.message {{ display: flex; gap: 8px; max-width: 700px; }}
.avatar {{ width: 36px; height: 36px; border-radius: 6px; background: #1f5fa8; color: #fff; font-weight: 700;
          display: flex; align-items: center; justify-content: center; flex: none; }}
.name {{ font-weight: 900; }} .app {{ font-size: 10px; background: #ddd; border-radius: 2px; padding: 0 3px; color: #555; }}
.time {{ color: #616061; font-size: 12px; margin-left: 4px; }}
.text, .fields, .context, .actions {{ margin-top: 6px; }}
.fields {{ display: grid; grid-template-columns: 1fr 1fr; gap: 8px 16px; }}
.context {{ color: #616061; font-size: 13px; }}
.emoji {{ display: inline-block; min-width: 16px; height: 16px; line-height: 16px; border-radius: 4px; color: #fff;
         font-size: 11px; font-weight: 900; text-align: center; padding: 0 2px; vertical-align: -2px; }}
a {{ color: #1264a3; text-decoration: none; }} .mention {{ background: #e8f5fa; color: #1264a3; border-radius: 3px; padding: 0 2px; }}
.button {{ display: inline-block; border: 1px solid #bbb; border-radius: 4px; padding: 3px 12px; margin-right: 8px;
          font-weight: 700; font-size: 14px; }}
.button.primary {{ background: #007a5a; color: #fff; border-color: #007a5a; }}
</style></head><body><div class="message"><div class="avatar">S</div><div>
<div><span class="name">Slawatch</span> <span class="app">APP</span><span class="time">16:30</span></div>
{"".join(parts)}</div></div></body></html>
"""


def main() -> None:
    locale = sys.argv[1] if len(sys.argv) > 1 else "zh_CN"
    _, blocks = example(locale)
    sys.stdout.write(page(blocks, locale))


if __name__ == "__main__":
    main()
