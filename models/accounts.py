from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class User(Model):
    id = fields.IntField(primary_key=True)
    username = fields.CharField(max_length=50)
    # Usernames are unique whatever their case; the key is the lower-cased form.
    username_key = fields.CharField(max_length=50, unique=True)
    name = fields.CharField(max_length=100)
    email = fields.CharField(max_length=254, unique=True)
    password_hash = fields.CharField(max_length=100)
    is_admin = fields.BooleanField(default=False)
    # Part of every token; bumped on password change so that older tokens stop working.
    token_version = fields.IntField(default=0)
    created = fields.DatetimeField(auto_now_add=True)
    updated = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "users"


class InviteCode(Model):
    id = fields.IntField(primary_key=True)
    code = fields.CharField(max_length=64, unique=True)
    created_by: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="invites_created", null=True, on_delete=fields.SET_NULL
    )
    max_uses = fields.IntField(default=1)
    uses = fields.IntField(default=0)
    expires_at = fields.DatetimeField()
    created = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "invite_codes"


class InviteRedemption(Model):
    """Which account an invite code admitted."""

    id = fields.IntField(primary_key=True)
    invite: fields.ForeignKeyRelation[InviteCode] = fields.ForeignKeyField(
        "models.InviteCode", related_name="redemptions", on_delete=fields.CASCADE
    )
    user: fields.OneToOneRelation[User] = fields.OneToOneField(
        "models.User", related_name="redemption", on_delete=fields.CASCADE
    )
    created = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "invite_redemptions"


class LoginThrottle(Model):
    """Failed sign-ins counted per key (`user:<name>` or `ip:<address>`) in a fixed window.
    Kept in the database so that every replica sees the same counts."""

    key = fields.CharField(max_length=200, primary_key=True)
    failures = fields.IntField(default=0)
    window_started = fields.DatetimeField()

    class Meta:
        table = "login_throttles"
