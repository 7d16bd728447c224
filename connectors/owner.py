"""Reads `owner.yaml`: who the owner is, so that they never rank among their own ties."""
from __future__ import annotations

from typing import BinaryIO

import yaml

from connectors.normalize import normalize_email, normalize_linkedin_url
from connectors.records import FileResult
from connectors.textfile import NotText, decode_text

# Bump when this connector's rows change, so that files read by an older version are read again.
PARSER_VERSION = 1


def parse_owner(stream: BinaryIO, source_file: str) -> FileResult:
    result = FileResult(source_file, kind="owner", items=1)
    try:
        document = yaml.safe_load(decode_text(stream.read()))
    except (NotText, yaml.YAMLError) as error:
        result.reject("whole file", f"not readable YAML ({str(error).splitlines()[0]})")
        return result
    if not isinstance(document, dict):
        result.reject("whole file", "expected a mapping with name, emails and linkedin")
        return result
    raw_emails = document.get("emails") or []
    if not isinstance(raw_emails, list):  # a single value, as for phones: an address or not
        raw_emails = [raw_emails]
    if document.get("email"):
        raw_emails.append(document["email"])
    emails = sorted({e for e in (normalize_email(str(x)) for x in raw_emails) if e})
    linkedin_url = normalize_linkedin_url(str(document.get("linkedin") or ""))
    name = " ".join(str(document.get("name") or "").split()) or None
    if not (name or emails or linkedin_url):
        result.reject("whole file", "none of name, emails or linkedin is given, so the owner cannot be recognised")
        return result
    phones = document.get("phones") or []
    result.add("owner", {
        "source_file": source_file,
        "name": name,
        "emails": emails,
        "linkedin_url": linkedin_url,
        "phones": [str(p) for p in (phones if isinstance(phones, list) else [phones])],
        "default_region": str(document.get("default_region") or document.get("region") or "").upper() or None,
    })
    return result
