"""Who a privacy request is about: every id and e-mail address of the person (internal)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from wegweiser.errors import InvalidInput

if TYPE_CHECKING:
    from wegweiser.project import Project


@dataclass(frozen=True)
class PersonScope:
    """``query`` as given; ``ids`` every stitched anonymous/user id (and the person ids);
    ``emails`` their e-mail traits (lower-cased); ``person_ids`` the store's person ids."""

    query: str
    ids: tuple[str, ...]
    emails: tuple[str, ...]
    person_ids: tuple[str, ...]

    @property
    def needles(self) -> list[str]:
        """Every value that identifies the person (ids and addresses)."""
        return sorted({*self.ids, *self.emails, *self.person_ids})


def resolve(project: Project, query: str) -> PersonScope:
    """The scope of the person ``query`` names: a person id, any stitched id or an e-mail
    address. An id the store does not know still makes a scope of itself (its rows may be
    in the spool or the journey state, or a crash interrupted its erasure)."""
    text = query.strip()
    if not text:
        raise InvalidInput("give a person's id or e-mail address (it was empty)")
    ids, emails = project.person_ids([text], [text] if "@" in text else [])
    person_ids = project.person_of_ids(ids)
    return PersonScope(text, tuple(sorted({*ids, *person_ids})), tuple(emails),
                       tuple(person_ids))
