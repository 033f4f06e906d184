"""The personal library: one TinyDB JSON file the user owns.

Tables: ``annotations`` (key, status, tags, note, created, updated, read_at), ``metadata``
(arXiv cache by key, with fetched_at), ``additions`` (papers the user added), ``meta``
(schema_version and small settings).

NOTE: this first version uses TinyDB's stock storage; the safe storage (atomic writes, lock,
cache) replaces it without changing the ``Library`` API below.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from tinydb import Query, TinyDB

from rlhf_reader.model import Annotation, Status

SCHEMA_VERSION = 1
MAX_NOTE_BYTES = 1_000_000
MAX_TAG_LENGTH = 40


class LibraryError(Exception):
    """The library file cannot be used; the message names the path and what is wrong."""


def default_db_path() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("rlhf-reader", appauthor=False)) / "library.json"


def now_iso() -> str:
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def normalize_tag(tag: str) -> str:
    """Trim, lower-case, spaces → ``-``; ValueError naming the tag when it is not valid."""
    cleaned = "-".join(tag.strip().lower().split())
    if not cleaned:
        raise ValueError("empty tag")
    if "," in cleaned:
        raise ValueError(f"tag {tag!r} contains a comma")
    if len(cleaned) > MAX_TAG_LENGTH:
        raise ValueError(f"tag {tag!r} is longer than {MAX_TAG_LENGTH} characters")
    if any(not ch.isprintable() for ch in cleaned):
        raise ValueError(f"tag {tag!r} contains a control character")
    return cleaned


def validate_note(note: str) -> str:
    if len(note.encode("utf-8", "surrogatepass")) > MAX_NOTE_BYTES:
        raise ValueError(f"note is larger than {MAX_NOTE_BYTES:,} bytes")
    return note


class Library:
    """Annotations, the arXiv cache, additions and settings in one JSON file."""

    def __init__(self, path: Path, db: TinyDB) -> None:
        self.path = path
        self._db = db

    @classmethod
    def open(cls, path: str | Path) -> Library:
        path = Path(path).expanduser()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists():
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                os.close(fd)
            db = TinyDB(path)
        except ValueError as exc:
            raise LibraryError(f"{path}: not a valid library file ({exc})") from None
        except OSError as exc:
            raise LibraryError(f"{path}: {exc.strerror or exc}") from None
        library = cls(path, db)
        version = library.get_meta("schema_version")
        if version is None:
            library.set_meta("schema_version", SCHEMA_VERSION)
        return library

    def close(self) -> None:
        self._db.close()

    # annotations -----------------------------------------------------------------------

    def annotation(self, key: str) -> Annotation:
        doc = self._db.table("annotations").get(Query().key == key)
        return Annotation.from_dict(dict(doc)) if doc else Annotation(key=key)

    def annotations(self) -> dict[str, Annotation]:
        return {
            doc["key"]: Annotation.from_dict(dict(doc)) for doc in self._db.table("annotations")
        }

    def _save(self, annotation: Annotation) -> Annotation:
        stamp = now_iso()
        annotation.created = annotation.created or stamp
        annotation.updated = stamp
        self._db.table("annotations").upsert(annotation.to_dict(), Query().key == annotation.key)
        return annotation

    def set_status(self, keys: Iterable[str], status: Status) -> list[Annotation]:
        changed = []
        for key in keys:
            ann = self.annotation(key)
            if status is Status.READ and ann.status is not Status.READ:
                ann.read_at = now_iso()
            elif status is not Status.READ:
                ann.read_at = None
            ann.status = status
            changed.append(self._save(ann))
        return changed

    def change_tags(
        self, keys: Iterable[str], add: Iterable[str] = (), remove: Iterable[str] = ()
    ) -> list[Annotation]:
        adding = [normalize_tag(t) for t in add]
        removing = {normalize_tag(t) for t in remove}
        changed = []
        for key in keys:
            ann = self.annotation(key)
            tags = [t for t in ann.tags if t not in removing]
            tags.extend(t for t in adding if t not in tags and t not in removing)
            ann.tags = tuple(dict.fromkeys(tags))
            changed.append(self._save(ann))
        return changed

    def set_tags(self, key: str, tags: Iterable[str]) -> Annotation:
        ann = self.annotation(key)
        ann.tags = tuple(dict.fromkeys(normalize_tag(t) for t in tags))
        return self._save(ann)

    def set_note(self, key: str, note: str) -> Annotation:
        ann = self.annotation(key)
        ann.note = validate_note(note)
        return self._save(ann)

    def put_annotations(self, annotations: Iterable[Annotation]) -> None:
        """Store annotations as given (timestamps kept): for import and merge."""
        table = self._db.table("annotations")
        for ann in annotations:
            table.upsert(ann.to_dict(), Query().key == ann.key)

    def tags_in_use(self) -> Counter[str]:
        return Counter(tag for ann in self.annotations().values() for tag in ann.tags)

    # arXiv metadata cache ----------------------------------------------------------------

    def metadata(self, key: str) -> dict[str, Any] | None:
        doc = self._db.table("metadata").get(Query().key == key)
        return dict(doc) if doc else None

    def all_metadata(self) -> dict[str, dict[str, Any]]:
        return {doc["key"]: dict(doc) for doc in self._db.table("metadata")}

    def put_metadata(self, records: Mapping[str, Mapping[str, Any]]) -> None:
        table = self._db.table("metadata")
        for key, record in records.items():
            table.upsert({**record, "key": key}, Query().key == key)

    # additions -----------------------------------------------------------------------------

    def additions(self) -> list[dict[str, Any]]:
        return [dict(doc) for doc in self._db.table("additions")]

    def put_addition(self, record: Mapping[str, Any]) -> None:
        self._db.table("additions").upsert(dict(record), Query().key == record["key"])

    # settings ------------------------------------------------------------------------------

    def get_meta(self, name: str, default: Any = None) -> Any:
        doc = self._db.table("meta").get(Query().name == name)
        return doc["value"] if doc else default

    def set_meta(self, name: str, value: Any) -> None:
        self._db.table("meta").upsert({"name": name, "value": value}, Query().name == name)
