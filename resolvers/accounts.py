"""Accounts: registration (open, by invite, or closed), sign-in, profile, password, invites.

Every use case that hashes or checks a password counts the attempt first (infra/security/throttle),
so no limit can be beaten by sending many at once. Registration checks the invite code before
it looks at who has the name or email, and before it hashes: without a valid code nobody learns
which accounts exist, nor makes the service hash anything."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypedDict

from tortoise.exceptions import IntegrityError
from tortoise.expressions import F
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from infra.errors import Conflict, Forbidden, Unauthenticated, ValidationFailed
from infra.security import throttle
from infra.security.passwords import hash_password, verify_password
from infra.security.tokens import issue_token
from infra.settings.values import Registration
from models import InviteCode, InviteRedemption, User
from resolvers import validation
from resolvers.context import RequestContext

INVITE_DEFAULT_USES = 1
INVITE_DEFAULT_HOURS = 72
INVITE_MAX_USES = 1000
INVITE_MAX_HOURS = 24 * 365
INVITE_CODE_MAX = 64
# One answer for every code that cannot be used, whatever else the request holds.
INVITE_REFUSED = "is invalid, used up or expired"


@dataclass(frozen=True)
class SignedIn:
    token: str
    user: User


class AccountColumns(TypedDict):
    username: str
    username_key: str
    name: str
    email: str


@dataclass(frozen=True)
class NewAccount:
    username: str
    name: str
    email: str
    password: str
    invite_code: str | None = None


def _signed_in(context: RequestContext, user: User) -> SignedIn:
    settings = context.settings
    token = issue_token(
        settings.jwt_secret, user.id, user.token_version, settings.token_ttl_seconds
    )
    return SignedIn(token=token, user=user)


async def register(context: RequestContext, account: NewAccount) -> SignedIn:
    settings, address = context.settings, context.client_address
    mode = settings.registration
    if mode is Registration.CLOSED:
        raise Forbidden("Registration is closed")
    if mode is Registration.INVITE and not account.invite_code:
        raise Forbidden("Registration needs an invite code")
    window = settings.login_window_seconds
    await throttle.count_attempt(
        f"register:{address}", settings.registration_max_per_address, window
    )
    errors = validation.FieldErrors()
    if account.invite_code is not None and not 0 < len(account.invite_code) <= INVITE_CODE_MAX:
        errors.fields["inviteCode"] = INVITE_REFUSED
    checked = _account_columns(account, errors)
    if account.invite_code is not None:
        await throttle.count_attempt(f"invite:{address}", settings.login_max_failures, window)
        await _ensure_usable(account.invite_code)
    await _ensure_unique(username=checked["username"], email=checked["email"])
    password_hash = await hash_password(account.password, settings.bcrypt_rounds)
    async with (
        _unique_or_conflict(username=checked["username"], email=checked["email"]),
        in_transaction(),
    ):
        invite = await _redeem(account.invite_code) if account.invite_code else None
        user = await User.create(**checked, password_hash=password_hash)
        if invite is not None:
            await InviteRedemption.create(invite=invite, user=user)
    if invite is not None:
        await throttle.take_back(f"invite:{address}")
    await throttle.remember(throttle.known_address_key(user.username_key, address))
    return _signed_in(context, user)


def _account_columns(
    account: NewAccount, errors: validation.FieldErrors | None = None
) -> AccountColumns:
    """The account's columns, validated and normalised (whether they are taken is not asked)."""
    errors = errors or validation.FieldErrors()
    username = errors.check("username", account.username, validation.username)
    name = errors.check("name", account.name, validation.name)
    email = errors.check("email", account.email, validation.email)
    errors.check("password", account.password, validation.password)
    errors.raise_if_any()
    return AccountColumns(username=username, username_key=username.lower(), name=name, email=email)


@asynccontextmanager
async def _unique_or_conflict(
    *, username: str | None = None, email: str | None = None
) -> AsyncIterator[None]:
    """Someone may take the name or address between the check and the write: say which."""
    try:
        yield
    except IntegrityError:
        await _ensure_unique(username=username, email=email)
        raise


async def _ensure_unique(*, username: str | None = None, email: str | None = None) -> None:
    taken: dict[str, str] = {}
    if username is not None and await User.exists(username_key=username.lower()):
        taken["username"] = "is already taken"
    if email is not None and await User.exists(email=email):
        taken["email"] = "is already registered"
    if taken:
        raise Conflict("; ".join(f"{k} {v}" for k, v in taken.items()), fields=taken)


def _usable_invites(code: str) -> QuerySet[InviteCode]:
    return InviteCode.filter(code=code, uses__lt=F("max_uses"), expires_at__gt=datetime.now(UTC))


async def _ensure_usable(code: str) -> None:
    """A read, before anything is hashed; the use is spent later, atomically, by `_redeem`."""
    if not await _usable_invites(code).exists():
        raise ValidationFailed({"inviteCode": INVITE_REFUSED})


async def _redeem(code: str) -> InviteCode:
    """Use one of the code's uses, atomically, or fail if it is unknown, used up or expired."""
    claimed = await _usable_invites(code).update(uses=F("uses") + 1)
    invite = await InviteCode.get_or_none(code=code) if claimed else None
    if invite is None:
        raise ValidationFailed({"inviteCode": INVITE_REFUSED})
    return invite


async def login(context: RequestContext, username: str, password: str) -> SignedIn:
    username_key = username.strip().lower()[:100]
    attempt = await throttle.count_sign_in(context.settings, username_key, context.client_address)
    plausible = validation.USERNAME_PATTERN.fullmatch(username_key) is not None
    user = await User.get_or_none(username_key=username_key) if plausible else None
    # Verify against a dummy hash for unknown users: the answer takes as long either way.
    hashed = user.password_hash if user is not None else await context.services.dummy_hash.get()
    password_ok = await verify_password(password, hashed)
    if user is None or not password_ok:
        raise Unauthenticated("Invalid username or password")
    await throttle.sign_in_succeeded(attempt)
    return _signed_in(context, user)


async def update_me(
    context: RequestContext, *, name: str | None = None, email: str | None = None
) -> User:
    user = await context.viewer()
    errors = validation.FieldErrors()
    changes: dict[str, str] = {}
    if name is not None:
        changes["name"] = errors.check("name", name, validation.name)
    if email is not None:
        changes["email"] = errors.check("email", email, validation.email)
    errors.raise_if_any()
    if changes.get("email") not in (None, user.email):
        await _ensure_unique(email=changes["email"])
    if changes:
        async with _unique_or_conflict(email=changes.get("email")):
            await User.filter(id=user.id).update(**changes, updated=datetime.now(UTC))
        await user.refresh_from_db()
    return user


async def change_password(context: RequestContext, current: str, new: str) -> SignedIn:
    user = await context.viewer()
    errors = validation.FieldErrors()
    errors.check("newPassword", new, validation.password)
    errors.raise_if_any()
    settings, attempts_key = context.settings, f"password:{user.id}"
    await throttle.count_attempt(
        attempts_key, settings.login_max_failures, settings.login_window_seconds
    )
    if not await verify_password(current, user.password_hash):
        raise Forbidden("The current password is wrong")
    await throttle.reset(attempts_key)
    password_hash = await hash_password(new, context.settings.bcrypt_rounds)
    # The version bump revokes every token issued before now.
    await User.filter(id=user.id).update(
        password_hash=password_hash, token_version=F("token_version") + 1
    )
    await user.refresh_from_db()
    return _signed_in(context, user)


async def create_invite(
    context: RequestContext, *, max_uses: int, expires_in_hours: int
) -> InviteCode:
    user = await context.viewer()
    if not user.is_admin:
        raise Forbidden("Only administrators can create invite codes")
    return await new_invite(max_uses=max_uses, expires_in_hours=expires_in_hours, creator=user)


async def new_invite(
    *,
    max_uses: int = INVITE_DEFAULT_USES,
    expires_in_hours: int = INVITE_DEFAULT_HOURS,
    creator: User | None = None,
) -> InviteCode:
    errors: dict[str, str] = {}
    if not 1 <= max_uses <= INVITE_MAX_USES:
        errors["maxUses"] = f"must be between 1 and {INVITE_MAX_USES}"
    if not 1 <= expires_in_hours <= INVITE_MAX_HOURS:
        errors["expiresInHours"] = f"must be between 1 and {INVITE_MAX_HOURS}"
    if errors:
        raise ValidationFailed(errors)
    return await InviteCode.create(
        code=secrets.token_urlsafe(12),
        max_uses=max_uses,
        expires_at=datetime.now(UTC) + timedelta(hours=expires_in_hours),
        created_by=creator,
    )


async def create_user(account: NewAccount, *, bcrypt_rounds: int, admin: bool = False) -> User:
    """Create an account directly (the CLI), whatever the registration mode."""
    checked = _account_columns(account)
    await _ensure_unique(username=checked["username"], email=checked["email"])
    password_hash = await hash_password(account.password, bcrypt_rounds)
    async with _unique_or_conflict(username=checked["username"], email=checked["email"]):
        return await User.create(**checked, password_hash=password_hash, is_admin=admin)
