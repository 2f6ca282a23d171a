"""Field rules, each in one place. Checks collect every failing field before raising, so a
client learns all that is wrong at once."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import TypeVar

from email_validator import EmailNotValidError, validate_email

from infra.errors import ValidationFailed

T = TypeVar("T")

USERNAME_PATTERN = re.compile(r"[A-Za-z0-9._-]{3,50}")
NAME_MAX = 100
EMAIL_MAX = 254
PASSWORD_MIN = 8
# Not a bcrypt limit (long passwords are pre-hashed) but a guard against megabyte "passwords".
PASSWORD_MAX = 1024
# Text may hold tabs and line breaks; no other C0 control (NUL truncates in C libraries and some
# drivers, ESC starts terminal sequences in a log).
TEXT_CONTROLS_ALLOWED = frozenset("\t\n\r")
# Bidirectional overrides and isolates: they make a name read as something else ("exe.txt").
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


class FieldErrors:
    def __init__(self) -> None:
        self.fields: dict[str, str] = {}

    def check(self, name: str, value: T, rule: Callable[[T], T]) -> T:
        try:
            return rule(value)
        except ValueError as error:
            self.fields[name] = str(error)
            return value

    def raise_if_any(self) -> None:
        if self.fields:
            raise ValidationFailed(self.fields)


def is_blank(text: str) -> bool:
    """Nothing to read: no characters, or only spaces and format characters (a zero-width
    space, say), which str.strip() keeps."""
    return all(char.isspace() or unicodedata.category(char) in ("Cf", "Cc") for char in text)


def text(value: str) -> str:
    """Any text a user writes (a message, a title, a description, a password): NUL and the other
    C0 controls but tab, line feed and carriage return are refused."""
    if any(char < " " and char not in TEXT_CONTROLS_ALLOWED for char in value):
        raise ValueError("must not contain control characters")
    return value


def bounded_text(maximum: int, *, empty: bool = False) -> Callable[[str], str]:
    """The rule for a piece of prose (a message, a title, a description): trimmed, at most
    `maximum` characters, `text`'s controls refused; an invisible one is empty, which only
    fields that may be empty accept."""

    def rule(value: str) -> str:
        cleaned = value.strip()
        if is_blank(cleaned):
            if not empty:
                raise ValueError("must not be empty")
            return ""
        if len(cleaned) > maximum:
            raise ValueError(f"must be at most {maximum} characters")
        return text(cleaned)

    return rule


def username(value: str) -> str:
    if not USERNAME_PATTERN.fullmatch(value):
        raise ValueError("must be 3 to 50 characters of letters, digits, '.', '_' or '-'")
    return value


def name(value: str) -> str:
    cleaned = value.strip()
    if is_blank(cleaned):
        raise ValueError("must not be empty")
    if len(cleaned) > NAME_MAX:
        raise ValueError(f"must be at most {NAME_MAX} characters")
    # Stricter than text: one line, and no bidirectional tricks.
    if any(unicodedata.category(char) == "Cc" or char in BIDI_CONTROLS for char in cleaned):
        raise ValueError("must not contain control characters")
    return cleaned


def email(value: str) -> str:
    if len(value) > EMAIL_MAX:
        raise ValueError(f"must be at most {EMAIL_MAX} characters")
    try:
        checked = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError:
        raise ValueError("must be a valid email address") from None
    return checked.normalized.lower()


def password(value: str) -> str:
    if len(value) < PASSWORD_MIN:
        raise ValueError(f"must be at least {PASSWORD_MIN} characters")
    if len(value) > PASSWORD_MAX:
        raise ValueError(f"must be at most {PASSWORD_MAX} characters")
    return text(value)
