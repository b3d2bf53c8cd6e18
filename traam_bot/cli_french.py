"""argparse in French: its own words (usage, section titles, the help option, errors)
go through its module-level gettext `_`, which the command line replaces once."""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from traam_bot.domain.typography import apostrophes

FRENCH = {
    "usage: ": "usage : ",
    "positional arguments": "arguments positionnels",
    "options": "options",
    "show this help message and exit": "affiche ce message d’aide et quitte",
    "%(prog)s: error: %(message)s\n": "%(prog)s : erreur : %(message)s\n",
    "the following arguments are required: %s": "arguments obligatoires manquants : %s",
    "unrecognized arguments: %s": "arguments non reconnus : %s",
    "expected one argument": "une valeur attendue",
    "expected at least one argument": "au moins une valeur attendue",
    "expected at most one argument": "au plus une valeur attendue",
    "ambiguous option: %(option)s could match %(matches)s":
        "option ambiguë : %(option)s peut désigner %(matches)s",
    "invalid %(type)s value: %(value)r": "valeur %(type)s invalide : %(value)r",
    "not allowed with argument %s": "incompatible avec l’argument %s",
    "one of the arguments %s is required": "un des arguments %s est obligatoire",
    "ignored explicit argument %r": "argument explicite ignoré : %r",
    # "argument …: invalid choice: …" stays in English: FrenchParser.error rewords it whole.
}


def french(message: str) -> str:
    return FRENCH.get(message, message)


def install() -> None:
    """argparse looks `_` up in its module at each call: replacing it translates
    every parser built afterwards, and their errors."""
    argparse._ = french  # type: ignore[attr-defined]


class FrenchHelp(argparse.HelpFormatter):
    """Section titles followed by « : » with its space, as French writes it."""

    def start_section(self, heading: str | None) -> None:
        super().start_section(f"{heading} " if heading else heading)


def say(text: str, file: TextIO | None = None) -> None:
    """Every message of the command line leaves here, with the typographic apostrophe
    (messages of exceptions included)."""
    print(apostrophes(text), file=file or sys.stdout)
