"""Tells personal mail from what is skipped: spam, trash and drafts (by Gmail label or folder),
and mailing lists, newsletters, no-reply and automated senders (by their headers).

Every message gets exactly one outcome; only `personal` messages reach people and
interactions, the others are counted by outcome so that nothing is dropped unseen.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import PurePosixPath

from connectors.mail.headers import clean_text, decode_words

PERSONAL = "personal"
# Outcomes in the order they are tested: a spam newsletter counts as spam.
SPAM, TRASH, DRAFT = "spam", "trash", "draft"
MAILING_LIST, NEWSLETTER, AUTOMATED, NO_REPLY = "mailing_list", "newsletter", "automated", "no_reply"

# In words, for the counts the owner reads in the quarantine table.
OUTCOME_WORDS = {
    SPAM: "spam (Gmail label Spam, or a Spam or Junk folder)",
    TRASH: "in the trash (Gmail label Trash, or a Trash or Deleted folder)",
    DRAFT: "drafts, never sent (Gmail label Draft, or a Drafts folder)",
    MAILING_LIST: "mailing-list mail (List-Id, Precedence: list, or Gmail's Forums category)",
    NEWSLETTER: "newsletters and bulk mail (List-Unsubscribe, Precedence: bulk, or Gmail's Promotions category)",
    AUTOMATED: "automated mail (Auto-Submitted, an empty Return-Path, Precedence: junk, or Gmail's Social category)",
    NO_REPLY: "sent from a no-reply or robot address (noreply@, mailer-daemon@, notifications@, ...)",
}

# Gmail's system labels as Takeout writes them in X-Gmail-Labels (English names; Takeout writes
# system labels in English whatever the interface language).
_LABEL_OUTCOMES = {"spam": SPAM, "trash": TRASH, "draft": DRAFT, "drafts": DRAFT,
                   # Gmail's own categories: Promotions is bulk by construction; Social holds
                   # network notifications; Forums, list traffic. Updates is not used: Gmail
                   # files personal replies to invitations there too.
                   "category promotions": NEWSLETTER, "category social": AUTOMATED,
                   "category forums": MAILING_LIST}
SENT_LABELS = frozenset({"sent", "sent mail", "sent items", "sent messages", "gesendet", "envoyés", "enviados"})
# Folder names (Thunderbird, Apple Mail, Maildir++ with its leading dot, Outlook) that say the
# same as the labels.
_FOLDER_OUTCOMES = {"spam": SPAM, "junk": SPAM, "junk e-mail": SPAM, "junk email": SPAM, "bulk mail": SPAM,
                    "trash": TRASH, "deleted items": TRASH, "deleted messages": TRASH, "bin": TRASH,
                    "drafts": DRAFT, "draft": DRAFT}
_FOLDER_SUFFIXES = (".mbox", ".sbd", ".mbx")
# Local parts of robot senders; role addresses a person may read (info@, sales@) are not here.
# The robot word may follow the name of what sends it: `calendar-notification@` (Google Calendar),
# `bugzilla-daemon@` (in Thunderbird's test mail), `jira-noreply@`.
_ROBOT_LOCAL = re.compile(
    r"(?:[a-z0-9]+[-_.])*"
    r"(?:no[-_.]?reply|do[-_.]?not[-_.]?reply|daemon|postmaster|bounces?|notifications?|notify|"
    r"alerts?|newsletters?|automated|auto[-_.]?confirm)(?:[-+._].*)?")
_BULK_PRECEDENCE = {"bulk": NEWSLETTER, "list": MAILING_LIST, "junk": AUTOMATED}


# Label lists repeat across a mailbox (`Inbox,Category Promotions`): each is read once while recent.
LABEL_CACHE_SIZE = 1024


@lru_cache(maxsize=LABEL_CACHE_SIZE)
def labels(raw: str | None) -> tuple[str, ...]:
    """Gmail's labels, lower case: comma-separated, some quoted or encoded (non-ASCII names)."""
    if not raw:
        return ()
    return tuple(clean_text(decode_words(label)).strip('"').casefold() for label in raw.split(",") if label.strip())


def folder_parts(source_file: str) -> list[str]:
    """The folder names a file sits in (and its own name, for Thunderbird's extensionless
    folders), lower case, without Maildir++'s dot or mbox suffixes."""
    parts = []
    for part in PurePosixPath(source_file.replace("!", "/")).parts:
        name = part.casefold().lstrip(".")
        for suffix in _FOLDER_SUFFIXES:
            name = name.removesuffix(suffix)
        parts.extend(piece for piece in name.split(".") if piece)  # Maildir++: .Archive.Junk
    return parts


def folder_outcome(source_file: str) -> str | None:
    return next((_FOLDER_OUTCOMES[part] for part in folder_parts(source_file) if part in _FOLDER_OUTCOMES), None)


def in_sent_folder(source_file: str) -> bool:
    return any(part in SENT_LABELS for part in folder_parts(source_file))


def outcome(fields: dict[str, str], message_labels: tuple[str, ...], folder: str | None, sender: str | None) -> str:
    """What the message is, from its labels, its folder and its headers (`fields` holds the first
    value of each wanted field, as text)."""
    for label in message_labels:
        if label in _LABEL_OUTCOMES and _LABEL_OUTCOMES[label] in (SPAM, TRASH, DRAFT):
            return _LABEL_OUTCOMES[label]
    if folder:
        return folder
    if "list-id" in fields or "list-post" in fields:
        return MAILING_LIST
    precedence = fields.get("precedence", "").strip().casefold()
    if precedence in _BULK_PRECEDENCE:
        return _BULK_PRECEDENCE[precedence]
    if "list-unsubscribe" in fields:
        return NEWSLETTER
    auto = fields.get("auto-submitted", "").strip().casefold()
    if (auto and not auto.startswith("no")) or fields.get("return-path", "").strip() == "<>":
        return AUTOMATED
    if sender and _ROBOT_LOCAL.fullmatch(sender.split("@", 1)[0]):
        return NO_REPLY
    for label in message_labels:
        if label in _LABEL_OUTCOMES:
            return _LABEL_OUTCOMES[label]
    return PERSONAL
