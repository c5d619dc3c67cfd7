"""Shopper pages in the market's language, through gettext catalogs.

The catalogs live in `translations/<language>/LC_MESSAGES/messages.po`; `make install`
compiles them to `.mo` files (`make translations`). Where no `.mo` is there yet, or it is
older than its `.po`, the `.po` is compiled in memory instead, so a fresh checkout still
speaks every language. English is the source language: its strings are the message ids.
"""

import functools
from io import BytesIO
from pathlib import Path

import structlog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

log = structlog.get_logger(__name__)

TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"
DOMAIN = "messages"


def N_(message: str) -> str:  # the name pybabel extracts by default
    """Mark a string for extraction without translating it; templates translate it."""
    return message


def catalog_path(language: str, suffix: str = ".po") -> Path:
    return TRANSLATIONS_DIR / language / "LC_MESSAGES" / f"{DOMAIN}{suffix}"


@functools.cache
def translations(locale: str) -> NullTranslations:
    """The catalog for a Babel locale ("de_DE"), else its language ("de"), else English."""
    for language in dict.fromkeys((locale, locale.split("_")[0])):
        po = catalog_path(language)
        if not po.exists():
            continue
        mo = catalog_path(language, ".mo")
        if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            with mo.open("rb") as fp:
                return Translations(fp, domain=DOMAIN)
        log.warning("translations.not_compiled", language=language, hint="make translations")
        return Translations(BytesIO(compile_catalog(po)), domain=DOMAIN)
    return NullTranslations()


def compile_catalog(po: Path) -> bytes:
    """The `.mo` bytes of a `.po` file; fuzzy entries are left out, as `pybabel compile` does."""
    with po.open("rb") as fp:
        catalog = read_po(fp)
    buffer = BytesIO()
    write_mo(buffer, catalog)
    return buffer.getvalue()


def compile_missing() -> list[Path]:
    """Write the `.mo` files that are missing or older than their `.po`; returns them."""
    written = []
    for po in sorted(TRANSLATIONS_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            mo.write_bytes(compile_catalog(po))
            written.append(mo)
    return written
