"""Users, sign-in and invites."""

from __future__ import annotations

from datetime import datetime

import strawberry

import models
from resolvers import accounts
from resolvers.errors import ValidationFailed
from schema.info import Info
from schema.user import User


@strawberry.type(description="A signed-in session: a bearer token and its user.")
class AuthPayload:
    token: str = strawberry.field(description="JWT to send as `Authorization: Bearer <token>`.")
    user: User

    @classmethod
    def of(cls, signed_in: accounts.SignedIn) -> AuthPayload:
        return cls(token=signed_in.token, user=User.of(signed_in.user))


@strawberry.type(description="A code that lets someone register while registration is by invite.")
class Invite:
    code: str
    max_uses: int
    uses: int
    expires_at: datetime

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
    username: str = strawberry.field(description="3-50 characters: letters, digits, . _ -")
    name: str = strawberry.field(description="At most 100 characters.")
    email: str
    password: str = strawberry.field(description="At least 8 characters; any length works.")
    invite_code: str | None = strawberry.field(
        default=None, description="Required when registration is by invite."
    )


@strawberry.input
class LoginInput:
    username: str
    password: str


@strawberry.input(description="The fields to change; the others stay as they are.")
class UpdateMeInput:
    name: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET

    def changes(self) -> dict[str, str]:
        """The fields given; an explicit null is refused rather than taken as "unchanged"."""
        given = {"name": self.name, "email": self.email}
        nulls = {field: "must not be null" for field, value in given.items() if value is None}
        if nulls:
            raise ValidationFailed(nulls)
        return {field: value for field, value in given.items() if isinstance(value, str)}


@strawberry.input
class ChangePasswordInput:
    current_password: str
    new_password: str


@strawberry.type
class AccountQuery:
    @strawberry.field(description="The signed-in user.")
    async def me(self, info: Info) -> User:
        return User.of(await info.context.viewer())


@strawberry.type
class AccountMutation:
    @strawberry.mutation(description="Create an account and sign in.")
    async def register(self, info: Info, input: RegisterInput) -> AuthPayload:
        account = accounts.NewAccount(
            username=input.username,
            name=input.name,
            email=input.email,
            password=input.password,
            invite_code=input.invite_code,
        )
        return AuthPayload.of(await accounts.register(info.context, account))

    @strawberry.mutation(description="Sign in with a username and password.")
    async def login(self, info: Info, input: LoginInput) -> AuthPayload:
        return AuthPayload.of(await accounts.login(info.context, input.username, input.password))

    @strawberry.mutation(description="Change the signed-in user's name or email.")
    async def update_me(self, info: Info, input: UpdateMeInput) -> User:
        user = await accounts.update_me(info.context, **input.changes())
        return User.of(user)

    @strawberry.mutation(
        description="Change the password; every token issued before it stops working."
    )
    async def change_password(self, info: Info, input: ChangePasswordInput) -> AuthPayload:
        signed_in = await accounts.change_password(
            info.context, input.current_password, input.new_password
        )
        return AuthPayload.of(signed_in)

    @strawberry.mutation(description="Create an invite code (administrators only).")
    async def create_invite(
        self, info: Info, max_uses: int | None = None, expires_in_hours: int | None = None
    ) -> Invite:
        invite = await accounts.create_invite(
            info.context,
            max_uses=accounts.INVITE_DEFAULT_USES if max_uses is None else max_uses,
            expires_in_hours=(
                accounts.INVITE_DEFAULT_HOURS if expires_in_hours is None else expires_in_hours
            ),
        )
        return Invite.of(invite)
