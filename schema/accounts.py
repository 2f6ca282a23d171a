"""Users, sign-in and invites."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

import models
from infra.errors import ValidationFailed
from resolvers import accounts
from schema.info import Info
from schema.user import User


@strawberry.type(description="A signed-in session: a bearer token and its user.")
class AuthPayload:
    token: str = strawberry.field(
        description="JWT to send as `Authorization: Bearer <token>`; it lasts the server's token "
        "lifetime (7 days by default) or until the password is changed."
    )
    user: User = strawberry.field(description="The user the token signs in.")

    @classmethod
    def of(cls, signed_in: accounts.SignedIn) -> AuthPayload:
        return cls(token=signed_in.token, user=User.of(signed_in.user))


@strawberry.type(description="A code that lets someone register while registration is by invite.")
class Invite:
    code: str = strawberry.field(description="The code, to pass as `inviteCode` to `register`.")
    max_uses: int = strawberry.field(description="How many accounts the code can create in all.")
    uses: int = strawberry.field(description="How many accounts have been created with it so far.")
    expires_at: datetime = strawberry.field(description="When the code stops working, in UTC.")

    @classmethod
    def of(cls, invite: models.InviteCode) -> Invite:
        return cls(
            code=invite.code,
            max_uses=invite.max_uses,
            uses=invite.uses,
            expires_at=invite.expires_at,
        )


@strawberry.input(description="A new account.")
class RegisterInput:
    username: str = strawberry.field(
        description="Sign-in name of 3 to 50 letters, digits, '.', '_' or '-', unique whatever "
        "the letter case."
    )
    name: str = strawberry.field(
        description="Display name, 1 to 100 characters once trimmed, without control characters."
    )
    email: str = strawberry.field(
        description="Email address, at most 254 characters, not registered yet; kept lower-cased."
    )
    password: str = strawberry.field(description="Password, 8 to 1024 characters.")
    invite_code: str | None = strawberry.field(
        default=None,
        description="An invite code: required when registration is by invite; if given "
        "otherwise, it must still be valid and one of its uses is spent.",
    )


@strawberry.input(description="The credentials to sign in with.")
class LoginInput:
    username: str = strawberry.field(
        description="Your username; letter case and surrounding spaces do not matter."
    )
    password: str = strawberry.field(description="Your password.")


@strawberry.input(description="The fields to change; the others stay as they are.")
class UpdateMeInput:
    name: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="New display name, 1 to 100 characters; omit to keep it (null is refused).",
    )
    email: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="New email address, not registered by anyone else; omit to keep it "
        "(null is refused).",
    )

    def changes(self) -> dict[str, str]:
        """The fields given; an explicit null is refused rather than taken as "unchanged"."""
        given = {"name": self.name, "email": self.email}
        nulls = {field: "must not be null" for field, value in given.items() if value is None}
        if nulls:
            raise ValidationFailed(nulls)
        return {field: value for field, value in given.items() if isinstance(value, str)}


@strawberry.input(description="The current password and the one to replace it.")
class ChangePasswordInput:
    current_password: str = strawberry.field(
        description="Your current password; a wrong one is refused."
    )
    new_password: str = strawberry.field(description="The new password, 8 to 1024 characters.")


@strawberry.type
class AccountQuery:
    @strawberry.field(description="The signed-in user.")
    async def me(self, info: Info) -> User:
        return User.of(await info.context.viewer())


@strawberry.type
class AccountMutation:
    @strawberry.mutation(
        description="Create an account and sign in; refused while the server's registration is "
        "closed."
    )
    async def register(
        self,
        info: Info,
        input: Annotated[
            RegisterInput, strawberry.argument(description="The new account's details.")
        ],
    ) -> AuthPayload:
        account = accounts.NewAccount(
            username=input.username,
            name=input.name,
            email=input.email,
            password=input.password,
            invite_code=input.invite_code,
        )
        return AuthPayload.of(await accounts.register(info.context, account))

    @strawberry.mutation(
        description="Sign in with a username and password; after repeated failures, attempts are "
        "refused for a while (RATE_LIMITED)."
    )
    async def login(
        self,
        info: Info,
        input: Annotated[LoginInput, strawberry.argument(description="Your credentials.")],
    ) -> AuthPayload:
        return AuthPayload.of(await accounts.login(info.context, input.username, input.password))

    @strawberry.mutation(description="Change the signed-in user's name or email.")
    async def update_me(
        self,
        info: Info,
        input: Annotated[UpdateMeInput, strawberry.argument(description="The fields to change.")],
    ) -> User:
        user = await accounts.update_me(info.context, **input.changes())
        return User.of(user)

    @strawberry.mutation(
        description="Change the password; every token issued before it stops working."
    )
    async def change_password(
        self,
        info: Info,
        input: Annotated[
            ChangePasswordInput,
            strawberry.argument(description="The current password and the new one."),
        ],
    ) -> AuthPayload:
        signed_in = await accounts.change_password(
            info.context, input.current_password, input.new_password
        )
        return AuthPayload.of(signed_in)

    @strawberry.mutation(description="Create an invite code (administrators only).")
    async def create_invite(
        self,
        info: Info,
        max_uses: Annotated[
            int | None,
            strawberry.argument(
                description="How many accounts the code can create, 1 to 1000; null means 1."
            ),
        ] = None,
        expires_in_hours: Annotated[
            int | None,
            strawberry.argument(
                description="Hours until the code expires, 1 to 8760 (a year); null means 72."
            ),
        ] = None,
    ) -> Invite:
        invite = await accounts.create_invite(
            info.context,
            max_uses=accounts.INVITE_DEFAULT_USES if max_uses is None else max_uses,
            expires_in_hours=(
                accounts.INVITE_DEFAULT_HOURS if expires_in_hours is None else expires_in_hours
            ),
        )
        return Invite.of(invite)
