"""!confidentialite (!privacy): what the bot stores about people and why (SPEC §9); the same
notice answers free-text questions about personal data (commands/directory.py)."""

from __future__ import annotations

from traam_bot.commands.registry import Context, Registry
from traam_bot.domain.model import Reply
from traam_bot.domain.privacy_notice import privacy_notice


def notice(ctx: Context) -> Reply:
    settings = ctx.services.settings
    return privacy_notice(settings.privacy.contact, settings.retention.years, settings.admins,
                          ctx.prefix).reply()


async def _confidentialite(ctx: Context) -> Reply:
    return notice(ctx)


def register(registry: Registry) -> None:
    registry.command("confidentialite", aliases=("privacy",),
                     help="ce que le bot garde de vos données, pourquoi, combien de temps, "
                          "et vos droits",
                     examples=("confidentialite",))(_confidentialite)
