"""The dev outbox: messages kept in `{data_dir}/outbox.jsonl` when no SMTP or SMS route is set.

One JSON object per line: `{"id", "sent_at", "medium", "to", "from"?, "subject"?, "text",
"html"?}`. Several server processes may share one data dir, so every message is appended with a
single `write` on an `O_APPEND` descriptor: lines never interleave. The file is created 0600
because it holds codes and temporary passwords.
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

OUTBOX_FILE_NAME = "outbox.jsonl"

Medium = Literal["EMAIL", "SMS"]


def outbox_path(data_dir: Path) -> Path:
    """Where the outbox of a data dir lives."""
    return data_dir / OUTBOX_FILE_NAME


def append_message(
    data_dir: Path,
    *,
    medium: Medium,
    to: str,
    text: str,
    sent_at: datetime,
    sender: str | None = None,
    subject: str | None = None,
    html: str | None = None,
) -> dict[str, Any]:
    """Append one message to the outbox and return the record written.

    The record is one line written with one `write` call, so concurrent writers (threads or
    processes) never interleave. Optional fields are omitted when None.
    """
    record: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "sent_at": sent_at.isoformat().replace("+00:00", "Z"),
        "medium": medium,
        "to": to,
    }
    optional = {"from": sender, "subject": subject}
    record.update({key: value for key, value in optional.items() if value is not None})
    record["text"] = text
    if html is not None:
        record["html"] = html
    line = (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8")
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor = os.open(outbox_path(data_dir), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        written = os.write(descriptor, line)
        # A regular local file takes the whole line at once; finishing a short write keeps the
        # line intact even on the rare file system that splits it.
        while written < len(line):
            written += os.write(descriptor, line[written:])
    finally:
        os.close(descriptor)
    return record


def read_outbox(data_dir: Path) -> list[dict[str, Any]]:
    """Every message in the outbox, oldest first; empty when there is no outbox.

    A line that is not a JSON object (a write cut short by a crash) is skipped rather than
    hiding every message after it.
    """
    try:
        content = outbox_path(data_dir).read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    records: list[dict[str, Any]] = []
    for line in content.splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def _format_record(record: Mapping[str, Any]) -> str:
    header = f"--- {record.get('medium', '?')} {record.get('sent_at', '')} ({record.get('id', '')})"
    lines = [header, f"To: {record.get('to', '')}"]
    if "from" in record:
        lines.append(f"From: {record['from']}")
    if "subject" in record:
        lines.append(f"Subject: {record['subject']}")
    lines.extend(["", str(record.get("text", ""))])
    if "html" in record:
        lines.extend(["", "[HTML]", str(record["html"])])
    return "\n".join(lines) + "\n"


def print_outbox(data_dir: Path, *, as_json: bool) -> None:
    """Print the outbox for `cognate outbox` on standard output.

    Human-readable blocks by default; with `as_json`, one JSON object per line exactly as
    stored (pipe it to `jq`). Says "The outbox is empty." when there is nothing: on standard
    output, or on standard error with `as_json` so that the JSON stream stays parseable.
    """
    records = read_outbox(data_dir)
    if not records:
        (sys.stderr if as_json else sys.stdout).write("The outbox is empty.\n")
        return
    if as_json:
        sys.stdout.writelines(json.dumps(record, ensure_ascii=False) + "\n" for record in records)
        return
    sys.stdout.write("\n".join(_format_record(record) for record in records))
