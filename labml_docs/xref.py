"""
---
title: Jump to definition
summary: The definition index of the tree, from the AST, and the links of each page's code.
---

# Jump to definition

Names in the code link to where they are defined, when that is in the tree being documented.
Everything comes from the [`ast`](https://docs.python.org/3/library/ast.html), never from
matching text: each file is parsed once, in two passes.

1. **Collect.** One walk over each file records its *scopes* (module, classes, functions,
   lambdas, comprehensions), what each scope binds (definitions, imports, parameters, local
   variables), and every place a name is read.
2. **Resolve**, lazily, page by page: a name read in a function is looked up through the
   enclosing scopes as Python does it (a class body's names are not seen from its methods); an
   import is followed into the module it names, through re-exports in `__init__.py` files;
   `self.method` and `super().method` are looked up along the class's bases that are in the
   tree.

A definition is a module-level class, function or assigned name, or a method or attribute of a
class. Its link goes to the section of its page that shows its line, or the next section when
the line is hidden (a docstring). Names of the standard library and of other packages are
never linked, nor local variables, nor the name of a definition itself.
"""

from __future__ import annotations

import ast
import gc
import hashlib
import json
import posixpath
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from .urls import page_url
from .parse import Page, parse_syntax, statements

# `(line, column)` of a name's first character → the address of its definition.
Links = dict[tuple[int, int], str]

# How many imports a name may go through before we give up (re-exports of re-exports).
MAX_DEPTH = 12
# How deep look-ups may nest inside one another (a base class named through an attribute of
# another class, whose bases are named so too...). Each level is a few Python frames: past this
# one the look-up gives up (no link) rather than reach Python's recursion limit.
MAX_NESTING = 50


@dataclass(frozen=True)
class Definition:
    """Something a name can link to."""
    # The dotted name: `labml_nn.optimizers.adam.Adam`, `labml_nn.optimizers.adam.Adam.step`.
    qualname: str
    # The file (tree-relative) and the line of its `def`, `class` or assignment.
    path: str
    line: int
    # `class`, `function`, `method`, `variable` or `attribute`.
    kind: str


# ## Scopes and bindings

class _Opaque:
    """A binding we cannot follow: a local variable, a loop target, a parameter."""
    __slots__ = ()


_OPAQUE = _Opaque()


@dataclass(frozen=True)
class _Def:
    definition: Definition


@dataclass(frozen=True)
class _FromImport:
    """`from module import name`."""
    module: str
    name: str


@dataclass(frozen=True)
class _ModuleImport:
    """`import a.b` (binds `a`) or `import a.b as c` (binds `c` to `a.b`)."""
    module: str


@dataclass(eq=False)
class _Self:
    """The first parameter of a method: an instance (or the class) of `cls`."""
    cls: "_ClassInfo"


@dataclass(eq=False)
class _Scope:
    kind: str  # module, class, function or comprehension
    parent: "_Scope | None"
    module: "_Module"
    qualname: str
    # Name → (position of the first binding, binding).
    bindings: dict = field(default_factory=dict)
    globals: set = field(default_factory=set)
    nonlocals: set = field(default_factory=set)
    # The class whose body this scope is, or whose method (or a function in it) it is.
    cls: "_ClassInfo | None" = None
    star_imports: list = field(default_factory=list)

    def bind(self, name: str, binding, pos: tuple[int, int]) -> None:
        """The first binding of a name, in source order, says what the name is."""
        scope = self
        if self.kind in ("function", "comprehension"):
            if name in self.globals:
                scope = self.module.scope
            elif name in self.nonlocals:
                return
        old = scope.bindings.get(name)
        if old is None or pos < old[0]:
            scope.bindings[name] = (pos, binding)

    def get(self, name: str):
        entry = self.bindings.get(name)
        return None if entry is None else entry[1]


@dataclass(eq=False)
class _ClassInfo:
    definition: Definition
    # The scope the `class` statement is in: where its bases are looked up.
    outer: _Scope
    bases: list
    scope: _Scope | None = None


@dataclass(eq=False)
class _Module:
    name: str
    path: str
    page: Page
    lines: list[str]
    scope: _Scope | None = None
    # `(kind, node, scope)` of every place a name is read.
    sites: list = field(default_factory=list)


# Values of expressions, as far as the index can tell.

@dataclass(frozen=True)
class _ModuleValue:
    name: str


@dataclass(eq=False)
class _SuperValue:
    cls: _ClassInfo


# ## Collecting

def module_name(path: str, package: str) -> tuple[str, bool]:
    """`optimizers/adam.py` → `(package.optimizers.adam, False)`; `__init__.py` files are packages."""
    parts = path[:-3].split("/") if path.endswith(".py") else path.split("/")
    is_package = parts[-1] == "__init__"
    if is_package:
        parts = parts[:-1]
    parts = ([package] if package else []) + parts
    return ".".join(p for p in parts if p), is_package


def _char_col(line: str, byte_col: int) -> int:
    if line.isascii():
        return byte_col
    return len(line.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))


_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_HANDLED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.Assign,
            ast.AnnAssign, ast.Global, ast.Nonlocal, ast.Import, ast.ImportFrom, ast.Attribute,
            ast.NamedExpr, ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp,
            ast.ExceptHandler, ast.MatchAs, ast.MatchStar, ast.MatchMapping, ast.Constant)
_FIELDS: dict[type, tuple[str, ...]] = {}


def _child_fields(cls: type) -> tuple[str, ...]:
    """The fields of a node type that may hold nodes (not `ctx`)."""
    fields = _FIELDS.get(cls)
    if fields is None:
        fields = _FIELDS[cls] = tuple(f for f in cls._fields if f != "ctx")
    return fields


class _Collector:
    """One walk over a module's AST: scopes, bindings and the places names are read."""

    def __init__(self, module: _Module, is_package: bool, classes: dict):
        self.module = module
        self.is_package = is_package
        self.classes = classes

    def run(self, tree: ast.Module) -> None:
        module = self.module
        module.scope = _Scope("module", None, module, module.name)
        handlers = {cls: getattr(self, "_" + cls.__name__) for cls in _HANDLED}
        sites = module.sites
        load = ast.Load
        # An explicit stack: deep expressions must not hit the recursion limit.
        stack = [(tree, module.scope)]
        pop, push = stack.pop, stack.append
        while stack:
            node, scope = pop()
            cls = type(node)
            if cls is ast.Name:
                if type(node.ctx) is load:
                    sites.append(("name", node, scope))
                else:
                    scope.bind(node.id, _OPAQUE, (node.lineno, node.col_offset))
                continue
            handler = handlers.get(cls)
            if handler is not None:
                handler(node, scope, stack)
                continue
            for name in _child_fields(cls):
                value = getattr(node, name, None)
                if type(value) is list:
                    for item in value:
                        if isinstance(item, ast.AST):
                            push((item, scope))
                elif isinstance(value, ast.AST):
                    push((value, scope))

    # Definitions

    def _definition(self, scope: _Scope, name: str, line: int, kind: str):
        """A `_Def` at module or class level; elsewhere the name is local and opaque."""
        if scope.kind == "module":
            return _Def(Definition(f"{scope.qualname}.{name}" if scope.qualname else name,
                                   self.module.path, line, kind))
        if scope.kind == "class":
            member = {"function": "method", "variable": "attribute"}.get(kind, kind)
            return _Def(Definition(f"{scope.qualname}.{name}", self.module.path, line, member))
        return _OPAQUE

    def _FunctionDef(self, node, scope: _Scope, stack) -> None:
        scope.bind(node.name, self._definition(scope, node.name, node.lineno, "function"),
                   (node.lineno, node.col_offset))
        args = node.args
        outer = list(node.decorator_list) + list(args.defaults) + \
            [d for d in args.kw_defaults if d is not None]
        all_args = args.posonlyargs + args.args + args.kwonlyargs + \
            [a for a in (args.vararg, args.kwarg) if a is not None]
        outer += [a.annotation for a in all_args if a.annotation is not None]
        if node.returns is not None:
            outer.append(node.returns)
        stack.extend((n, scope) for n in outer)

        qualname = f"{scope.qualname}.{node.name}" if scope.kind != "function" else \
            f"{scope.qualname}.<locals>.{node.name}"
        inner = _Scope("function", scope, self.module, qualname, cls=scope.cls)
        self._declare(node.body, inner)
        positional = args.posonlyargs + args.args
        static = any(isinstance(d, ast.Name) and d.id == "staticmethod"
                     for d in node.decorator_list)
        for i, arg in enumerate(all_args):
            binding = _OPAQUE
            if i == 0 and positional and scope.kind == "class" and not static:
                binding = _Self(scope.cls)
            inner.bind(arg.arg, binding, (arg.lineno, arg.col_offset))
        stack.extend((n, inner) for n in node.body)

    _AsyncFunctionDef = _FunctionDef

    def _Lambda(self, node, scope: _Scope, stack) -> None:
        args = node.args
        stack.extend((d, scope) for d in list(args.defaults) +
                     [d for d in args.kw_defaults if d is not None])
        inner = _Scope("function", scope, self.module, f"{scope.qualname}.<lambda>", cls=scope.cls)
        for arg in args.posonlyargs + args.args + args.kwonlyargs + \
                [a for a in (args.vararg, args.kwarg) if a is not None]:
            inner.bind(arg.arg, _OPAQUE, (arg.lineno, arg.col_offset))
        stack.append((node.body, inner))

    def _declare(self, body, scope: _Scope) -> None:
        """`global` and `nonlocal` apply to the whole function, wherever they are written."""
        stack = list(body)
        while stack:
            node = stack.pop()
            if isinstance(node, ast.Global):
                scope.globals.update(node.names)
            elif isinstance(node, ast.Nonlocal):
                scope.nonlocals.update(node.names)
            elif not isinstance(node, (*_FUNCTIONS, ast.ClassDef, ast.Lambda)):
                stack.extend(c for c in ast.iter_child_nodes(node)
                             if isinstance(c, (ast.stmt, ast.excepthandler, ast.match_case)))

    def _ClassDef(self, node, scope: _Scope, stack) -> None:
        binding = self._definition(scope, node.name, node.lineno, "class")
        scope.bind(node.name, binding, (node.lineno, node.col_offset))
        if isinstance(binding, _Def):
            definition = binding.definition
        else:
            definition = Definition(f"{scope.qualname}.<locals>.{node.name}", self.module.path,
                                    node.lineno, "class")
        info = _ClassInfo(definition, scope, list(node.bases))
        info.scope = _Scope("class", scope, self.module, definition.qualname, cls=info)
        self.classes.setdefault(definition.qualname, info)
        stack.extend((n, scope) for n in
                     list(node.decorator_list) + list(node.bases) + list(node.keywords))
        stack.extend((n, info.scope) for n in node.body)

    def _assign_targets(self, target, scope: _Scope, stack, kind="variable") -> None:
        if isinstance(target, ast.Name):
            scope.bind(target.id, self._definition(scope, target.id, target.lineno, kind),
                       (target.lineno, target.col_offset))
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._assign_targets(element, scope, stack, kind)
        elif isinstance(target, ast.Starred):
            self._assign_targets(target.value, scope, stack, kind)
        else:
            stack.append((target, scope))

    def _Assign(self, node, scope: _Scope, stack) -> None:
        for target in node.targets:
            self._assign_targets(target, scope, stack)
        stack.append((node.value, scope))

    def _AnnAssign(self, node, scope: _Scope, stack) -> None:
        if isinstance(node.target, ast.Name) and node.simple:
            self._assign_targets(node.target, scope, stack)
        else:
            stack.append((node.target, scope))
        stack.append((node.annotation, scope))
        if node.value is not None:
            stack.append((node.value, scope))

    def _Global(self, node, scope: _Scope, stack) -> None:
        pass  # see `_declare`

    _Nonlocal = _Constant = _Global

    # Imports

    def _Import(self, node, scope: _Scope, stack) -> None:
        for alias in node.names:
            if alias.asname:
                scope.bind(alias.asname, _ModuleImport(alias.name),
                           (node.lineno, node.col_offset))
            else:
                top = alias.name.split(".")[0]
                scope.bind(top, _ModuleImport(top), (node.lineno, node.col_offset))

    def absolute(self, module: str | None, level: int) -> str | None:
        """The absolute name of a relative import's module."""
        if not level:
            return module
        parts = self.module.name.split(".") if self.module.name else []
        if not self.is_package:
            parts = parts[:-1]
        if level - 1 > len(parts):
            return None
        parts = parts[: len(parts) - (level - 1)]
        if module:
            parts.append(module)
        return ".".join(parts)

    def _ImportFrom(self, node, scope: _Scope, stack) -> None:
        module = self.absolute(node.module, node.level)
        for alias in node.names:
            if alias.name == "*":
                if module is not None:
                    scope.module.scope.star_imports.append(module)
                continue
            name = alias.asname or alias.name
            scope.bind(name, _FromImport(module, alias.name) if module is not None else _OPAQUE,
                       (node.lineno, node.col_offset))
            if module is not None:
                self.module.sites.append(("alias", alias, (module, alias.name)))

    # Names

    def _Attribute(self, node, scope: _Scope, stack) -> None:
        if isinstance(node.ctx, ast.Load):
            self.module.sites.append(("attr", node, scope))
        stack.append((node.value, scope))

    def _NamedExpr(self, node, scope: _Scope, stack) -> None:
        # The target of `:=` in a comprehension belongs to the enclosing function.
        target = scope
        while target.kind == "comprehension" and target.parent is not None:
            target = target.parent
        target.bind(node.target.id, _OPAQUE, (node.target.lineno, node.target.col_offset))
        stack.append((node.value, scope))

    def _comprehension_node(self, node, scope: _Scope, stack) -> None:
        inner = _Scope("comprehension", scope, self.module, scope.qualname, cls=scope.cls)
        for i, generator in enumerate(node.generators):
            # The first iterable is evaluated in the enclosing scope.
            stack.append((generator.iter, scope if i == 0 else inner))
            stack.append((generator.target, inner))
            stack.extend((condition, inner) for condition in generator.ifs)
        if isinstance(node, ast.DictComp):
            stack.extend([(node.key, inner), (node.value, inner)])
        else:
            stack.append((node.elt, inner))

    _ListComp = _SetComp = _GeneratorExp = _DictComp = _comprehension_node

    def _ExceptHandler(self, node, scope: _Scope, stack) -> None:
        if node.name:
            scope.bind(node.name, _OPAQUE, (node.lineno, node.col_offset))
        stack.extend((child, scope) for child in ast.iter_child_nodes(node))

    def _match_binding(self, node, scope: _Scope, stack) -> None:
        name = getattr(node, "name", None) or getattr(node, "rest", None)
        if name:
            scope.bind(name, _OPAQUE, (node.lineno, node.col_offset))
        stack.extend((child, scope) for child in ast.iter_child_nodes(node))

    _MatchAs = _MatchStar = _MatchMapping = _match_binding


# ## Resolving

class _Resolver:
    """Looks names up across the modules of the tree.

    Every answer is remembered with the files it was read from, so that a page's dependencies
    include the files its links go through (a re-exporting `__init__.py`, the base classes
    searched for a method), not only those they land in.
    """

    def __init__(self, load=None):
        self.modules: dict[str, _Module] = {}
        # Every module name and every package above one (namespace packages included).
        self.known: set[str] = set()
        self.classes: dict[str, _ClassInfo] = {}
        # The place in the tree's path order of the file each class comes from: when two
        # files define the same dotted name, the first one's class counts, whatever the order
        # the files were collected in.
        self._class_order: dict[str, int] = {}
        # `load(module name)`: collects the files of that module, for an index built lazily.
        self._load = load
        self._memo: dict = {}
        # What expressions (keyed by their syntax nodes) resolved to: only for the module being
        # resolved (`forget_nodes`), or the index would keep every file's syntax tree alive.
        self._node_memo: dict = {}
        # The files consulted by the look-ups in progress, innermost last.
        self._consulted: list[set[str]] = [set()]

    def add_classes(self, classes: dict, order: int) -> None:
        for qualname, info in classes.items():
            if qualname not in self.classes or order < self._class_order[qualname]:
                self.classes[qualname] = info
                self._class_order[qualname] = order

    def module(self, name: str) -> "_Module | None":
        if self._load is not None:
            self._load(name)
        return self.modules.get(name)

    def class_info(self, qualname: str) -> "_ClassInfo | None":
        """The class of a dotted name; lazily, every module that could define it is collected
        first (the modules named by the prefixes of the name)."""
        if self._load is not None:
            parts = qualname.split(".")
            for i in range(len(parts)):
                self._load(".".join(parts[:i]))
        return self.classes.get(qualname)

    def _remember(self, key, compute, pending=None):
        """`compute()`, memoised with the files it consulted; `pending` while it runs (cycles),
        and when look-ups nest deeper than `MAX_NESTING` (then nothing is remembered)."""
        memo = self._memo if isinstance(key, tuple) else self._node_memo
        known = memo.get(key)
        if known is not None:
            self._consulted[-1].update(known[1])
            return known[0]
        if len(self._consulted) > MAX_NESTING:
            return pending
        memo[key] = (pending, frozenset())
        self._consulted.append(set())
        try:
            value = compute()
        except BaseException:
            memo.pop(key, None)  # never computed: a later look-up must not take `pending`
            raise
        finally:
            files = frozenset(self._consulted.pop())
        memo[key] = (value, files)
        self._consulted[-1].update(files)
        return value

    def forget_nodes(self) -> None:
        """Drop what expressions resolved to, once a module's names are resolved: a later
        look-up of the same expression (a class's base) computes it again."""
        self._node_memo.clear()

    def track(self, compute):
        """`(compute(), the files it consulted)`."""
        self._consulted.append(set())
        try:
            value = compute()
        finally:
            files = self._consulted.pop()
        return value, files

    def binding_value(self, binding, depth: int):
        if isinstance(binding, _Def):
            return binding.definition
        if isinstance(binding, _FromImport):
            return self.module_attr(binding.module, binding.name, depth + 1)
        if isinstance(binding, _ModuleImport):
            return _ModuleValue(binding.module) if binding.module in self.known else None
        if isinstance(binding, _Self):
            return binding
        return None

    def module_attr(self, module: str, name: str, depth: int = 0):
        """What `module.name` is: a definition, a submodule, or `None`."""
        if depth > MAX_DEPTH:
            return None
        return self._remember(("module", module, name),
                              lambda: self._module_attr(module, name, depth))

    def _module_attr(self, module: str, name: str, depth: int):
        value = None
        found = self.module(module)
        if found is not None:
            self._consulted[-1].add(found.path)
            binding = found.scope.get(name)
            if binding is not None:
                value = self.binding_value(binding, depth)
            elif not name.startswith("_"):
                for star in found.scope.star_imports:
                    value = self.module_attr(star, name, depth + 1)
                    if value is not None:
                        break
        if value is None and f"{module}.{name}" in self.known:
            value = _ModuleValue(f"{module}.{name}")
        return value

    def lookup(self, scope: _Scope, name: str):
        """The binding a name read in `scope` refers to; `None` for builtins and unknowns."""
        first = True
        while scope is not None:
            if scope.kind == "module":
                binding = scope.get(name)
                if binding is None and not name.startswith("_"):
                    for star in scope.star_imports:
                        if self.module_attr(star, name) is not None:
                            return _FromImport(star, name)
                return binding
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

    def resolve(self, node, scope: _Scope, depth: int = 0):
        """What an expression is: a definition, a module, `self`, `super()`, or `None`."""
        if depth > MAX_DEPTH:
            return None
        # AST nodes hash by identity: the key keeps the node, and so its identity, alive.
        return self._remember(node, lambda: self._resolve(node, scope, depth))

    def _resolve(self, node, scope: _Scope, depth: int):
        if isinstance(node, ast.Name):
            binding = self.lookup(scope, node.id)
            return None if binding is None else self.binding_value(binding, 0)
        if isinstance(node, ast.Attribute):
            base = self.resolve(node.value, scope, depth + 1)
            return None if base is None else self.member(base, node.attr, depth + 1)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
                and node.func.id == "super" and self.lookup(scope, "super") is None:
            if not node.args and scope.cls is not None and scope.kind != "class":
                return _SuperValue(scope.cls)
            if len(node.args) == 2:
                first = self.resolve(node.args[0], scope, depth + 1)
                if isinstance(first, Definition):
                    info = self.class_info(first.qualname)
                    if info is not None:
                        return _SuperValue(info)
        return None

    def member(self, base, attr: str, depth: int):
        if isinstance(base, _ModuleValue):
            return self.module_attr(base.name, attr, depth)
        if isinstance(base, Definition):
            info = self.class_info(base.qualname) if base.kind == "class" else None
            return None if info is None else self._class_member(self.mro(info), attr, depth)
        if isinstance(base, _Self):
            return self._class_member(self.mro(base.cls), attr, depth)
        if isinstance(base, _SuperValue):
            return self._class_member(self.mro(base.cls)[1:], attr, depth)
        return None

    def _class_member(self, mro: list[_ClassInfo], attr: str, depth: int):
        for info in mro:
            binding = info.scope.get(attr)
            if binding is not None:
                value = self.binding_value(binding, depth)
                return value if isinstance(value, (Definition, _ModuleValue)) else None
        return None

    def mro(self, info: _ClassInfo) -> list[_ClassInfo]:
        """The class and its bases that are in the tree, in Python's method resolution order.

        The orders of its ancestors are computed first, each after its own bases, from a stack
        of ours: each then finds those of its bases known, and a chain of a thousand classes does
        not reach Python's recursion limit. (C3 gives one order whatever the order of work.)
        """
        for ancestor in self._ancestors_first(info):
            self._mro_of(ancestor)
        return self._mro_of(info)

    def _mro_of(self, info: _ClassInfo) -> list[_ClassInfo]:
        # A class that inherits from itself stops at itself.
        return self._remember(("mro", info.definition.qualname), lambda: self._mro(info), [info])

    def _mro(self, info: _ClassInfo) -> list[_ClassInfo]:
        self._consulted[-1].add(info.definition.path)
        bases = self._bases(info)
        if len(bases) == 1:  # what C3 gives, in time linear rather than square in its length
            return [info] + self._mro_of(bases[0])
        return [info] + _c3([self._mro_of(b) for b in bases] + [bases])

    def _bases(self, info: _ClassInfo) -> list[_ClassInfo]:
        """The bases of a class that are in the tree, once each, in order."""
        bases = []
        for expr in info.bases:
            value = self.resolve(expr, info.outer)
            base = self.class_info(value.qualname) if isinstance(value, Definition) else None
            if base is not None and base is not info and base not in bases:
                bases.append(base)
        return bases

    def _ancestors_first(self, info: _ClassInfo) -> list[_ClassInfo]:
        """The ancestors of `info` whose order is not known yet, each after its bases."""
        order: list[_ClassInfo] = []
        seen = {id(info)}
        stack = [(info, iter(self._bases(info)))]
        while stack:
            current, bases = stack[-1]
            for base in bases:
                if id(base) not in seen and ("mro", base.definition.qualname) not in self._memo:
                    seen.add(id(base))
                    stack.append((base, iter(self._bases(base))))
                    break
            else:
                stack.pop()
                if current is not info:
                    order.append(current)
        return order

    def targets(self, module: _Module) -> dict[tuple[int, int], Definition]:
        """`(line, column)` → definition, for every name of the module that has one."""
        lines = module.lines
        found: dict[tuple[int, int], Definition] = {}
        for kind, node, extra in module.sites:
            if kind == "alias":
                value = self.module_attr(*extra)
                name, line, byte_col = node.name, node.lineno, node.col_offset
            elif kind == "name":
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
                col = _char_col(text, node.end_col_offset) - len(name)
            else:
                col = _char_col(text, byte_col)
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


# ## The index

class XrefIndex:
    """The definitions of a tree, and the links of each of its pages.

    Built once per build, over every Python page of the tree; everything a page needs is
    computed then, so the index is plain data: it pickles, for worker processes.
    """

    def __init__(self, package: str):
        self.package = package
        # Path → the page's source, its targets, and the other files its links depend on.
        self._sources: dict[str, str] = {}
        self._targets: dict[str, dict[tuple[int, int], Definition]] = {}
        self._dependencies: dict[str, frozenset[str]] = {}
        self._definitions: dict[str, Definition] = {}
        # Path → {line → section index}, and the first lines of the sections with code.
        self._section_lines: dict[str, dict[int, int]] = {}
        self._section_starts: dict[str, list[tuple[int, int]]] = {}
        self._links: dict[str, Links] = {}
        # The look-up machinery, kept for `lookup` in the process that built the index.
        self._resolver: _Resolver | None = None
        # Lazily built (`lazy`): module name → its files not collected yet; else `None`.
        self._by_name: dict[str, list[str]] | None = None

    def __getstate__(self):
        if self._is_lazy:
            raise TypeError("a lazy index does not pickle: use XrefIndex.build")
        state = dict(self.__dict__)
        state["_resolver"] = None
        state.pop("_imports", None)
        return state

    @classmethod
    def build(cls, pages: Iterable[Page], package: str | None = None,
              source_dir: str | None = None) -> "XrefIndex":
        """Index the Python pages of a tree.

        `package` is the tree's top package name (`labml_nn`): `optimizers/adam.py` is the module
        `labml_nn.optimizers.adam`. By default it is the name the tree's own absolute imports
        use, else the name of `source_dir`, else none (modules are named by their paths).
        """
        # The collector makes many small objects while the trees are alive: the cyclic garbage
        # collector would scan the trees again and again for nothing.
        enabled = gc.isenabled()
        gc.disable()
        try:
            return cls._build(pages, package, source_dir)
        finally:
            if enabled:
                gc.enable()

    @classmethod
    def _build(cls, pages: Iterable[Page], package: str | None,
               source_dir: str | None) -> "XrefIndex":
        pages = sorted((p for p in pages if p.language == "python" and p.path.endswith(".py")),
                       key=lambda p: p.path)
        parsed = []
        for page in pages:
            tree = _parse(page)
            if tree is not None:
                parsed.append((page, tree))
        imports = {p.path: _imported_names(t) for p, t in parsed}
        if package is None:
            package = _package_of([p.path for p, _ in parsed], list(imports.values()), source_dir)
        index = cls(package)
        # What `FileSummaries` keeps, for the lazy indexes of later builds.
        index._imports = imports
        index._resolver = _Resolver()
        index._add_known([p.path for p, _ in parsed])
        modules = [index._collect(page, tree, order) for order, (page, tree) in enumerate(parsed)]
        for module in modules:
            index._resolve_targets(module)
        index._definitions = index._find_definitions(modules)
        return index

    @classmethod
    def lazy(cls, paths: list[str], package: str, load) -> "XrefIndex":
        """An index that reads, collects and resolves a file only when a page needs it.

        `paths` are the tree's Python files that parse, `load(path) -> Page | None` reads one.
        The links and dependencies of a page are the same as those of `build` over the whole
        tree; a build that renders a few pages reads a few files rather than all of them.
        It does not pickle: a worker process gets one by being forked.
        """
        index = cls(package)
        paths = sorted(paths)
        index._order = {path: n for n, path in enumerate(paths)}
        index._by_name = {}
        for path in paths:
            index._by_name.setdefault(module_name(path, package)[0], []).append(path)
        index._load_page = load
        index._pages = {}
        index._modules = {}
        index._resolver = _Resolver(index._load_module)
        index._add_known(paths)
        return index

    def _add_known(self, paths: list[str]) -> None:
        for path in paths:
            parts = module_name(path, self.package)[0].split(".")
            self._resolver.known.update(".".join(parts[: i + 1]) for i in range(len(parts))
                                        if parts[0])

    def _collect(self, page: Page, tree: ast.Module, order: int) -> _Module:
        resolver = self._resolver
        name, is_package = module_name(page.path, self.package)
        module = _Module(name, page.path, page, page.source.split("\n"))
        classes: dict[str, _ClassInfo] = {}
        _Collector(module, is_package, classes).run(tree)
        resolver.add_classes(classes, order)
        resolver.modules.setdefault(name, module)
        self._index_sections(page)
        self._sources[page.path] = page.source
        return module

    def _resolve_targets(self, module: _Module) -> None:
        resolver = self._resolver
        targets, consulted = resolver.track(lambda: resolver.targets(module))
        self._targets[module.path] = targets
        files = consulted | {d.path for d in targets.values()}
        self._dependencies[module.path] = frozenset(files - {module.path})
        # The ASTs are not needed any more.
        module.sites = []
        resolver.forget_nodes()

    def _find_definitions(self, modules) -> dict[str, Definition]:
        found: dict[str, Definition] = {}
        classes = self._resolver.classes.values()
        for scope in [m.scope for m in modules] + [c.scope for c in classes]:
            for _, binding in scope.bindings.values():
                if isinstance(binding, _Def):
                    found.setdefault(binding.definition.qualname, binding.definition)
        return dict(sorted(found.items()))

    # ### Lazily

    @property
    def _is_lazy(self) -> bool:
        return getattr(self, "_by_name", None) is not None

    def _page(self, path: str) -> Page | None:
        """The page of a file of the tree (lazily: read when first asked for)."""
        if path not in self._pages:
            self._pages[path] = self._load_page(path) if path in self._order else None
        return self._pages[path]

    def _load_module(self, name: str) -> None:
        """Collect every file of the module `name` (the first one in path order answers)."""
        paths = self._by_name.pop(name, None)
        if paths is None:
            return
        for path in paths:
            page = self._page(path)
            tree = _parse(page) if page is not None else None
            if tree is not None:
                self._modules[path] = self._collect(page, tree, self._order[path])

    def _ensure(self, page: Page) -> None:
        """Lazily: collect and resolve the page's file, if it is one of the tree."""
        if not self._is_lazy or page.path in self._targets or page.path not in self._order:
            return
        # The page the build has just parsed is the one the index would read.
        self._pages.setdefault(page.path, page)
        self._load_module(module_name(page.path, self.package)[0])
        module = self._modules.get(page.path)
        if module is not None:
            self._resolve_targets(module)

    def _ensure_sections(self, path: str) -> None:
        if self._is_lazy and path not in self._section_lines:
            page = self._page(path)
            if page is not None:
                self._index_sections(page)

    # ### Sections

    def _index_sections(self, page: Page) -> None:
        lines: dict[int, int] = {}
        starts: list[tuple[int, int]] = []
        for i, section in enumerate(page.sections):
            if section.code:
                starts.append((section.code[0][0], i))
            for lineno, _ in section.code:
                lines.setdefault(lineno, i)
        self._section_lines[page.path] = lines
        self._section_starts[page.path] = starts

    def section_of(self, path: str, line: int) -> int | None:
        """The section showing `line`, else the next section with code, else the last one."""
        self._ensure_sections(path)
        found = self._section_lines.get(path, {}).get(line)
        if found is not None:
            return found
        starts = self._section_starts.get(path, [])
        for first, i in starts:
            if first > line:
                return i
        return starts[-1][1] if starts else None

    def href(self, definition: Definition, from_path: str | None = None) -> str | None:
        """The address of a definition, relative to the page of `from_path` if given."""
        section = self.section_of(definition.path, definition.line)
        if section is None:
            return None
        if from_path == definition.path:
            return f"#section-{section}"
        target = page_url(definition.path)
        if from_path is not None:
            here = posixpath.dirname(page_url(from_path)) or "."
            target = posixpath.relpath(target, here)
        return f"{target}#section-{section}"

    # ### Definitions

    def definitions(self) -> dict[str, Definition]:
        """Every definition of the tree by its dotted name."""
        if self._is_lazy:
            for name in list(self._by_name):
                self._load_module(name)
            modules = [self._modules[p] for p in sorted(self._modules, key=self._order.get)]
            self._definitions = self._find_definitions(modules)
        return dict(self._definitions)

    def lookup(self, dotted: str) -> Definition | None:
        """The definition a dotted name (`labml_nn.optimizers.Adam`) refers to, if any.

        Only in the process that built the index (the look-up machinery is not pickled).
        """
        resolver = self._resolver
        if resolver is None:
            raise RuntimeError("lookup() needs the index in the process that built it")
        parts = dotted.split(".")
        for i in range(len(parts), 0, -1):
            if ".".join(parts[:i]) in resolver.known:
                value = _ModuleValue(".".join(parts[:i]))
                break
        else:
            return None
        for attr in parts[i:]:
            value = resolver.member(value, attr, 0)
            if value is None:
                return None
        return value if isinstance(value, Definition) else None

    # ### Links of a page

    def _indexed(self, page: Page) -> bool:
        """Only the text that was indexed gets links: positions of another text would be wrong."""
        self._ensure(page)
        return self._sources.get(page.path) == page.source

    def targets(self, page: Page) -> dict[tuple[int, int], Definition]:
        """`(line, column)` → the definition, for every linked name of the page."""
        return dict(self._targets[page.path]) if self._indexed(page) else {}

    def links_for(self, page: Page) -> Links:
        """`(line, column)` → href relative to the page, for every name with a definition."""
        if not self._indexed(page):
            return {}
        if page.path not in self._links:
            links: Links = {}
            for position, definition in self._targets[page.path].items():
                href = self.href(definition, page.path)
                if href is not None:
                    links[position] = href
            self._links[page.path] = links
        return dict(self._links[page.path])

    def linked_files(self, page: Page) -> set[str]:
        """The other files whose definitions the page links to."""
        if not self._indexed(page):
            return set()
        return {d.path for d in self._targets[page.path].values() if d.path != page.path}

    def dependencies(self, page: Page) -> set[str]:
        """The other files a change to which may change the page's links.

        The files its links land in, and also those they were resolved through: a re-exporting
        `__init__.py`, a module whose names the page imports (a name defined there later becomes
        a link), the files of the base classes searched for `self.method`.
        """
        return set(self._dependencies.get(page.path, ())) if self._indexed(page) else set()

    def fingerprint(self, page: Page) -> str:
        """A stable hash of the page's links: equal fingerprints, equal links."""
        digest = hashlib.sha256()
        for (line, col), href in sorted(self.links_for(page).items()):
            digest.update(f"{line}:{col}:{href}\n".encode("utf-8"))
        return digest.hexdigest()


def index_files(files, package: str | None = None, source_dir=None, *, lazy: bool = False,
                digests: dict[str, str] | None = None, cache_dir=None,
                sections: str = "labml") -> XrefIndex:
    """The index of a build's files (`SourceFile`s: `.path`, `.absolute`, `.kind`).

    For `Builder.xref_factory`: reads and parses every Python file of the tree, since the links
    of one page depend on the others. A file that cannot be read or parsed has no definitions.

    `lazy`: an index (`XrefIndex.lazy`) that reads only the files the pages asked about need.
    What it must know of every file (whether it parses, and what it imports, for the package
    name) is kept in `cache_dir` by the file's sha256 (`digests`: path → sha256).
    """
    python = [f for f in files
              if getattr(f, "kind", "python") == "python" and f.path.endswith(".py")]
    if not lazy:
        pages, summaries, shas = [], FileSummaries(cache_dir), {}
        for file in python:
            page = _read_page(file, shas, sections)
            if page is not None:
                pages.append(page)
        index = XrefIndex.build(pages, package, source_dir)
        # What a lazy index of the next builds will ask about every file, while it is known.
        for file in python:
            digest = (digests or {}).get(file.path)
            if digest is not None and shas.get(file.path) == digest:
                summaries.new[digest] = index._imports.get(file.path)
        summaries.save()
        return index
    by_path = {f.path: f for f in python}
    summaries = FileSummaries(cache_dir)
    paths, imports = [], []
    for file in sorted(python, key=lambda f: f.path):
        summary = summaries.get(file, (digests or {}).get(file.path))
        if summary is not None:
            paths.append(file.path)
            imports.append(summary)
    summaries.save()
    if package is None:
        package = _package_of(paths, imports, source_dir)
    return XrefIndex.lazy(paths, package, lambda path: _read_page(by_path[path], None, sections))


def _read_page(file, shas: dict | None = None, sections: str = "labml") -> Page | None:
    """The page of a file (`None` if it cannot be decoded, as the page builder decodes it:
    `page.read_source`); `shas` gets the sha256 of the bytes read."""
    from .page import read_source
    from .parse import parse_python

    try:
        data = file.absolute.read_bytes()
    except OSError:
        return None
    if shas is not None:
        from .manifest import sha256
        shas[file.path] = sha256(data)
    text, _ = read_source(file.path, data)
    return parse_python(text, file.path, sections) if text is not None else None


class FileSummaries:
    """What the lazy index must know of every file, by the sha256 of its bytes: `None` when it
    cannot be read as Python or does not parse, else the modules it imports absolutely.

    Kept in `CACHE_DIR/xref/files.json` (for the current files only), per Python version: what
    parses depends on it. Format 2: files are decoded as Python decodes them (format 1 said
    `None` of a file that declares latin-1, and its importers lost their links to it)."""

    FORMAT = 2

    def __init__(self, cache_dir=None):
        import sys
        self.path = Path(cache_dir) / "xref" / "files.json" if cache_dir is not None else None
        self.python = "%d.%d" % sys.version_info[:2]
        self.old: dict = {}
        self.new: dict = {}
        self.misses = 0
        if self.path is not None:
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
                if data.get("format") == self.FORMAT and data.get("python") == self.python \
                        and isinstance(data.get("files"), dict):
                    self.old = data["files"]
            except (OSError, ValueError, AttributeError):
                pass

    def get(self, file, digest: str | None) -> list[str] | None:
        if digest is not None and digest in self.old:
            value = self.old[digest]
            if value is None or (isinstance(value, list)
                                 and all(isinstance(n, str) for n in value)):
                self.new[digest] = value
                return value
        self.misses += 1
        try:
            data = file.absolute.read_bytes()
        except OSError:
            return None  # not in the tree's files; nothing to remember
        from .manifest import sha256
        from .page import read_source

        if digest is None or sha256(data) != digest:
            digest = None  # changed since it was hashed: answer, but do not remember
        text, _ = read_source(file.path, data)
        tree = _parse(Page(file.path, source=text)) if text is not None else None
        value = None if tree is None else _imported_names(tree)
        if digest is not None:
            self.new[digest] = value
        return value

    def save(self) -> None:
        if self.path is None or self.new == self.old:
            return
        from .manifest import write_atomic
        body = json.dumps({"format": self.FORMAT, "python": self.python, "files": self.new},
                          separators=(",", ":"), sort_keys=True)
        try:
            write_atomic(self.path, body.encode("utf-8"))
        except OSError:
            pass


def _c3(sequences: list[list]) -> list:
    """C3 linearisation; when the bases cannot be ordered, depth-first order instead."""
    sequences = [list(s) for s in sequences if s]
    result = []
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


def infer_package(paths: list[str], trees: list[ast.Module]) -> str:
    """The tree's top package name, from its absolute imports of its own modules.

    `from labml_nn.optimizers.adam import Adam` in a tree holding `optimizers/adam.py` votes for
    `labml_nn`; in a tree holding `labml_nn/optimizers/adam.py`, for no prefix at all.
    """
    return _vote(paths, [_imported_names(tree) for tree in trees])


def _imported_names(tree: ast.Module) -> list[str]:
    """The modules a file imports absolutely (imports are statements: expressions are skipped)."""
    names: list[str] = []
    for node in statements(tree.body):
        if isinstance(node, ast.ImportFrom):
            if not node.level and node.module:
                names.append(node.module)
        elif isinstance(node, ast.Import):
            names.extend(a.name for a in node.names)
    return sorted(names)


def _vote(paths: list[str], imports: list[list[str]]) -> str:
    modules = set()
    for path in paths:
        name, _ = module_name(path, "")
        if name:
            modules.add(name)
    votes: dict[str, int] = {}
    for names in imports:
        for name in names:
            if name in modules:
                votes[""] = votes.get("", 0) + 1
            head, _, rest = name.partition(".")
            if rest in modules:
                votes[head] = votes.get(head, 0) + 1
    if not votes:
        return ""
    return max(sorted(votes), key=lambda k: votes[k])


def _package_of(paths: list[str], imports: list[list[str]], source_dir) -> str:
    package = _vote(paths, imports)
    if not package and source_dir:
        package = posixpath.basename(str(source_dir).replace("\\", "/").rstrip("/"))
    return package


def _parse(page: Page) -> ast.Module | None:
    """The syntax tree of a page, or `None` when Python cannot parse it (a syntax error, or an
    expression nested too deeply: see `parse.parse_syntax`); such a file has no definitions."""
    # The parser's tree of the page, when it lent one: taken once, so that it is not kept.
    tree = page.__dict__.pop("syntax_tree", None)
    if tree is not None:
        return tree
    try:
        return parse_syntax(page.source, page.path)
    except (SyntaxError, ValueError):
        return None


__all__ = ["XrefIndex", "Definition", "Links", "index_files", "module_name", "infer_package"]
