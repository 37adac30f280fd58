"""Static audit of a student's solution cell: does it reach for the test machinery?

Student code runs in the same kernel as the tests, so anything the kernel can do, it can do:
no-op ``numpy.testing``, hand back objects that equal everything, or hook IPython so that
later test cells never run. The sandbox stops a kernel from touching anything outside itself;
this audit stops a solution from touching the tests inside it. It runs in the grader, on the
cell's text, before anything executes, so no student code can reach it.

The rule is an allow-by-default list of the *capabilities* a tamper needs, none of which a
solution to these exercises needs:

- introspection and dynamic code: ``get_ipython`` (beyond a few harmless magics), ``exec``,
  ``eval``, ``compile``, ``__import__``, ``globals``, ``locals``, ``vars``, ``setattr``,
  ``delattr``, ``getattr`` with a computed or dunder name, ``type`` with three arguments;
- the modules that reach the interpreter, the kernel or other objects' insides (``sys``,
  ``builtins``, ``ctypes``, ``gc``, ``inspect``, ``importlib``, ``IPython``, ``unittest``
  (``mock.ANY`` equals everything), ``types``, ``pickle``, ...);
- dunder attributes and dunder strings (``x.__dict__``, ``"__eq__"``), and defining any dunder
  method other than ``__init__``, ``__repr__`` and ``__str__`` (``__eq__``, ``__array__``, ...);
- rebinding or assigning attributes of a module or of a name the notebook imported
  (``np.allclose = ...``, ``check_close = ...``, ``t = np.testing; t.x = ...``), or of an
  object reached through an expression rather than a name.

A flagged cell is not run: the grader puts a stub in its place that raises
a ``RuntimeError`` with the findings (:func:`stub`), so the exercise scores 0, the tests of other
exercises are unaffected (they use reference versions of what they depend on), and the
feedback says why. Everything else a kernel can do to itself (crash, hang, exhaust memory) is
the sandbox's and the execute preprocessor's business, not this audit's. A tamper that slips
past this audit through an indirect route still trips the checks' integrity guard
(``rnncourse/integrity.py``), which watches the effect rather than the code.
"""

from __future__ import annotations

import ast
import re
import threading
from dataclasses import dataclass

FORBIDDEN_CALLS = {"exec", "eval", "compile", "__import__", "globals", "locals", "vars", "setattr", "delattr",
                   "breakpoint", "get_ipython"}
FORBIDDEN_MODULES = {"sys", "builtins", "ctypes", "gc", "inspect", "importlib", "IPython", "ipykernel", "traitlets",
                     "jupyter_client", "zmq", "unittest", "types", "pickle", "marshal", "copyreg", "dill",
                     "cloudpickle", "code", "codeop", "runpy", "pdb", "bdb", "atexit", "weakref", "_thread",
                     "rnncourse", "nbgrader", "__main__"}
ALLOWED_DUNDER_ATTRIBUTES = {"__init__", "__name__"}
ALLOWED_DUNDER_METHODS = {"__init__", "__repr__", "__str__"}
ALLOWED_MAGICS = {"time", "timeit", "matplotlib", "pinfo", "pinfo2", "who", "whos"}
HOOK_ATTRIBUTES = {"input_transformers_cleanup", "input_transformers_post", "ast_transformers", "showtraceback",
                   "showsyntaxerror", "excepthook", "displayhook", "settrace", "setprofile", "run_cell",
                   "run_cell_async", "register_magic_function", "f_globals", "f_locals", "f_back", "gi_frame",
                   "cr_frame", "tb_frame",
                   # the ways to the interpreter's module table through an ordinary module (os.sys.modules)
                   "sys", "modules", "builtins", "_guard"}
DUNDER = re.compile(r"^__\w+__$")
# CPython 3.11 builds ast.parse's tree with interpreter-wide state that two threads can corrupt
# ("SystemError: AST constructor recursion depth mismatch", python/cpython#106905); make autograde
# audits submissions in threads (parallel.py), so they parse one at a time.
_PARSING = threading.Lock()


def _parse(source: str) -> ast.Module:
    with _PARSING:
        return ast.parse(source)


@dataclass(frozen=True)
class Finding:
    line: int
    what: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.what}"


def _python(source: str) -> str:
    """The cell as plain Python, as IPython would run it (magics become get_ipython() calls)."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
        return TransformerManager().transform_cell(source)
    except Exception:  # a cell IPython cannot even transform is left to fail when it runs
        return source


def _root(node: ast.AST) -> ast.AST:
    """The object an attribute/subscript chain starts from: ``a`` in ``a.b[0].c``."""
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node


def import_targets(tree: ast.AST) -> dict[str, str]:
    """name -> what an import binds it to: ``np`` -> ``numpy``, ``check_close`` -> ``rnncourse.checks.check_close``."""
    targets = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                targets[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom):
            for a in node.names:
                targets[a.asname or a.name] = f"{'.' * node.level}{node.module or ''}.{a.name}"
    return targets


class _Auditor(ast.NodeVisitor):
    def __init__(self, trusted: dict[str, str], own_imports: dict[str, str], defined: set[str]):
        self.trusted = trusted
        self.protected = set(trusted) | set(own_imports) | EXTRA_PROTECTED | defined
        self.findings: list[Finding] = []
        self.depth = 0  # > 0 inside a function or class body, where plain names are local

    def flag(self, node: ast.AST, what: str) -> None:
        self.findings.append(Finding(getattr(node, "lineno", 0), what))

    # imports ---------------------------------------------------------------------------------
    def _check_module(self, node: ast.AST, module: str) -> None:
        if node.__dict__.get("level") or module.split(".")[0] in FORBIDDEN_MODULES:
            self.flag(node, f"imports {module or 'a relative module'}, which can change how the tests run")

    def _check_binding(self, node: ast.AST, name: str, target: str) -> None:
        if name == "*":
            self.flag(node, "imports * (it can rebind names the tests rely on)")
        elif DUNDER.match(name):
            self.flag(node, f"imports {name}")
        elif name in self.trusted and self.trusted[name] != target:
            self.flag(node, f"rebinds {name}, which the notebook's tests rely on, to {target}")

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._check_module(node, alias.name)
            for name, target in import_targets(ast.Module([ast.Import([alias])], [])).items():
                self._check_binding(node, name, target)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        self._check_module(node, node.module or "")
        for alias in node.names:
            single = ast.ImportFrom(node.module, [alias], node.level)
            for name, target in import_targets(ast.Module([single], [])).items():
                self._check_binding(node, name, target)

    # names, calls, attributes, strings -------------------------------------------------------
    def visit_Name(self, node: ast.Name) -> None:
        if node.id in FORBIDDEN_CALLS:
            self.flag(node, f"uses {node.id}(), which can reach the test machinery")
        elif DUNDER.match(node.id) and node.id not in {"__name__"}:
            self.flag(node, f"uses {node.id}")
        elif isinstance(node.ctx, (ast.Store, ast.Del)) and node.id in self.protected and self.depth == 0:
            self.flag(node, f"rebinds {node.id}, which the notebook's tests rely on")

    def _magic(self, node: ast.Call) -> bool:
        """``get_ipython().run_line_magic('time', 'code')`` and friends: True when handled here.

        Harmless magics (%time, %%timeit, x?) and shell escapes (the sandbox has no network) are
        judged by the code they wrap; any other use of get_ipython() is flagged by visit_Name.
        """
        func = node.func
        if not (isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call)
                and isinstance(func.value.func, ast.Name) and func.value.func.id == "get_ipython"
                and not func.value.args and not func.value.keywords and not node.keywords
                and all(isinstance(a, ast.Constant) and isinstance(a.value, str) for a in node.args)):
            return False
        args = [a.value for a in node.args]
        if func.attr in {"run_line_magic", "run_cell_magic"} and args and args[0] in ALLOWED_MAGICS:
            wrapped = args[1:]
        elif func.attr in {"system", "getoutput"}:
            return True
        else:
            self.flag(node, f"uses the IPython magic %{args[0] if args else func.attr}")
            return True
        for code in wrapped:
            try:
                self.visit(_parse(code))
            except SyntaxError:
                pass
        return True

    def visit_Call(self, node: ast.Call) -> None:
        if self._magic(node):
            return
        func = node.func
        if isinstance(func, ast.Name) and func.id == "getattr":
            name = node.args[1] if len(node.args) > 1 else None
            if not (isinstance(name, ast.Constant) and isinstance(name.value, str) and not DUNDER.match(name.value)):
                self.flag(node, "getattr() with a computed or special attribute name")
        if isinstance(func, ast.Name) and func.id == "type" and len(node.args) == 3:
            self.flag(node, "type() with three arguments builds a class on the fly")
        self.generic_visit(node)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if DUNDER.match(node.attr) and node.attr not in ALLOWED_DUNDER_ATTRIBUTES:
            self.flag(node, f"uses the special attribute {node.attr}")
        elif node.attr in HOOK_ATTRIBUTES:
            self.flag(node, f"uses {node.attr}, a hook into the interpreter or the kernel")
        if isinstance(node.ctx, (ast.Store, ast.Del)):
            root = _root(node)
            if not isinstance(root, ast.Name):
                self.flag(node, "assigns an attribute of an object reached through an expression")
            elif root.id in self.protected:
                self.flag(node, f"changes {ast.unparse(node)}, part of a module or of what the notebook imported")
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        if isinstance(node.ctx, (ast.Store, ast.Del)):
            root = _root(node)
            if isinstance(root, ast.Name) and root.id in self.protected and root.id not in {"plt"}:
                self.flag(node, f"changes {ast.unparse(node)}, part of a module or of what the notebook imported")
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and DUNDER.match(node.value) and node.value != "__main__":
            self.flag(node, f"names the special attribute {node.value!r}")

    # definitions -----------------------------------------------------------------------------
    def _definition(self, node, name: str) -> None:
        if DUNDER.match(name) and name not in ALLOWED_DUNDER_METHODS:
            self.flag(node, f"defines {name}, which changes how objects compare or convert")
        elif name in self.protected and self.depth == 0:
            self.flag(node, f"redefines {name}, which the notebook's tests rely on")

    def _scoped(self, node) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    def visit_FunctionDef(self, node) -> None:
        self._definition(node, node.name)
        self._scoped(node)

    visit_AsyncFunctionDef = visit_FunctionDef
    visit_Lambda = _scoped
    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _scoped

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._definition(node, node.name)
        for keyword in node.keywords:
            self.flag(keyword, f"class keyword {keyword.arg}= (metaclasses can change comparisons)")
        self._scoped(node)

    def visit_Global(self, node: ast.Global) -> None:
        for name in node.names:
            if name in self.protected:
                self.flag(node, f"declares {name} global to rebind it")

    visit_Nonlocal = visit_Global

    # aliases of protected objects become protected -------------------------------------------
    def visit_Assign(self, node: ast.Assign) -> None:
        self._alias(node.targets, node.value)
        self.generic_visit(node)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self._alias([node.target], node.value)
        self.generic_visit(node)

    def _alias(self, targets, value) -> None:
        values = value.elts if isinstance(value, (ast.Tuple, ast.List)) else [value]
        if any(isinstance(_root(v), ast.Name) and _root(v).id in self.protected for v in values):
            for target in targets:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name):
                        self.protected.add(name.id)


# Module names protected whether or not the notebook imports them (a cell may import them itself).
EXTRA_PROTECTED = {"np", "numpy", "torch", "keras", "plt", "nn", "F", "math"}


def trusted_imports(trusted_sources: list[str]) -> dict[str, str]:
    """What the notebook's own (trusted) cells import: name -> module or object."""
    targets = {}
    for source in trusted_sources:
        try:
            targets.update(import_targets(_parse(_python(source))))
        except SyntaxError:
            continue
    return targets


def test_definitions(sources: list[str]) -> set[str]:
    """The helpers that the notebook's own cells (tests and given code) define for later cells:
    top-level functions and classes, and top-level private names (``_random_batch``, ``_ref_softmax``,
    ``_cases``). A solution cell that rebinds one could change what a later hidden test computes."""
    names = set()
    for source in sources:
        try:
            tree = _parse(_python(source))
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names |= {n.id for t in targets for n in ast.walk(t)
                          if isinstance(n, ast.Name) and n.id.startswith("_")}
    return names


def audit(source: str, trusted: dict[str, str], defined: set[str] = frozenset()) -> list[Finding]:
    """Findings for one solution cell; empty when it keeps to its own business.

    trusted -- what the notebook's own cells import (:func:`trusted_imports`)
    defined -- the helpers its own cells define for later ones (:func:`test_definitions`)
    """
    try:
        tree = _parse(_python(source))
    except SyntaxError:
        return []  # IPython cannot compile it either: it fails on its own when it runs
    auditor = _Auditor(trusted, import_targets(tree), set(defined))
    auditor.visit(tree)
    return auditor.findings


def stub(grade_id: str, findings: list[Finding]) -> str:
    """The code that runs in place of a flagged cell: it raises with the findings."""
    lines = "\\n".join(f"  - {f}" for f in findings)
    message = (f"The grader did not run this cell ({grade_id}): it reaches for the machinery the tests use, "
               f"so its points are withheld.\\n{lines}\\n"
               "Solutions never need these; remove them and the cell will be graded as usual.")
    return (f"# Not run by the grader: see the error below.\n"
            f"raise RuntimeError({message!r}.replace('\\\\n', '\\n'))\n")
