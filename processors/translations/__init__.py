"""Slawatch's gettext catalogs: `<locale>/LC_MESSAGES/messages.po` in this folder, and their .mo.

    directory = compiled_directory()   # a folder whose .mo files are up to date with the .po files
    translations = load("zh_CN")       # babel.support.Translations (NullTranslations for "en")
    locales()                          # ("en", "zh_CN"): English, the source language, and each catalog

The .po files are committed; the .mo files are not. They are built from the .po with
babel.messages the first time a process needs them (and again when a .po is newer than its .mo),
beside the .po when this folder is writable, else in a folder of the system's temporary
directory: no build step to remember. Each .mo is written to a temporary file and renamed into
place, so processes starting together never read half a file. How a translator adds a language:
docs/i18n.md.
"""
from __future__ import annotations

import functools
import os
import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

DIRECTORY = Path(__file__).parent
DOMAIN = "messages"
SOURCE_LOCALE = "en"  # the language of the msgids in the code: no catalog of its own


def locales() -> tuple[str, ...]:
    """The source language first, then every locale with a catalog here, sorted."""
    found = sorted(p.name for p in DIRECTORY.iterdir() if (p / "LC_MESSAGES" / f"{DOMAIN}.po").is_file())
    return (SOURCE_LOCALE, *found)


def _compile(po_path: Path, mo_path: Path) -> None:
    with po_path.open("rb") as source:
        catalog = read_po(source, locale=po_path.parent.parent.name, domain=DOMAIN)
    mo_path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=mo_path.parent, prefix=f".{DOMAIN}-", suffix=".mo")
    try:
        with os.fdopen(handle, "wb") as out:
            write_mo(out, catalog)  # fuzzy entries are left out, as msgfmt does
        os.replace(temporary, mo_path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def compile_catalogs(target: Path) -> Path:
    """Build `target/<locale>/LC_MESSAGES/messages.mo` for each .po here that is newer than it."""
    for locale in locales()[1:]:
        po_path = DIRECTORY / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
        mo_path = target / locale / "LC_MESSAGES" / f"{DOMAIN}.mo"
        if not mo_path.exists() or mo_path.stat().st_mtime < po_path.stat().st_mtime:
            _compile(po_path, mo_path)
    return target


@functools.lru_cache(maxsize=1)
def compiled_directory() -> Path:
    """This folder with fresh .mo files; a per-user temporary folder if this one is read-only."""
    try:
        return compile_catalogs(DIRECTORY)
    except OSError:
        fallback = Path(tempfile.gettempdir()) / f"slawatch-translations-{os.getuid()}"
        return compile_catalogs(fallback)


@functools.lru_cache(maxsize=None)
def load(locale: str) -> NullTranslations:
    """The catalog of `locale` (a NullTranslations, which returns the msgid, for English)."""
    return Translations.load(str(compiled_directory()), [locale], DOMAIN)
