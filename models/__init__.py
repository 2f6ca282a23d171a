"""Tortoise ORM models; the migration history lives in models/migrations."""

from models.accounts import InviteCode, InviteRedemption, LoginThrottle, User

__all__ = ["InviteCode", "InviteRedemption", "LoginThrottle", "User"]
