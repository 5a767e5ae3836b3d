"""The comparison of two manifests: what a strategist wants to hear about, each change with the
sources (record files) that state it.

Specific changes come first: new and removed alliances and organisations, status and year
changes, new and removed partners of watched organisations, new, corrected (value or unit) and
removed claims. Every statement hash that differs and that none of them explains is then listed
as new, changed or removed facts of that entity from that source, and every record file that
changed and that no change cites as a changed source file. So nothing that changed goes unsaid,
and nothing is said twice.

With ``watch``, only the changes that concern the watched organisations are kept: their own
facts and claims, the alliances they are a party to (before or after), and their partners.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from graph.changes.manifest import BuildInfo, Manifest

KINDS = ("new-alliance", "removed-alliance", "new-organisation", "removed-organisation", "status-change", "year-change",
         "new-partner", "removed-partner", "new-claim", "corrected-claim", "removed-claim",
         "new-facts", "changed-facts", "removed-facts", "new-source", "changed-source", "removed-source")
TITLES = {kind: kind.replace("-", " ") for kind in KINDS}


@dataclass(frozen=True)
class Source:
    id: str
    file: str | None


@dataclass(frozen=True)
class Change:
    """One change: what (``kind``), about which entity, the value before and after, and its sources."""

    kind: str
    entity_kind: str  # alliance, organisation or source
    entity: str
    label: str
    before: str | None = None
    after: str | None = None
    about: str | None = None  # the claim, partner or source the change is about, where that is not the entity
    sources: tuple[Source, ...] = ()
    concerns: frozenset[str] = frozenset()  # organisations it concerns (for --watch and the feeds)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "entity": {"kind": self.entity_kind, "id": self.entity, "label": self.label},
                "before": self.before, "after": self.after, "about": self.about,
                "sources": [{"id": s.id, "file": s.file} for s in self.sources]}


@dataclass
class Comparison:
    since: BuildInfo
    until: BuildInfo
    how: str  # how the earlier build was found
    changes: list[Change] = field(default_factory=list)
    watch: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"since": _build_json(self.since, self.how), "until": _build_json(self.until, "the current build"),
                "watch": list(self.watch), "changes": [c.to_json() for c in self.changes]}


def _build_json(info: BuildInfo, how: str) -> dict[str, Any]:
    return {"id": info.id, "created": info.created, "git_revision": info.git_revision, "how": how}


def compare(old: Manifest, new: Manifest, how: str = "", watch: Iterable[str] = ()) -> Comparison:
    """What changed from ``old`` to ``new`` (see the module)."""
    watched = tuple(sorted(set(watch)))
    found = _Finder(old, new, watched)
    changes = found.run()
    if watched:
        changes = [c for c in changes if c.concerns & set(watched)]
    return Comparison(BuildInfo.of(old), BuildInfo.of(new), how, changes, watched)


class _Finder:
    def __init__(self, old: Manifest, new: Manifest, watched: tuple[str, ...]) -> None:
        self.old, self.new, self.watched = old, new, watched
        self.changes: list[Change] = []
        self.explained: set[tuple[str, str, str]] = set()  # (entity kind, entity, source) pairs a change covers

    def source(self, ident: str) -> Source:
        entry = self.new["sources"].get(ident) or self.old["sources"].get(ident) or {}
        return Source(ident, entry.get("file"))

    def add(self, kind: str, entity_kind: str, entity: str, label: str, sources: Iterable[str], *,
            before: Any = None, after: Any = None, about: str | None = None, concerns: Iterable[str] = ()) -> None:
        cited = sorted(set(sources))
        self.explained.update((entity_kind, entity, s) for s in cited)
        self.changes.append(Change(kind, entity_kind, entity, label, _text(before), _text(after), about,
                                   tuple(self.source(s) for s in cited), frozenset(concerns)))

    def run(self) -> list[Change]:
        for kind in ("alliance", "organisation"):
            self.entities(kind)
        self.partners()
        self.leftover_facts()
        self.leftover_sources()
        order = {kind: n for n, kind in enumerate(KINDS)}
        return sorted(self.changes, key=lambda c: (order[c.kind], c.entity, c.about or "", c.before or "", c.after or ""))

    def entities(self, kind: str) -> None:
        table = f"{kind}s"
        old, new = self.old[table], self.new[table]
        for ident in sorted(new.keys() | old.keys()):
            before, after = old.get(ident), new.get(ident)
            entry = after or before
            concerns = self.concerns(kind, ident, before, after)
            if before is None:
                self.add(f"new-{kind}", kind, ident, entry["label"], entry["statements"], concerns=concerns)
            elif after is None:
                self.add(f"removed-{kind}", kind, ident, entry["label"], entry["statements"], concerns=concerns)
            else:
                if kind == "alliance":
                    self.alliance(ident, before, after, concerns)
                self.claims(kind, ident, after["label"], before, after, concerns)

    def concerns(self, kind: str, ident: str, before: dict[str, Any] | None, after: dict[str, Any] | None) -> set[str]:
        if kind == "organisation":
            return {ident}
        return {p for entry in (before, after) if entry for p in entry["parties"]}

    def changed_sources(self, before: dict[str, Any], after: dict[str, Any]) -> set[str]:
        old, new = before["statements"], after["statements"]
        return {s for s in old.keys() | new.keys() if old.get(s) != new.get(s)}

    def alliance(self, ident: str, before: dict[str, Any], after: dict[str, Any], concerns: set[str]) -> None:
        changed = self.changed_sources(before, after)
        if before["status"] != after["status"]:
            stating = after["status_sources"] if after["status"] else before["status_sources"]
            self.add("status-change", "alliance", ident, after["label"], (set(stating) & changed) or stating or changed,
                     before=before["status"], after=after["status"], concerns=concerns)
        if before["year"] != after["year"]:
            self.add("year-change", "alliance", ident, after["label"], changed or after["statements"],
                     before=before["year"], after=after["year"], concerns=concerns)

    def claims(self, kind: str, ident: str, label: str, before: dict[str, Any], after: dict[str, Any], concerns: set[str]) -> None:
        old = {(c["id"], c["source"]): c for c in before["claims"]}
        new = {(c["id"], c["source"]): c for c in after["claims"]}
        for key in sorted(old.keys() | new.keys()):
            was, now = old.get(key), new.get(key)
            claim = now or was
            assert claim is not None
            if was is None:
                self.add("new-claim", kind, ident, label, [key[1]], after=_quantity(now), about=_claim_name(claim), concerns=concerns)
            elif now is None:
                self.add("removed-claim", kind, ident, label, [key[1]], before=_quantity(was), about=_claim_name(claim), concerns=concerns)
            elif (was["value"], was["unit"]) != (now["value"], now["unit"]):
                self.add("corrected-claim", kind, ident, label, [key[1]], before=_quantity(was), after=_quantity(now),
                         about=_claim_name(claim), concerns=concerns)

    def partners(self) -> None:
        """New and removed partners, for watched organisations only."""
        for ident in self.watched:
            before = self.old["organisations"].get(ident, {}).get("partners", {})
            after = self.new["organisations"].get(ident, {}).get("partners", {})
            label = (self.new["organisations"].get(ident) or self.old["organisations"].get(ident) or {}).get("label", ident)
            for partner in sorted(after.keys() - before.keys()):
                self.partner("new-partner", ident, label, partner, after[partner], self.new)
            for partner in sorted(before.keys() - after.keys()):
                self.partner("removed-partner", ident, label, partner, before[partner], self.old)

    def partner(self, kind: str, ident: str, label: str, partner: str, alliances: list[str], manifest: Manifest) -> None:
        sources = {s for a in alliances for s in manifest["alliances"].get(a, {}).get("statements", {})}
        name = manifest["organisations"].get(partner, {}).get("label", partner)
        # not added to ``explained``: the alliances' own changes say what their sources changed
        self.changes.append(Change(kind, "organisation", ident, label, None, None, f"{name} ({partner}), through "
                                   + ", ".join(alliances), tuple(self.source(s) for s in sorted(sources)), frozenset({ident})))

    def leftover_facts(self) -> None:
        for kind in ("alliance", "organisation"):
            old, new = self.old[f"{kind}s"], self.new[f"{kind}s"]
            for ident in sorted(old.keys() & new.keys()):
                before, after = old[ident]["statements"], new[ident]["statements"]
                concerns = self.concerns(kind, ident, old[ident], new[ident])
                for source in sorted(before.keys() | after.keys()):
                    if (kind, ident, source) in self.explained or before.get(source) == after.get(source):
                        continue
                    what = "new-facts" if source not in before else "removed-facts" if source not in after else "changed-facts"
                    self.add(what, kind, ident, new[ident]["label"], [source], concerns=concerns)

    def leftover_sources(self) -> None:
        cited = {s.id for c in self.changes for s in c.sources}
        old, new = self.old["sources"], self.new["sources"]
        for ident in sorted(old.keys() | new.keys()):
            if ident in cited or old.get(ident, {}).get("hash") == new.get(ident, {}).get("hash"):
                continue
            what = "new-source" if ident not in old else "removed-source" if ident not in new else "changed-source"
            self.add(what, "source", ident, (new.get(ident) or old[ident])["file"], [ident])


def _claim_name(claim: dict[str, Any]) -> str:
    return f"{claim['measure']} ({claim['id']})" if claim["measure"] else claim["id"]


def _quantity(claim: dict[str, Any] | None) -> str | None:
    if claim is None:
        return None
    return f"{claim['value']} {claim['unit']}" if claim["unit"] else str(claim["value"])


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
