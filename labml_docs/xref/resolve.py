"""
# Resolving: what a name read somewhere is

The second pass, over what [`collect`](collect.py) wrote down. A name read in a function is
looked up through the enclosing scopes as Python does it (a class body's names are not seen
from its methods); an import is followed into the module it names, through re-exports in
`__init__.py` files; `self.method` and `super().method` are looked up along the class's bases
that are in the tree, in Python's method resolution order (C3).

Every answer is remembered with the *facts* it was read from: what one file binds a name to in
one of its scopes (`Fact`), the modules it star-imports, the bases of one of its classes. A
page's links are a function of the facts its look-ups read (and of the tree's list of modules),
so its *dependencies* are those facts, not whole files: the build renders it again only when
the value of one of them changed (see [`indexes`](indexes.py), `XrefIndex.fact_record`). A
comment or a function body changes no fact; renaming a function changes the facts of the pages
that looked its name up, and no others.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

from ..parse import char_col
from .collect import (
    Binding,
    ClassInfo,
    Def,
    Definition,
    FromImport,
    ModuleImport,
    ModuleInfo,
    Opaque,
    Scope,
    SelfParam,
)

# How many imports a name may go through before we give up (re-exports of re-exports).
MAX_DEPTH = 12
# How deep look-ups may nest inside one another (a base class named through an attribute of
# another class, whose bases are named so too...). Each level is a few Python frames: past this
# one the look-up gives up (no link) rather than reach Python's recursion limit.
MAX_NESTING = 50


# ## Values of expressions, as far as the index can tell

@dataclass(frozen=True)
class ModuleValue:
    """A module (or package) of the tree."""
    name: str


@dataclass(eq=False)
class SuperValue:
    """`super()` in a method of `cls`."""
    cls: ClassInfo


# `SelfParam` is the value of `self` too.
Value = Definition | ModuleValue | SelfParam | SuperValue
T = TypeVar("T")

# A fact of one file that a look-up read: `(path, kind, scope, name)`, where `kind` is
# - `"b"`: what `name` is bound to in the scope (module or class) of dotted name `scope`;
# - `"star"`: the modules that the module `scope` star-imports;
# - `"bases"`: the base class expressions of the class `scope`;
# - `"file"`: anything else of the file (the scopes of its functions): its whole text.
Fact = tuple[str, str, str, str]


class _Facts(set[Fact]):
    """The facts a look-up read: those it read itself, and the remembered sets of the answers
    it took, each once. (A module's names take the same answers again and again, and these
    sets can be long: merging each answer's set at every use cost a fifth of a build.)"""
    __slots__ = ("parts",)

    def __init__(self) -> None:
        super().__init__()
        self.parts: dict[int, frozenset[Fact]] = {}

    def take(self, facts: frozenset[Fact]) -> None:
        # (By identity: `parts` holds each set, so no two of them share one.)
        self.parts[id(facts)] = facts

    def frozen(self) -> frozenset[Fact]:
        return frozenset(self.union(*self.parts.values()))


class Resolver:
    """Looks names up across the modules of the tree.

    `load(module name)`, for an index built lazily, collects the files of that module before
    they are looked in; without it, every module must have been added first.
    """

    def __init__(self, load: Callable[[str], None] | None = None):
        self.modules: dict[str, ModuleInfo] = {}
        # Every module name and every package above one (namespace packages included).
        self.known: set[str] = set()
        self.classes: dict[str, ClassInfo] = {}
        # The place in the tree's path order of the file each class comes from: when two
        # files define the same dotted name, the first one's class counts, whatever the order
        # the files were collected in.
        self._class_order: dict[str, int] = {}
        self._load = load
        # Key → (answer, the facts it was read from).
        self._memo: dict[Hashable, tuple[Any, frozenset[Fact]]] = {}
        # What expressions (keyed by their syntax nodes) resolved to: only for the module being
        # resolved (`forget_nodes`), or the index would keep every file's syntax tree alive.
        self._node_memo: dict[Hashable, tuple[Any, frozenset[Fact]]] = {}
        # The facts read by the look-ups in progress, innermost last.
        self._consulted: list[_Facts] = [_Facts()]

    def add_module(self, module: ModuleInfo, classes: dict[str, ClassInfo], order: int) -> None:
        """A collected module, and its classes; `order` is its file's place in path order (of
        two files of one module name, the first one collected answers)."""
        for qualname, info in classes.items():
            if qualname not in self.classes or order < self._class_order[qualname]:
                self.classes[qualname] = info
                self._class_order[qualname] = order
        self.modules.setdefault(module.name, module)

    def module(self, name: str) -> ModuleInfo | None:
        if self._load is not None:
            self._load(name)
        return self.modules.get(name)

    def class_info(self, qualname: str) -> ClassInfo | None:
        """The class of a dotted name; lazily, every module that could define it is collected
        first (the modules named by the prefixes of the name)."""
        if self._load is not None:
            parts = qualname.split(".")
            for i in range(len(parts)):
                self._load(".".join(parts[:i]))
        return self.classes.get(qualname)

    # ### Remembering answers, and the facts they come from

    def _remember(self, key: Hashable, compute: Callable[[], T], pending: T | None = None
                  ) -> T | None:
        """`compute()`, memoised with the facts it read; `pending` while it runs (cycles),
        and when look-ups nest deeper than `MAX_NESTING` (then nothing is remembered)."""
        memo = self._memo if isinstance(key, tuple) else self._node_memo
        known = memo.get(key)
        if known is not None:
            self._consulted[-1].take(known[1])
            return known[0]
        if len(self._consulted) > MAX_NESTING:
            return pending
        memo[key] = (pending, frozenset())
        self._consulted.append(_Facts())
        try:
            value = compute()
        except BaseException:
            memo.pop(key, None)  # never computed: a later look-up must not take `pending`
            raise
        finally:
            facts = self._consulted.pop().frozen()
        memo[key] = (value, facts)
        self._consulted[-1].take(facts)
        return value

    def forget_nodes(self) -> None:
        """Drop what expressions resolved to, once a module's names are resolved: a later
        look-up of the same expression (a class's base) computes it again."""
        self._node_memo.clear()

    def track(self, compute: Callable[[], T]) -> tuple[T, set[Fact]]:
        """`(compute(), the facts it read)`."""
        self._consulted.append(_Facts())
        try:
            value = compute()
        finally:
            facts = self._consulted.pop().frozen()
        return value, set(facts)

    # ### Names and expressions

    def binding_value(self, binding: Binding, depth: int) -> Value | None:
        if isinstance(binding, Def):
            return binding.definition
        if isinstance(binding, FromImport):
            return self.module_attr(binding.module, binding.name, depth + 1)
        if isinstance(binding, ModuleImport):
            return ModuleValue(binding.module) if binding.module in self.known else None
        if isinstance(binding, SelfParam):
            return binding
        return None

    def module_attr(self, module: str, name: str, depth: int = 0) -> Value | None:
        """What `module.name` is: a definition, a submodule, or `None`."""
        if depth > MAX_DEPTH:
            return None
        return self._remember(("module", module, name),
                              lambda: self._module_attr(module, name, depth))

    def _module_attr(self, module: str, name: str, depth: int) -> Value | None:
        value = None
        found = self.module(module)
        if found is not None:
            consulted = self._consulted[-1]
            consulted.add((found.path, "b", found.name, name))
            binding = found.scope.get(name)
            if binding is not None:
                value = self.binding_value(binding, depth)
            elif not name.startswith("_"):
                consulted.add((found.path, "star", found.name, ""))
                for star in found.scope.star_imports:
                    value = self.module_attr(star, name, depth + 1)
                    if value is not None:
                        break
        if value is None and f"{module}.{name}" in self.known:
            value = ModuleValue(f"{module}.{name}")
        return value

    def lookup(self, scope: Scope | None, name: str) -> Binding | None:
        """The binding a name read in `scope` refers to; `None` for builtins and unknowns."""
        first = True
        consulted = self._consulted[-1]
        while scope is not None:
            path = scope.module.path
            if scope.kind == "module":
                consulted.add((path, "b", scope.qualname, name))
                binding = scope.get(name)
                if binding is None and not name.startswith("_"):
                    consulted.add((path, "star", scope.qualname, ""))
                    for star in scope.star_imports:
                        if self.module_attr(star, name) is not None:
                            return FromImport(star, name)
                return binding
            # What a function's scope says is not one of the facts: it is the file's text.
            consulted.add((path, "b", scope.qualname, name) if scope.kind == "class"
                          else scope.module.file_fact)
            if scope.kind != "class" and name in scope.globals:
                scope = scope.module.scope
                continue
            # A class body's names are seen only from the class body itself.
            if (first or scope.kind != "class") and name not in scope.nonlocals:
                binding = scope.get(name)
                if binding is not None:
                    return binding
            first = False
            scope = scope.parent
        return None

    def resolve(self, node: ast.expr, scope: Scope, depth: int = 0) -> Value | None:
        """What an expression is: a definition, a module, `self`, `super()`, or `None`."""
        if depth > MAX_DEPTH:
            return None
        # AST nodes hash by identity: the key keeps the node, and so its identity, alive.
        return self._remember(node, lambda: self._resolve(node, scope, depth))

    def _resolve(self, node: ast.expr, scope: Scope, depth: int) -> Value | None:
        if isinstance(node, ast.Name):
            binding = self.lookup(scope, node.id)
            return None if binding is None else self.binding_value(binding, 0)
        if isinstance(node, ast.Attribute):
            base = self.resolve(node.value, scope, depth + 1)
            return None if base is None else self.member(base, node.attr, depth + 1)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id == "super" and self.lookup(scope, "super") is None:
            if not node.args and scope.cls is not None and scope.kind != "class":
                return SuperValue(scope.cls)
            if len(node.args) == 2:
                first = self.resolve(node.args[0], scope, depth + 1)
                if isinstance(first, Definition):
                    info = self.class_info(first.qualname)
                    if info is not None:
                        return SuperValue(info)
        return None

    def member(self, base: Value, attr: str, depth: int) -> Value | None:
        if isinstance(base, ModuleValue):
            return self.module_attr(base.name, attr, depth)
        if isinstance(base, Definition):
            info = self.class_info(base.qualname) if base.kind == "class" else None
            return None if info is None else self._class_member(self.mro(info), attr, depth)
        if isinstance(base, SelfParam):
            return self._class_member(self.mro(base.cls), attr, depth)
        if isinstance(base, SuperValue):
            return self._class_member(self.mro(base.cls)[1:], attr, depth)
        return None

    def _class_member(self, mro: list[ClassInfo], attr: str, depth: int) -> Value | None:
        consulted = self._consulted[-1]
        for info in mro:
            consulted.add((info.definition.path, "b", info.scope.qualname, attr))
            binding = info.scope.get(attr)
            if binding is not None:
                value = self.binding_value(binding, depth)
                return value if isinstance(value, (Definition, ModuleValue)) else None
        return None

    # ### Classes

    def mro(self, info: ClassInfo) -> list[ClassInfo]:
        """The class and its bases that are in the tree, in Python's method resolution order.

        The orders of its ancestors are computed first, each after its own bases, from a stack
        of ours: each then finds those of its bases known, and a chain of a thousand classes does
        not reach Python's recursion limit. (C3 gives one order whatever the order of work.)
        """
        for ancestor in self._ancestors_first(info):
            self._mro_of(ancestor)
        return self._mro_of(info)

    @staticmethod
    def _mro_key(info: ClassInfo) -> tuple[str, str, int]:
        """The memo of a class's order is its definition's, not its name's: a file may define
        one name twice (`if X: class A` / `else: class A`), and which of the two is asked about
        first must not change the answer for the other."""
        return ("mro", info.definition.path, info.definition.line)

    def _mro_of(self, info: ClassInfo) -> list[ClassInfo]:
        # A class that inherits from itself stops at itself.
        found = self._remember(self._mro_key(info), lambda: self._mro(info), [info])
        return found if found is not None else [info]

    def _mro(self, info: ClassInfo) -> list[ClassInfo]:
        self._consulted[-1].add((info.definition.path, "bases", info.scope.qualname, ""))
        bases = self._bases(info)
        if len(bases) == 1:  # what C3 gives, in time linear rather than square in its length
            return [info] + self._mro_of(bases[0])
        return [info] + c3([self._mro_of(b) for b in bases] + [bases])

    def _bases(self, info: ClassInfo) -> list[ClassInfo]:
        """The bases of a class that are in the tree, once each, in order."""
        bases = []
        for expr in info.bases:
            value = self.resolve(expr, info.outer)
            base = self.class_info(value.qualname) if isinstance(value, Definition) else None
            if base is not None and base is not info and base not in bases:
                bases.append(base)
        return bases

    def _ancestors_first(self, info: ClassInfo) -> list[ClassInfo]:
        """The ancestors of `info` whose order is not known yet, each after its bases."""
        order: list[ClassInfo] = []
        seen = {id(info)}
        stack = [(info, iter(self._bases(info)))]
        while stack:
            current, bases = stack[-1]
            for base in bases:
                if id(base) not in seen and self._mro_key(base) not in self._memo:
                    seen.add(id(base))
                    stack.append((base, iter(self._bases(base))))
                    break
            else:
                stack.pop()
                if current is not info:
                    order.append(current)
        return order

    # ### The names of a module

    def targets(self, module: ModuleInfo) -> dict[tuple[int, int], Definition]:
        """`(line, column)` → definition, for every name of the module that has one."""
        lines = module.lines
        found: dict[tuple[int, int], Definition] = {}
        for kind, node, extra in module.sites:
            if kind == "alias":
                value = self.module_attr(*extra)
                name, line, byte_col = node.name, node.lineno, node.col_offset
            elif kind == "name":
                if _local(node.id, extra):
                    continue
                value = self.resolve(node, extra)
                name, line, byte_col = node.id, node.lineno, node.col_offset
            else:
                value = self.resolve(node, extra)
                name, line = node.attr, node.end_lineno
                byte_col = None
            if not isinstance(value, Definition) or line is None or line > len(lines):
                continue
            text = lines[line - 1]
            if byte_col is None:
                col = char_col(text, node.end_col_offset) - len(name)
            else:
                col = char_col(text, byte_col)
            if col < 0 or text[col: col + len(name)] != name:
                continue  # the AST and the text disagree (normalised identifiers): no link
            if value.path == module.path and value.line == line and kind != "alias" \
                    and value.kind in ("class", "function", "method"):
                continue  # `class A(A)`: never a link from a definition to itself
            # Pygments reads `@name` (a decorator, or `a @b`) as one token starting at `@`.
            if col > 0 and text[col - 1] == "@":
                col -= 1
            found.setdefault((line, col), value)
        return dict(sorted(found.items()))


def _local(name: str, scope: Scope) -> bool:
    """Whether `name`, read in `scope`, is a local variable or parameter of the function
    (or comprehension) it is read in: most names of a module are, and `lookup` would find
    them there, never a definition, having read only facts of the module's own file (which
    its own page does not depend on). So they are not looked up at all."""
    if scope.kind == "module" or scope.kind == "class":
        return False
    entry = scope.bindings.get(name)
    return (entry is not None and isinstance(entry[1], (Opaque, SelfParam))
            and name not in scope.globals and name not in scope.nonlocals)


def c3(sequences: list[list[ClassInfo]]) -> list[ClassInfo]:
    """C3 linearisation; when the bases cannot be ordered, depth-first order instead."""
    sequences = [list(s) for s in sequences if s]
    result: list[ClassInfo] = []
    while sequences:
        for sequence in sequences:
            head = sequence[0]
            if not any(head in s[1:] for s in sequences):
                break
        else:
            seen = list(result)
            for sequence in sequences:
                for item in sequence:
                    if item not in seen:
                        seen.append(item)
            return seen
        result.append(head)
        sequences = [[x for x in s if x is not head] for s in sequences]
        sequences = [s for s in sequences if s]
    return result


__all__ = ["MAX_DEPTH", "MAX_NESTING", "Fact", "ModuleValue", "Resolver", "SuperValue", "Value", "c3"]
