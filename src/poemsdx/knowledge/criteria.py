"""Parse criteria rule trees (YAML) into the engine's AST, with located errors.

A node is a mapping whose keys say what it is::

    {all: [...]}  {any: [...]}  {at_least: 2, of: [...]}  {none_of: [...]}  {not: node}
    {points: {threshold: 20, domains: [...]}}
    {item: polyneuropathy}  {fragment: vegf_elevated}  {param: vegf_rule, cases: {...}}
    {finding: papilledema}
    {lab: vegf, specimen: serum, at_least: {value: 1000, unit: pg/mL}, source: .., verification: ..}
    {lab: igg4, above: {uln: 2}, source: .., verification: ..}
    {result: m_protein, is: positive, confirmed_by: immunofixation}
    {criteria: mm-imwg-2014}  {patient: age, above: {value: 50, unit: a}, ...}  {feature: name}
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, cast

from ..engine import ast
from ..errors import KnowledgeError
from .schema import CriteriaFile, FragmentFile, Text, Verification
from .yamlload import format_path, locate

_COMPARATORS = ("above", "at_least", "below", "at_most")
_VERIFICATIONS = ("VERIFIED", "CORROBORATED", "UNVERIFIED")


@dataclass(frozen=True, slots=True)
class Item:
    id: str
    label: Text
    role: str | None
    node: ast.Node
    note: Text | None
    tests: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Category:
    id: str
    label: Text
    node: ast.Node
    provenance: ast.Provenance | None = None


@dataclass(frozen=True, slots=True)
class CriteriaSet:
    """A parsed criteria set: header, items, and either one rule or ranked categories."""

    header: CriteriaFile
    items: Mapping[str, Item]
    logic: ast.Node | None
    categories: tuple[Category, ...]
    filename: str

    @property
    def id(self) -> str:
        return self.header.id

    def param_default(self, name: str, global_default: str) -> str:
        use = self.header.parameters.get(name)
        return use.default if use and use.default else global_default


class _Parser:
    def __init__(self, raw: Any, filename: str, fragments: Mapping[str, ast.Fragment]) -> None:
        self.raw = raw
        self.filename = filename
        self.fragments = fragments

    def fail(self, message: str, path: list[str | int]) -> KnowledgeError:
        return KnowledgeError(message, locate(self.raw, path, self.filename))

    def node(self, data: Any, path: list[str | int]) -> ast.Node:
        if not isinstance(data, Mapping):
            raise self.fail(f"a rule must be a mapping, got {type(data).__name__}", path)
        for key, handler in self._handlers.items():
            if key in data:
                return handler(self, data, path)
        raise self.fail(
            f"not a rule: none of {', '.join(self._handlers)} is given"
            f" (keys: {', '.join(map(str, data))})",
            path,
        )

    def _check_keys(
        self, data: Mapping[str, Any], allowed: set[str], path: list[str | int]
    ) -> None:
        for key in data:
            if key not in allowed | {"label"}:
                raise self.fail(
                    f"unknown key '{key}'; allowed: {', '.join(sorted(allowed | {'label'}))}",
                    [*path, key],
                )

    def _label(self, data: Mapping[str, Any], path: list[str | int]) -> Text | None:
        label = data.get("label")
        if label is None:
            return None
        if isinstance(label, str):
            return {"en": label}
        if isinstance(label, Mapping) and "en" in label:
            return {str(k): str(v) for k, v in label.items()}
        raise self.fail("a label is a string or a mapping with an 'en' entry", [*path, "label"])

    def _list(
        self, data: Mapping[str, Any], key: str, path: list[str | int]
    ) -> tuple[ast.Node, ...]:
        value = data[key]
        if not isinstance(value, list) or not value:
            raise self.fail(f"'{key}' needs a non-empty list of rules", [*path, key])
        return tuple(self.node(v, [*path, key, i]) for i, v in enumerate(value))

    def _common(self, data: Mapping[str, Any], path: list[str | int]) -> dict[str, Any]:
        return {"label": self._label(data, path), "path": format_path(path)}

    def _all(self, data: Mapping[str, Any], path: list[str | int]) -> ast.Node:
        self._check_keys(data, {"all"}, path)
        return ast.All(self._list(data, "all", path), **self._common(data, path))

    def _any(self, data: Mapping[str, Any], path: list[str | int]) -> ast.Node:
        self._check_keys(data, {"any"}, path)
        return ast.Any(self._list(data, "any", path), **self._common(data, path))

    def _none_of(self, data: Mapping[str, Any], path: list[str | int]) -> ast.Node:
        self._check_keys(data, {"none_of"}, path)
        return ast.NoneOf(self._list(data, "none_of", path), **self._common(data, path))

    def _not(self, data: Mapping[str, Any], path: list[str | int]) -> ast.Node:
        self._check_keys(data, {"not"}, path)
        return ast.Not(self.node(data["not"], [*path, "not"]), **self._common(data, path))

    def _at_least(self, data: Mapping[str, Any], path: list[str | int]) -> ast.Node:
        self._check_keys(data, {"at_least", "of"}, path)
        n = data["at_least"]
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise self.fail(f"'at_least' needs a whole number >= 1, got {n!r}", [*path, "at_least"])
        if "of" not in data:
            raise self.fail("'at_least' needs 'of': a list of rules", path)
        kids = self._list(data, "of", path)
        if n > len(kids):
            raise self.fail(f"'at_least: {n}' of only {len(kids)} rules can never hold", path)
        return ast.AtLeast(n, kids, **self._common(data, path))

    def _points(self, data: Mapping[str, Any], path: list[str | int]) -> ast.Node:
        self._check_keys(data, {"points"}, path)
        spec = data["points"]
        p = [*path, "points"]
        if not isinstance(spec, Mapping):
            raise self.fail("'points' needs a mapping with threshold and domains", p)
        self._check_keys(spec, {"threshold", "domains"}, p)
        threshold = spec.get("threshold")
        if not isinstance(threshold, int | float) or isinstance(threshold, bool):
            raise self.fail("'threshold' must be a number", [*p, "threshold"])
        domains_raw = spec.get("domains")
        if not isinstance(domains_raw, list) or not domains_raw:
            raise self.fail("'domains' needs a non-empty list", [*p, "domains"])
        domains = []
        for i, d in enumerate(domains_raw):
            dp: list[str | int] = [*p, "domains", i]
            if not isinstance(d, Mapping):
                raise self.fail("a domain is a mapping with id and options", dp)
            self._check_keys(d, {"id", "options"}, dp)
            opts_raw = d.get("options")
            if not isinstance(opts_raw, list) or not opts_raw:
                raise self.fail("a domain needs a non-empty list of options", [*dp, "options"])
            options = []
            for j, o in enumerate(opts_raw):
                op: list[str | int] = [*dp, "options", j]
                if not isinstance(o, Mapping):
                    raise self.fail("an option is a mapping with points and when", op)
                self._check_keys(o, {"points", "when", "source", "verification"}, op)
                pts = o.get("points")
                if not isinstance(pts, int | float) or isinstance(pts, bool):
                    raise self.fail("'points' must be a number", [*op, "points"])
                if "when" not in o:
                    raise self.fail("an option needs 'when': the rule that earns the points", op)
                prov = self._provenance(o, op, required=True)
                options.append(
                    ast.PointsOption(float(pts), self.node(o["when"], [*op, "when"]), prov)
                )
            domains.append(
                ast.PointsDomain(str(d.get("id", i)), self._label(d, dp), tuple(options))
            )
        return ast.Points(float(threshold), tuple(domains), **self._common(data, path))

    def _item(self, data: Mapping[str, Any], path: list[str | int]) -> ast.Node:
        self._check_keys(data, {"item"}, path)
        return ast.ItemRef(str(data["item"]), **self._common(data, path))

    def _fragment(self, data: Mapping[str, Any], path: list[str | int]) -> ast.Node:
        self._check_keys(data, {"fragment"}, path)
        name = str(data["fragment"])
        if name not in self.fragments:
            known = ", ".join(sorted(self.fragments)) or "none"
            raise self.fail(f"unknown fragment '{name}'; known: {known}", [*path, "fragment"])
        return self.fragments[name]

    def _param(self, data: Mapping[str, Any], path: list[str | int]) -> ast.Node:
        self._check_keys(data, {"param", "cases"}, path)
        cases = data.get("cases")
        if not isinstance(cases, Mapping) or not cases:
            raise self.fail("'param' needs 'cases': a mapping from value to rule", path)
        parsed = tuple((str(k), self.node(v, [*path, "cases", k])) for k, v in cases.items())
        return ast.ParamSwitch(str(data["param"]), parsed, **self._common(data, path))

    def _constant(self, data: Mapping[str, Any], path: list[str | int]) -> ast.Node:
        self._check_keys(data, {"constant"}, path)
        value = data["constant"]
        if not isinstance(value, bool):
            raise self.fail("'constant' must be true or false", [*path, "constant"])
        return ast.Constant(value, **self._common(data, path))

    def _finding(self, data: Mapping[str, Any], path: list[str | int]) -> ast.Node:
        self._check_keys(data, {"finding"}, path)
        return ast.FindingAtom(str(data["finding"]), **self._common(data, path))

    def _specimens(self, data: Mapping[str, Any], path: list[str | int]) -> tuple[str, ...]:
        spec = data.get("specimen")
        if spec is None:
            return ()
        if isinstance(spec, str):
            return (spec,)
        if isinstance(spec, list) and all(isinstance(s, str) for s in spec):
            return tuple(spec)
        raise self.fail("'specimen' is a name or a list of names", [*path, "specimen"])

    def _provenance(
        self, data: Mapping[str, Any], path: list[str | int], *, required: bool
    ) -> ast.Provenance | None:
        source, ver = data.get("source"), data.get("verification")
        if source is None and ver is None and not required:
            return None
        if not isinstance(source, str) or not source.strip():
            raise self.fail("every threshold needs 'source': where the number comes from", path)
        if ver not in _VERIFICATIONS:
            raise self.fail(
                f"'verification' must be one of {', '.join(_VERIFICATIONS)}, got {ver!r}", path
            )
        return ast.Provenance(source, cast(Verification, ver))

    def _threshold(self, data: Mapping[str, Any], path: list[str | int]) -> ast.Threshold:
        given = [c for c in _COMPARATORS if c in data]
        if len(given) != 1:
            raise self.fail(f"give exactly one of {', '.join(_COMPARATORS)}", path)
        comp = cast(ast.Comparator, given[0])
        spec = data[comp]
        tp = [*path, comp]
        if not isinstance(spec, Mapping):
            raise self.fail("a threshold is {value: N, unit: U}, {uln: K} or {lln: K}", tp)
        self._check_keys(spec, {"value", "unit", "uln", "lln", "offset"}, tp)
        for lim in ("uln", "lln"):
            if lim in spec:
                k = spec[lim]
                if not isinstance(k, int | float) or isinstance(k, bool) or k <= 0:
                    raise self.fail(f"'{lim}' must be a positive multiple", [*tp, lim])
                if set(spec) - {lim, "offset"}:
                    raise self.fail(f"'{lim}' takes only an optional 'offset'", tp)
                offset, unit = self._offset(spec.get("offset"), [*tp, "offset"])
                return ast.Threshold(
                    comp,
                    unit=unit,
                    limit="ULN" if lim == "uln" else "LLN",
                    multiple=float(k),
                    offset=offset,
                )
        if "offset" in spec:
            raise self.fail("'offset' goes with uln or lln", [*tp, "offset"])
        value, unit = spec.get("value"), spec.get("unit")
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise self.fail("'value' must be a number", [*tp, "value"])
        if not isinstance(unit, str) or not unit:
            raise self.fail("an absolute threshold needs a 'unit'", tp)
        return ast.Threshold(comp, value=float(value), unit=unit)

    def _offset(self, spec: Any, path: list[str | int]) -> tuple[float | None, str | None]:
        """``{value: -2, unit: g/dL}`` → (-2.0, "g/dL"): a fixed amount added to the limit."""
        if spec is None:
            return None, None
        if not isinstance(spec, Mapping) or set(spec) != {"value", "unit"}:
            raise self.fail("'offset' is {value: N, unit: U} (negative N for below)", path)
        value, unit = spec["value"], spec["unit"]
        if (
            not isinstance(value, int | float)
            or isinstance(value, bool)
            or not isinstance(unit, str)
        ):
            raise self.fail("'offset' needs a number and a unit", path)
        return float(value), unit

    def _lab(self, data: Mapping[str, Any], path: list[str | int]) -> ast.Node:
        self._check_keys(data, {"lab", "specimen", "source", "verification", *_COMPARATORS}, path)
        prov = self._provenance(data, path, required=True)
        assert prov is not None
        return ast.LabAtom(
            str(data["lab"]),
            self._threshold(data, path),
            prov,
            self._specimens(data, path),
            **self._common(data, path),
        )

    def _result(self, data: Mapping[str, Any], path: list[str | int]) -> ast.Node:
        allowed = {"result", "is", "light_chain", "heavy_chain", "confirmed_by", "specimen"}
        self._check_keys(data, allowed, path)
        return ast.ResultAtom(
            str(data["result"]),
            str(data.get("is", "positive")),
            data.get("light_chain"),
            data.get("heavy_chain"),
            data.get("confirmed_by"),
            self._specimens(data, path),
            **self._common(data, path),
        )

    def _criteria(self, data: Mapping[str, Any], path: list[str | int]) -> ast.Node:
        self._check_keys(data, {"criteria", "category"}, path)
        cats = data.get("category", ())
        cats = (cats,) if isinstance(cats, str) else tuple(cats)
        return ast.CriteriaAtom(str(data["criteria"]), cats, **self._common(data, path))

    def _patient(self, data: Mapping[str, Any], path: list[str | int]) -> ast.Node:
        self._check_keys(data, {"patient", "equals", "source", "verification", *_COMPARATORS}, path)
        attr = data["patient"]
        if attr not in ("age", "sex"):
            raise self.fail(f"unknown patient attribute '{attr}'; allowed: age, sex", path)
        if attr == "sex":
            return ast.PatientAtom(
                "sex", equals=str(data.get("equals")), **self._common(data, path)
            )
        return ast.PatientAtom(
            "age",
            threshold=self._threshold(data, path),
            provenance=self._provenance(data, path, required=True),
            **self._common(data, path),
        )

    def _feature(self, data: Mapping[str, Any], path: list[str | int]) -> ast.Node:
        self._check_keys(data, {"feature", "source", "verification"}, path)
        prov = self._provenance(data, path, required=False)
        return ast.FeatureAtom(str(data["feature"]), prov, **self._common(data, path))

    # Order matters: 'lab' and 'patient' nodes may also carry an 'at_least' comparator.
    _handlers: ClassVar[
        dict[str, Callable[[_Parser, Mapping[str, Any], list[str | int]], ast.Node]]
    ] = {
        "lab": _lab,
        "patient": _patient,
        "all": _all,
        "any": _any,
        "at_least": _at_least,
        "none_of": _none_of,
        "not": _not,
        "points": _points,
        "item": _item,
        "fragment": _fragment,
        "param": _param,
        "finding": _finding,
        "constant": _constant,
        "result": _result,
        "criteria": _criteria,
        "feature": _feature,
    }


@dataclass(frozen=True, slots=True)
class Discriminator:
    """A feature that favours or disfavours diseases, with its published figure."""

    id: str
    label: Text
    node: ast.Node
    favours: tuple[str, ...]
    disfavours: tuple[str, ...]
    figure: Text
    provenance: ast.Provenance


@dataclass(frozen=True, slots=True)
class Differential:
    diseases: Mapping[str, tuple[str, ...]]  # disease concept → criteria ids deciding it
    discriminators: tuple[Discriminator, ...]


def parse_differential(
    raw: Any, filename: str, fragments: Mapping[str, ast.Fragment]
) -> Differential:
    from .schema import DifferentialFile, validate

    spec = validate(DifferentialFile, raw, filename)
    parser = _Parser(raw, filename, fragments)
    discs = tuple(
        Discriminator(
            d.id,
            d.label,
            parser.node(d.when, ["discriminators", i, "when"]),
            tuple(d.favours),
            tuple(d.disfavours),
            d.figure,
            ast.Provenance(d.source, d.verification),
        )
        for i, d in enumerate(spec.discriminators)
    )
    return Differential({k: tuple(v.criteria) for k, v in spec.diseases.items()}, discs)


def parse_fragments(raw: Any, filename: str) -> dict[str, ast.Fragment]:
    """Parse the shared fragments file; a fragment may use fragments defined before it."""
    from .schema import validate

    spec = validate(FragmentFile, raw, filename)
    done: dict[str, ast.Fragment] = {}
    for name, frag in spec.fragments.items():
        parser = _Parser(raw, filename, done)
        child = parser.node(frag.logic, ["fragments", name, "logic"])
        done[name] = ast.Fragment(name, child, label=frag.label, path=f"fragment:{name}")
    return done


def parse_criteria(raw: Any, filename: str, fragments: Mapping[str, ast.Fragment]) -> CriteriaSet:
    """Validate a criteria file and parse its rules; item references are checked here."""
    from .schema import validate

    header = validate(CriteriaFile, raw, filename)
    parser = _Parser(raw, filename, fragments)
    items = {
        iid: Item(
            iid,
            spec.label,
            spec.role,
            parser.node(spec.logic, ["items", iid, "logic"]),
            spec.note,
            tuple(spec.tests),
        )
        for iid, spec in header.items.items()
    }
    if (header.logic is None) == (not header.categories):
        raise parser.fail("give either 'logic' or 'categories' (exactly one)", [])
    logic = parser.node(header.logic, ["logic"]) if header.logic is not None else None
    categories = tuple(
        Category(
            c.id,
            c.label,
            parser.node(c.logic, ["categories", i, "logic"]),
            ast.Provenance(c.source, c.verification) if c.source and c.verification else None,
        )
        for i, c in enumerate(header.categories)
    )
    crit = CriteriaSet(header, items, logic, categories, filename)
    _check_item_refs(crit, parser)
    return crit


def _check_item_refs(crit: CriteriaSet, parser: _Parser) -> None:
    roots = [crit.logic] if crit.logic else [c.node for c in crit.categories]
    roots += [i.node for i in crit.items.values()]
    stack = list(roots)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.ItemRef) and node.item not in crit.items:
            known = ", ".join(sorted(crit.items))
            raise KnowledgeError(
                f"unknown item '{node.item}'; items of this set: {known}",
                locate(parser.raw, _split_path(node.path), crit.filename),
            )
        stack.extend(ast.children(node))


def _split_path(path: str) -> list[str | int]:
    out: list[str | int] = []
    for part in path.replace("[", ".[").split("."):
        if part.startswith("[") and part.endswith("]"):
            out.append(int(part[1:-1]))
        elif part:
            out.append(part)
    return out
