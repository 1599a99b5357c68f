"""``StixParser``: STIX 2.1 bundles of indicators in, harmonised columnar batches out
(STIX 2.0 indicators — no ``spec_version``, ``labels`` for types — are read too).

Each object of the bundle is one input row (its position in ``objects`` is its "line", its
compact JSON its original text). An indicator whose STIX pattern says one thing about one
host — an address, a DNS name, a URL, a file hash, optionally a port — becomes one event;
everything else is quarantined with the reason, never dropped:

* objects that are not indicators (malware, relationships, reports …), except the marking
  definitions and identities the indicators point at, which are read for TLP and provider
  (malware that an indicator ``indicates`` names its ``malware.name``, and is still
  quarantined as a row of its own: it is no event);
* indicators the ``stix2`` library refuses (missing properties, a pattern that does not parse);
* revoked indicators, and indicators of type ``benign`` (not an event about a host);
* patterns certnet cannot express as one event: alternatives (``OR``), sequences
  (``FOLLOWEDBY``), qualifiers (``WITHIN``, ``REPEATS``), comparisons other than ``=``,
  object paths without a harmonised field, two values for one field.

The ``stix2`` library is the judge of what a valid STIX object is. A bundle is one JSON
document, so it is read whole (bundles are small next to scan reports); JSON that does not
parse is refused whole with the line and column of the error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import stix2  # type: ignore[import-untyped]  # the library ships no type information
import stix2.exceptions  # type: ignore[import-untyped]
from stix2patterns.exceptions import ParseException  # type: ignore[import-untyped]
from stix2patterns.v21.pattern import Pattern  # type: ignore[import-untyped]

from certnet.core.errors import Invalid
from certnet.feeds import harmonisation
from certnet.feeds.batch import ParsedBatch, Rejected

REPORT_TYPE = "stix-indicators"
PROVIDER = "STIX"
_BOM = b"\xef\xbb\xbf"

#: TLP marking definitions by their well-known STIX ids: TLP 1.0 (``stix2.TLP_*``) and the
#: TLP 2.0 marking definitions published for STIX 2.1.
TLP_BY_ID: dict[str, str] = {
    stix2.TLP_WHITE.id: "clear",
    stix2.TLP_GREEN.id: "green",
    stix2.TLP_AMBER.id: "amber",
    stix2.TLP_RED.id: "red",
    "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487": "clear",
    "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb": "green",
    "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421": "amber",
    "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003": "amber+strict",
    "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1": "red",
}
#: The most restrictive marking wins when an indicator carries several.
_TLP_ORDER = ("clear", "green", "amber", "amber+strict", "red")

#: STIX indicator types (the 2.1 open vocabulary) → RSIT (class, type).
RSIT_BY_INDICATOR_TYPE: dict[str, tuple[str, str]] = {
    "malicious-activity": ("malicious-code", "malware-distribution"),
    "compromised": ("intrusions", "system-compromise"),
    "anomalous-activity": ("other", "undetermined"),
    "anonymization": ("other", "other"),
    "attribution": ("other", "other"),
    "unknown": ("other", "undetermined"),
}
#: Indicator types that are not about a harmful host: such an indicator is no event.
NOT_AN_EVENT = frozenset({"benign"})

#: STIX object paths → harmonised field. ``network-traffic`` describes the connection to the
#: host the indicator is about, so its destination is the event's source (the listed host).
FIELD_BY_PATH: dict[tuple[str, str], str] = {
    ("ipv4-addr", "value"): "source.ip",
    ("ipv6-addr", "value"): "source.ip",
    ("domain-name", "value"): "source.fqdn",
    ("url", "value"): "source.url",
    ("file", "hashes.MD5"): "malware.hash.md5",
    ("file", "hashes.SHA-1"): "malware.hash.sha1",
    ("file", "hashes.SHA-256"): "malware.hash.sha256",
    ("network-traffic", "dst_port"): "source.port",
    ("network-traffic", "dst_ref.value"): "source.ip",
    ("network-traffic", "protocols[*]"): "protocol.transport",
}
#: Objects that support indicators rather than being rows of their own.
_SUPPORTING = frozenset({"marking-definition", "identity"})

_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'")
_UNSUPPORTED_WORDS = re.compile(r"\b(OR|FOLLOWEDBY|NOT)\b")


@dataclass
class _Rows:
    """The rows of one batch being built, column by column."""

    columns: dict[str, list[Any]] = field(default_factory=dict)
    extra: list[dict[str, Any]] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    raw: list[str] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)

    def add(self, values: dict[str, Any], extra: dict[str, Any], line: int, raw: str) -> None:
        size = len(self.lines)
        for name in values.keys() - self.columns.keys():
            self.columns[name] = [None] * size
        for name, column in self.columns.items():
            column.append(values.get(name))
        self.extra.append(extra)
        self.lines.append(line)
        self.raw.append(raw)

    @property
    def count(self) -> int:
        return len(self.lines) + len(self.rejected)

    def batch(self) -> ParsedBatch:
        return ParsedBatch(
            report_type=REPORT_TYPE,
            columns=self.columns,
            extra=self.extra,
            lines=self.lines,
            raw=self.raw,
            rejected=sorted(self.rejected, key=lambda r: r.line),
        )


class StixParser:
    """STIX 2.1 bundles of indicators (one report type, ``stix-indicators``)."""

    source = "stix"

    def detect(self, filename: str | None, head: bytes) -> str | None:
        """``stix-indicators`` for what looks like a JSON object (a bundle, or a broken one
        that :meth:`parse` then refuses saying why), else None."""
        return REPORT_TYPE if head.removeprefix(_BOM).lstrip().startswith(b"{") else None

    def parse(
        self, stream: BinaryIO, *, report_type: str, batch_size: int = 50_000
    ) -> Iterator[ParsedBatch]:
        """Read the bundle and yield harmonised batches of up to ``batch_size`` objects."""
        if report_type != REPORT_TYPE:
            raise Invalid.on(
                "report_type", f"unknown STIX report type {report_type!r}; expected {REPORT_TYPE}"
            )
        objects = _bundle_objects(stream.read())
        context = _Context.of(objects)
        rows = _Rows()
        for line, obj in enumerate(objects, start=1):
            raw = json.dumps(obj, separators=(",", ":"), ensure_ascii=False)
            if isinstance(obj, dict) and obj.get("type") in _SUPPORTING:
                continue  # read by _Context; it is no row
            try:
                values, extra = _indicator(obj, context)
            except ValueError as exc:
                field_name = exc.args[1] if len(exc.args) > 1 else None
                rows.rejected.append(Rejected(line, raw, str(exc.args[0]), field_name))
            else:
                rows.add(values, extra, line, raw)
            if rows.count >= batch_size:
                yield rows.batch()
                rows = _Rows()
        if rows.count:
            yield rows.batch()


def _bundle_objects(data: bytes) -> list[Any]:
    """The ``objects`` of a bundle; Invalid naming the problem if the input is not one."""
    try:
        document = json.loads(data.removeprefix(_BOM).decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise Invalid.on("file", f"not UTF-8 (byte {exc.start + 1})") from None
    except json.JSONDecodeError as exc:
        raise Invalid.on(
            "file", f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    if not isinstance(document, dict) or document.get("type") != "bundle":
        raise Invalid.on("file", "not a STIX bundle: expected an object with type 'bundle'")
    objects = document.get("objects", [])
    if not isinstance(objects, list):
        raise Invalid.on("objects", "a STIX bundle's objects must be a list")
    return objects


@dataclass(frozen=True)
class _Context:
    """What the supporting objects of the bundle say: TLP of each marking, identity names."""

    tlp: dict[str, str]
    identities: dict[str, str]
    #: Indicator id → name of the malware it ``indicates`` (a relationship of the bundle).
    malware: dict[str, str]

    @classmethod
    def of(cls, objects: list[Any]) -> _Context:
        tlp = dict(TLP_BY_ID)
        identities: dict[str, str] = {}
        malware_names: dict[str, str] = {}
        indicates: list[tuple[str, str]] = []
        for obj in objects:
            if not isinstance(obj, dict):
                continue
            kind, name = obj.get("type"), obj.get("name")
            if kind == "marking-definition" and isinstance(obj.get("id"), str):
                level = _marking_level(obj)
                if level:
                    tlp[obj["id"]] = level
            elif kind == "identity" and isinstance(name, str):
                identities[str(obj.get("id"))] = name
            elif kind == "malware" and isinstance(name, str):
                malware_names[str(obj.get("id"))] = name
            elif kind == "relationship" and obj.get("relationship_type") == "indicates":
                indicates.append((str(obj.get("source_ref")), str(obj.get("target_ref"))))
        malware = {
            source: malware_names[target] for source, target in indicates if target in malware_names
        }
        return cls(tlp, identities, malware)


def _marking_level(obj: dict[str, Any]) -> str | None:
    definition = obj.get("definition")
    if obj.get("definition_type") == "tlp" and isinstance(definition, dict):
        level = str(definition.get("tlp", "")).lower()
        return "clear" if level == "white" else level or None
    name = str(obj.get("name", "")).lower()
    if name.startswith("tlp:"):
        level = name.removeprefix("tlp:")
        return "clear" if level == "white" else level
    return None


def _indicator(obj: Any, context: _Context) -> tuple[dict[str, Any], dict[str, Any]]:
    """The harmonised values and extra fields of one indicator; ``ValueError(reason,
    field)`` when it is no event certnet can express."""
    if not isinstance(obj, dict):
        raise ValueError(f"not a STIX object: a JSON {type(obj).__name__}")
    kind = obj.get("type")
    if kind != "indicator":
        raise ValueError(f"not an indicator: a STIX {kind or 'object without type'}", "type")
    try:
        # STIX 2.1 objects say so; an object without spec_version is STIX 2.0.
        version = "2.1" if obj.get("spec_version") == "2.1" else "2.0"
        indicator = stix2.parse(obj, allow_custom=True, version=version)
    except (stix2.exceptions.STIXError, ValueError) as exc:
        raise ValueError(f"invalid STIX indicator: {exc}") from None
    if indicator.get("revoked"):
        raise ValueError("revoked indicator", "revoked")
    types = [t.lower() for t in indicator.get("indicator_types") or indicator.get("labels") or []]
    if NOT_AN_EVENT.intersection(types):
        raise ValueError("benign indicator: not an event about a harmful host", "indicator_types")
    pattern_type = indicator.get("pattern_type", "stix")  # 2.0 patterns are all STIX
    if pattern_type != "stix":
        raise ValueError(
            f"pattern type {pattern_type!r}: only STIX patterns are read",
            "pattern_type",
        )
    values = _pattern_values(indicator.pattern)
    taxonomy, type_ = next(
        (RSIT_BY_INDICATOR_TYPE[t] for t in types if t in RSIT_BY_INDICATOR_TYPE),
        ("other", "undetermined"),
    )
    values.update(
        {
            "time.source": harmonisation.normaliser("time.source")(indicator.valid_from),
            "classification.taxonomy": taxonomy,
            "classification.type": type_,
            "classification.identifier": types[0] if types else "stix-indicator",
            "feed.provider": context.identities.get(str(indicator.get("created_by_ref")))
            or PROVIDER,
            "feed.name": "STIX indicators",
            "feed.code": REPORT_TYPE,
        }
    )
    malware = context.malware.get(indicator.id)
    if malware:
        try:
            values["malware.name"] = harmonisation.normaliser("malware.name")(malware)
        except ValueError as exc:
            raise ValueError(f"malware.name: {exc}", "malware.name") from None
    extra: dict[str, Any] = {"stix_id": indicator.id, "pattern": indicator.pattern}
    description = str(indicator.get("name") or indicator.get("description") or "")
    if len(description) > harmonisation.MAX_TEXT:
        # Too long for the field, and never cut: kept whole beside the event.
        extra["description"] = description
    elif description:
        values["event_description.text"] = description
    if indicator.get("confidence") is not None:
        extra["confidence"] = indicator.confidence
    if indicator.get("valid_until") is not None:
        extra["valid_until"] = indicator.valid_until.isoformat()
    if types:
        extra["indicator_types"] = types
    tlp = _tlp(indicator.get("object_marking_refs") or [], context)
    if tlp:
        # The event table's marking is set by the pipeline; the source's label is kept here.
        extra["tlp"] = tlp
    return values, extra


def _tlp(refs: list[str], context: _Context) -> str | None:
    levels = [context.tlp[ref] for ref in refs if ref in context.tlp]
    return max(levels, key=_TLP_ORDER.index) if levels else None


def _pattern_values(pattern: str) -> dict[str, Any]:
    """The harmonised values a pattern states, or ValueError saying why it states none."""
    unquoted = _QUOTED.sub("''", pattern)
    word = _UNSUPPORTED_WORDS.search(unquoted)
    if word:
        raise ValueError(
            f"pattern uses {word.group(1)}: only one host described with = and AND is an event",
            "pattern",
        )
    try:
        inspected = Pattern(pattern).inspect()
    except ParseException as exc:
        # stix2 accepted it under its own version's grammar; the 2.1 reader does not.
        raise ValueError(f"pattern cannot be read as STIX 2.1: {exc}", "pattern") from None
    if inspected.qualifiers:
        raise ValueError(
            f"pattern qualifiers ({', '.join(sorted(inspected.qualifiers))}) are not supported",
            "pattern",
        )
    values: dict[str, Any] = {}
    for object_type, comparisons in inspected.comparisons.items():
        for path, operator, literal in comparisons:
            name = ".".join("[*]" if p == "*" else str(p) for p in path).replace(".[*]", "[*]")
            target = FIELD_BY_PATH.get((object_type, name))
            if target is None:
                raise ValueError(f"no harmonised field for {object_type}:{name}", "pattern")
            if operator != "=":
                raise ValueError(f"{object_type}:{name} {operator}: only = is supported", "pattern")
            value = _literal(literal)
            if target == "source.ip" and isinstance(value, str) and "/" in value:
                target = "source.network"
            try:
                value = harmonisation.normaliser(target)(value)
            except ValueError as exc:
                raise ValueError(f"{target} ({object_type}:{name}): {exc}", target) from None
            if target in values and values[target] != value:
                raise ValueError(f"pattern gives two values for {target}", target)
            values[target] = value
    if not values.keys() - {"source.port", "protocol.transport"}:
        raise ValueError("pattern names no host, URL or file", "pattern")
    return values


def _literal(text: str) -> Any:
    """A pattern literal as a value: quoted text unescaped, numbers as int."""
    if text.startswith("'") and text.endswith("'"):
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    if re.fullmatch(r"-?\d+", text):
        return int(text)
    return text
