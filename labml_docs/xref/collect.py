"""
# Collecting: scopes, bindings and the places names are read

The first of the index's two passes over a file. One walk over its syntax tree records its
*scopes* (module, classes, functions, lambdas, comprehensions), what each scope binds
(definitions, imports, parameters, local variables), and every place a name is read. Nothing is
looked up here: a name's meaning may depend on files not read yet, so the walk only writes down
what the file says, and [`resolve`](resolve.py) answers questions about it later.

A binding is the *first* one of a name in its scope, in source order: `x = 1` then `x = f()`
says that `x` is the module's variable defined on the first line.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from ..parse import Page, parse_syntax


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


# ## Bindings

class Opaque:
    """A binding we cannot follow: a local variable, a loop target, a parameter."""
    __slots__ = ()


OPAQUE = Opaque()


@dataclass(frozen=True)
class Def:
    """A definition at module or class level."""
    definition: Definition


@dataclass(frozen=True)
class FromImport:
    """`from module import name`."""
    module: str
    name: str


@dataclass(frozen=True)
class ModuleImport:
    """`import a.b` (binds `a`) or `import a.b as c` (binds `c` to `a.b`)."""
    module: str


@dataclass(eq=False)
class SelfParam:
    """The first parameter of a method: an instance (or the class) of `cls`."""
    cls: ClassInfo


Binding = Opaque | Def | FromImport | ModuleImport | SelfParam
# A place a name is read: `("name", ast.Name, Scope)`, `("attr", ast.Attribute, Scope)` (the
# attribute's name), or `("alias", ast.alias, (module, name))` (a name of `from m import name`).
Site = tuple[str, Any, Any]


# ## Scopes

@dataclass(eq=False)
class Scope:
    kind: str  # module, class, function or comprehension
    parent: Scope | None
    module: ModuleInfo
    qualname: str
    # The class whose body this scope is, or whose method (or a function in it) it is.
    cls: ClassInfo | None = None
    # Name → (position of the first binding, binding).
    bindings: dict[str, tuple[tuple[int, int], Binding]] = field(default_factory=dict)
    globals: set[str] = field(default_factory=set)
    nonlocals: set[str] = field(default_factory=set)
    # The modules of `from m import *` (in the module's scope only).
    star_imports: list[str] = field(default_factory=list)

    def bind(self, name: str, binding: Binding, pos: tuple[int, int]) -> None:
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

    def get(self, name: str) -> Binding | None:
        entry = self.bindings.get(name)
        return None if entry is None else entry[1]


@dataclass(eq=False)
class ClassInfo:
    definition: Definition
    # The scope the `class` statement is in: where its bases are looked up.
    outer: Scope
    bases: list[ast.expr]
    # The class body's scope.
    scope: Scope = field(init=False)

    def __post_init__(self) -> None:
        self.scope = Scope("class", self.outer, self.outer.module, self.definition.qualname,
                           cls=self)


@dataclass(eq=False)
class ModuleInfo:
    """What the walk learnt of one file."""
    name: str
    path: str
    lines: list[str]
    scope: Scope = field(init=False)
    # Every place a name is read, dropped once the module's names are resolved (they hold the
    # syntax tree).
    sites: list[Site] = field(default_factory=list)
    # The fact "anything of this file" (see `resolve.Fact`), made once.
    file_fact: tuple[str, str, str, str] = field(init=False)

    def __post_init__(self) -> None:
        self.scope = Scope("module", None, self, self.name)
        self.file_fact = (self.path, "file", "", "")


def syntax_tree(page: Page) -> ast.Module | None:
    """The syntax tree of a page, or `None` when Python cannot parse it (a syntax error, or an
    expression nested too deeply: see `parse.parse_syntax`); such a file has no definitions."""
    # The parser's tree of the page, when it lent one: taken once, so that it is not kept.
    tree: ast.Module | None = page.__dict__.pop("syntax_tree", None)
    if tree is not None:
        return tree
    try:
        return parse_syntax(page.source, page.path)
    except (SyntaxError, ValueError):
        return None


def collect(tree: ast.Module, name: str, path: str, lines: list[str],
            is_package: bool) -> tuple[ModuleInfo, dict[str, ClassInfo]]:
    """The scopes and read names of the module `name` (the file `path`, whose text is `lines`),
    and its classes by dotted name (nested ones too)."""
    module = ModuleInfo(name, path, lines)
    classes: dict[str, ClassInfo] = {}
    _Collector(module, is_package, classes).run(tree)
    return module, classes


# ## The walk

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_HANDLED = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef, ast.Assign,
            ast.AnnAssign, ast.Global, ast.Nonlocal, ast.Import, ast.ImportFrom, ast.Attribute,
            ast.NamedExpr, ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp,
            ast.ExceptHandler, ast.MatchAs, ast.MatchStar, ast.MatchMapping, ast.Constant)
_FIELDS: dict[type, tuple[str, ...]] = {}

# The nodes still to visit, each with the scope it is read in. (Typed `Any`: the walk dispatches
# on the node's exact class, which a type checker cannot follow.)
_Stack = list[tuple[Any, Scope]]


def _child_fields(cls: type[ast.AST]) -> tuple[str, ...]:
    """The fields of a node type that may hold nodes (not `ctx`)."""
    fields = _FIELDS.get(cls)
    if fields is None:
        fields = _FIELDS[cls] = tuple(f for f in cls._fields if f != "ctx")
    return fields


class _Collector:
    """One walk over a module's AST: scopes, bindings and the places names are read."""

    def __init__(self, module: ModuleInfo, is_package: bool, classes: dict[str, ClassInfo]):
        self.module = module
        self.is_package = is_package
        self.classes = classes

    def run(self, tree: ast.Module) -> None:
        module = self.module
        handlers = {cls: getattr(self, "_" + cls.__name__) for cls in _HANDLED}
        sites = module.sites
        load = ast.Load
        # An explicit stack: deep expressions must not hit the recursion limit.
        stack: _Stack = [(tree, module.scope)]
        pop, push = stack.pop, stack.append
        while stack:
            node, scope = pop()
            cls = type(node)
            if cls is ast.Name:
                if type(node.ctx) is load:
                    sites.append(("name", node, scope))
                else:
                    scope.bind(node.id, OPAQUE, (node.lineno, node.col_offset))
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

    # ### Definitions

    def _definition(self, scope: Scope, name: str, line: int, kind: str) -> Binding:
        """A `Def` at module or class level; elsewhere the name is local and opaque."""
        if scope.kind == "module":
            return Def(Definition(f"{scope.qualname}.{name}" if scope.qualname else name,
                                  self.module.path, line, kind))
        if scope.kind == "class":
            member = {"function": "method", "variable": "attribute"}.get(kind, kind)
            return Def(Definition(f"{scope.qualname}.{name}", self.module.path, line, member))
        return OPAQUE

    def _FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef, scope: Scope,
                     stack: _Stack) -> None:
        scope.bind(node.name, self._definition(scope, node.name, node.lineno, "function"),
                   (node.lineno, node.col_offset))
        args = node.args
        outer: list[ast.expr] = list(node.decorator_list) + list(args.defaults) + \
            [d for d in args.kw_defaults if d is not None]
        all_args = args.posonlyargs + args.args + args.kwonlyargs + \
            [a for a in (args.vararg, args.kwarg) if a is not None]
        outer += [a.annotation for a in all_args if a.annotation is not None]
        if node.returns is not None:
            outer.append(node.returns)
        stack.extend((n, scope) for n in outer)

        qualname = f"{scope.qualname}.{node.name}" if scope.kind != "function" else \
            f"{scope.qualname}.<locals>.{node.name}"
        inner = Scope("function", scope, self.module, qualname, cls=scope.cls)
        self._declare(node.body, inner)
        positional = args.posonlyargs + args.args
        static = any(isinstance(d, ast.Name) and d.id == "staticmethod"
                     for d in node.decorator_list)
        for i, arg in enumerate(all_args):
            binding: Binding = OPAQUE
            if i == 0 and positional and scope.kind == "class" and not static:
                assert scope.cls is not None  # a class body's scope has its class
                binding = SelfParam(scope.cls)
            inner.bind(arg.arg, binding, (arg.lineno, arg.col_offset))
        stack.extend((n, inner) for n in node.body)

    _AsyncFunctionDef = _FunctionDef

    def _Lambda(self, node: ast.Lambda, scope: Scope, stack: _Stack) -> None:
        args = node.args
        stack.extend((d, scope) for d in list(args.defaults) +
                     [d for d in args.kw_defaults if d is not None])
        inner = Scope("function", scope, self.module, f"{scope.qualname}.<lambda>", cls=scope.cls)
        for arg in args.posonlyargs + args.args + args.kwonlyargs + \
                [a for a in (args.vararg, args.kwarg) if a is not None]:
            inner.bind(arg.arg, OPAQUE, (arg.lineno, arg.col_offset))
        stack.append((node.body, inner))

    def _declare(self, body: list[ast.stmt], scope: Scope) -> None:
        """`global` and `nonlocal` apply to the whole function, wherever they are written."""
        stack: list[ast.AST] = list(body)
        while stack:
            node = stack.pop()
            if isinstance(node, ast.Global):
                scope.globals.update(node.names)
            elif isinstance(node, ast.Nonlocal):
                scope.nonlocals.update(node.names)
            elif not isinstance(node, (*_FUNCTIONS, ast.ClassDef, ast.Lambda)):
                stack.extend(c for c in ast.iter_child_nodes(node)
                             if isinstance(c, (ast.stmt, ast.excepthandler, ast.match_case)))

    def _ClassDef(self, node: ast.ClassDef, scope: Scope, stack: _Stack) -> None:
        binding = self._definition(scope, node.name, node.lineno, "class")
        scope.bind(node.name, binding, (node.lineno, node.col_offset))
        if isinstance(binding, Def):
            definition = binding.definition
        else:
            definition = Definition(f"{scope.qualname}.<locals>.{node.name}", self.module.path,
                                    node.lineno, "class")
        info = ClassInfo(definition, scope, list(node.bases))
        self.classes.setdefault(definition.qualname, info)
        stack.extend((n, scope) for n in
                     list(node.decorator_list) + list(node.bases) + list(node.keywords))
        stack.extend((n, info.scope) for n in node.body)

    def _assign_targets(self, target: ast.expr, scope: Scope, stack: _Stack,
                        kind: str = "variable") -> None:
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

    def _Assign(self, node: ast.Assign, scope: Scope, stack: _Stack) -> None:
        for target in node.targets:
            self._assign_targets(target, scope, stack)
        stack.append((node.value, scope))

    def _AnnAssign(self, node: ast.AnnAssign, scope: Scope, stack: _Stack) -> None:
        if isinstance(node.target, ast.Name) and node.simple:
            self._assign_targets(node.target, scope, stack)
        else:
            stack.append((node.target, scope))
        stack.append((node.annotation, scope))
        if node.value is not None:
            stack.append((node.value, scope))

    def _Global(self, node: ast.AST, scope: Scope, stack: _Stack) -> None:
        pass  # see `_declare`

    _Nonlocal = _Constant = _Global

    # ### Imports

    def _Import(self, node: ast.Import, scope: Scope, stack: _Stack) -> None:
        for alias in node.names:
            if alias.asname:
                scope.bind(alias.asname, ModuleImport(alias.name),
                           (node.lineno, node.col_offset))
            else:
                top = alias.name.split(".")[0]
                scope.bind(top, ModuleImport(top), (node.lineno, node.col_offset))

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

    def _ImportFrom(self, node: ast.ImportFrom, scope: Scope, stack: _Stack) -> None:
        module = self.absolute(node.module, node.level)
        for alias in node.names:
            if alias.name == "*":
                if module is not None:
                    scope.module.scope.star_imports.append(module)
                continue
            name = alias.asname or alias.name
            scope.bind(name, FromImport(module, alias.name) if module is not None else OPAQUE,
                       (node.lineno, node.col_offset))
            if module is not None:
                self.module.sites.append(("alias", alias, (module, alias.name)))

    # ### Names

    def _Attribute(self, node: ast.Attribute, scope: Scope, stack: _Stack) -> None:
        if isinstance(node.ctx, ast.Load):
            self.module.sites.append(("attr", node, scope))
        stack.append((node.value, scope))

    def _NamedExpr(self, node: ast.NamedExpr, scope: Scope, stack: _Stack) -> None:
        # The target of `:=` in a comprehension belongs to the enclosing function.
        target = scope
        while target.kind == "comprehension" and target.parent is not None:
            target = target.parent
        target.bind(node.target.id, OPAQUE, (node.target.lineno, node.target.col_offset))
        stack.append((node.value, scope))

    def _comprehension_node(self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp |
                            ast.DictComp, scope: Scope, stack: _Stack) -> None:
        inner = Scope("comprehension", scope, self.module, scope.qualname, cls=scope.cls)
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

    def _ExceptHandler(self, node: ast.ExceptHandler, scope: Scope, stack: _Stack) -> None:
        if node.name:
            scope.bind(node.name, OPAQUE, (node.lineno, node.col_offset))
        stack.extend((child, scope) for child in ast.iter_child_nodes(node))

    def _match_binding(self, node: ast.MatchAs | ast.MatchStar | ast.MatchMapping,
                       scope: Scope, stack: _Stack) -> None:
        name = getattr(node, "name", None) or getattr(node, "rest", None)
        if name:
            scope.bind(name, OPAQUE, (node.lineno, node.col_offset))
        stack.extend((child, scope) for child in ast.iter_child_nodes(node))

    _MatchAs = _MatchStar = _MatchMapping = _match_binding


__all__ = ["OPAQUE", "Binding", "ClassInfo", "Def", "Definition", "FromImport", "ModuleImport",
           "ModuleInfo", "Opaque", "Scope", "SelfParam", "Site", "collect", "syntax_tree"]
