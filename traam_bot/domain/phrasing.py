"""How coordinators and teachers actually type (pure, no I/O): SMS spellings, everyday
names of disciplines, greetings and thanks, and the disciplines and académies that exist
in France even when no project of the directory is in them.

Every word here is folded (domain.text.fold): lower case, no accents.
"""

from __future__ import annotations

from collections.abc import Sequence

from traam_bot.domain.vocabulary import word_matches

# SMS and informal spellings -> the word the question module understands.
SMS = {
    "kel": "quel", "kels": "quels", "kelle": "quelle", "kelles": "quelles", "ki": "qui",
    "koi": "quoi", "kwa": "quoi", "quoa": "quoi", "cb": "combien", "cbn": "combien",
    "cmb": "combien", "cmbien": "combien", "combiens": "combien", "bjr": "bonjour",
    "bjour": "bonjour", "bonjours": "bonjour", "slt": "salut", "mrc": "merci",
    "mci": "merci", "mrci": "merci", "mercii": "merci", "merciii": "merci", "thx": "merci",
    "ty": "merci", "pr": "pour", "ds": "dans", "tt": "tout", "tte": "toute", "tts": "tous",
    "bcp": "beaucoup", "pk": "pourquoi", "pq": "pourquoi", "proj": "projet",
    "projs": "projets", "prjt": "projet", "prjts": "projets", "prj": "projet",
    "projet": "projet", "projts": "projets", "qqn": "quelqu", "qq": "quelques",
    "vs": "vous", "ns": "nous", "stp": "stp", "plz": "svp", "pls": "svp", "sil": "svp",
    "cest": "c", "ct": "c", "sa": "ca", "koment": "comment", "komen": "comment",
    "aca": "academie", "acad": "academie", "acadamie": "academie", "eqp": "equipe",
    "equip": "equipe", "equipes": "equipes", "prof": "enseignant", "profs": "enseignants",
    "besac": "besancon", "bfc": "bourgogne", "dij": "dijon", "nationalement": "national",
    "natio": "national",
    "mag": "magistere", "magister": "magistere", "magistaire": "magistere",
    "edu": "edubase", "eduba": "edubase", "tps": "temps", "ke": "que",
}

# Everyday names of disciplines (applied before searching).
SYNONYMS = {
    "francais": "lettres", "sport": "eps", "sports": "eps", "informatique": "nsi",
    "doc": "documentation", "cdi": "documentation", "documentaliste": "documentation",
    "documentalistes": "documentation", "maths": "mathematiques", "math": "mathematiques",
    "philo": "philosophie", "techno": "technologie", "hg": "histoire", "geo": "geographie",
    "pc": "physique", "lv": "langues", "eco": "economie", "musique": "musicale",
    "info": "nsi",
}

# Disciplines taught in French schools, by folded word -> how an answer names them.
KNOWN_DISCIPLINES = {
    "mathematiques": "mathématiques", "physique": "physique-chimie",
    "chimie": "physique-chimie", "svt": "SVT", "histoire": "histoire-géographie",
    "geographie": "histoire-géographie", "langues": "langues vivantes",
    "anglais": "anglais", "espagnol": "espagnol", "allemand": "allemand",
    "italien": "italien", "philosophie": "philosophie", "musicale": "éducation musicale",
    "ses": "SES", "economie": "économie-gestion", "lettres": "lettres", "eps": "EPS",
    "nsi": "NSI", "technologie": "technologie", "documentation": "documentation",
    "snt": "SNT", "emc": "EMC", "latin": "latin", "grec": "grec",
    "biotechnologies": "biotechnologies", "cinema": "cinéma", "theatre": "théâtre",
}

# The 30 académies, by folded word -> name.
KNOWN_ACADEMIES = {
    "aix": "Aix-Marseille", "marseille": "Aix-Marseille", "amiens": "Amiens",
    "besancon": "Besançon", "bordeaux": "Bordeaux", "clermont": "Clermont-Ferrand",
    "corse": "Corse", "creteil": "Créteil", "dijon": "Dijon", "grenoble": "Grenoble",
    "guadeloupe": "Guadeloupe", "guyane": "Guyane", "lille": "Lille", "limoges": "Limoges",
    "lyon": "Lyon", "martinique": "Martinique", "mayotte": "Mayotte",
    "montpellier": "Montpellier", "nancy": "Nancy-Metz", "metz": "Nancy-Metz",
    "nantes": "Nantes", "nice": "Nice", "normandie": "Normandie", "orleans": "Orléans-Tours",
    "paris": "Paris", "poitiers": "Poitiers", "reims": "Reims", "rennes": "Rennes",
    "strasbourg": "Strasbourg", "toulouse": "Toulouse", "versailles": "Versailles",
}

GREETINGS = frozenset(
    "bonjour bonsoir salut hello coucou hey hi yo cc re va vas allez".split())
THANKS = frozenset(
    """merci thanks remercie remerciements top super parfait genial cool nickel ok okay
    oki daccord dac bravo excellent impeccable chouette""".split())
# what may surround a greeting or thanks without making it a question
SMALL_TALK = GREETINGS | THANKS | frozenset(
    """ca comment tout monde beaucoup infiniment encore bien tres pour ta votre ton aide
    reponse reponses bot traam journee soiree bonne bonnes belle mille fois grand
    plein""".split())
GREETING, THANKS_KIND, PRIVACY_KIND = "greeting", "thanks", "privacy"

# Questions about personal data (answered by the !confidentialite notice): a word that says
# it on its own (« RGPD », « vie privée »), or data or messages said of one's own or with
# what is done to them (« mes données », « qui voit mes messages », « supprimer mes
# infos »). « données » alone stays a search word: a project may be about data.
PRIVACY_WORDS = frozenset(
    """rgpd rgdp gdpr cnil dpo confidentialite confidentialites privee privees privacy
    anonymat anonymiser anonymisation anonymise anonymises""".split())
DATA_WORDS = frozenset("donnee donnees donees donee donnes".split())
# said of one's own AND with what is done to them (« voir les informations du projet » is
# no privacy question, « qui voit mes messages » is)
MESSAGE_WORDS = frozenset(
    """message messages msg msgs mess ecrits infos informations information data trace
    traces""".split())
OWN_WORDS = frozenset(
    """mes mon ma nos notre moi perso persos personnel personnels personnelle
    personnelles""".split())
# what is done with them: kept, stored, erased, seen, shared…
DATA_VERB_STEMS = ("gard", "conserv", "stock", "enregistr", "suppr", "effac", "collect",
                   "utilis", "fai", "voi", "acce", "partag", "devien", "vont", "transmet",
                   "oubli", "archiv", "detrui", "lisen", "lit", "lire")
_YEAR_WORDS = frozenset({"annee", "annees"})


def normalize_words(tokens: Sequence[str]) -> list[str]:
    """Folded words with SMS spellings and everyday discipline names replaced."""
    out: list[str] = []
    for position, word in enumerate(tokens):
        following = tokens[position + 1] if position + 1 < len(tokens) else ""
        if word in _YEAR_WORDS and not following.isdigit():
            continue  # « cette année » is not the phase « Année 1 »
        word = SMS.get(word, word)
        out.append(SYNONYMS.get(word, word))
    return out


def small_talk(tokens: Sequence[str], stopwords: frozenset[str]) -> str | None:
    """"thanks" or "greeting" when the message is only that (with politeness around)."""
    if not tokens or any(w not in SMALL_TALK and w not in stopwords for w in tokens):
        return None
    if any(w in THANKS for w in tokens):
        return THANKS_KIND
    if any(w in GREETINGS for w in tokens):
        return GREETING
    return None


def about_privacy(tokens: Sequence[str]) -> bool:
    """Whether folded, SMS-normalised words ask about personal data."""
    present = set(tokens)
    if not present.isdisjoint(PRIVACY_WORDS) or {"vie", "prive"} <= present:
        return True
    own = not present.isdisjoint(OWN_WORDS)
    verb = any(w.startswith(DATA_VERB_STEMS) for w in present)
    if not present.isdisjoint(DATA_WORDS):
        return own or verb
    return not present.isdisjoint(MESSAGE_WORDS) and own and verb


def known_elsewhere(word: str) -> str | None:
    """How an answer names a discipline or académie that `word` names, when it is one."""
    for vocabulary in (KNOWN_ACADEMIES, KNOWN_DISCIPLINES):
        for key, name in vocabulary.items():
            if word == key or (len(key) >= 5 and word_matches(word, key)):
                return name
    return None
