"""Regular expressions for tenant-written matchers, matched in time linear in the value's length.

Python's `re` backtracks: `(a+)+b` against 24 `a`s takes half a second and doubles with each
character, so one tenant's matcher could stall the shared dispatcher. Alertmanager uses Go's RE2,
which never backtracks. `google-re2` is not installed here, so this module does what RE2 does: the
pattern is parsed (by Python's own parser, so the syntax and error messages are Python's), checked
to contain only what RE2 supports (no backreferences, lookarounds, atomic groups or possessive
repeats), compiled into a Thompson NFA and simulated state set by state set. The cost of one match
is at most len(value) × len(program), and the program is capped at `MAX_PROGRAM` instructions.

Matching follows Go's RE2 where Python differs: `\\d`, `\\w`, `\\s` are ASCII only, `$` matches only
at the very end (no trailing newline), counted repeats are capped at 1000.
"""

from __future__ import annotations

import re
import re._constants as sre  # noqa: PLC2701 - the parser's opcodes; stable across 3.11–3.13
import re._parser as sre_parse  # noqa: PLC2701
from collections.abc import Callable
from dataclasses import dataclass, field

MAX_PROGRAM = 5000
MAX_REPEAT_COUNT = 1000
_CACHE_LIMIT = 4096

_UNSUPPORTED = {
    sre.GROUPREF: "backreferences",
    sre.GROUPREF_EXISTS: "conditional groups",
    sre.ASSERT: "lookahead/lookbehind",
    sre.ASSERT_NOT: "lookahead/lookbehind",
    sre.ATOMIC_GROUP: "atomic groups",
    sre.POSSESSIVE_REPEAT: "possessive repeats",
}

_WORD = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_DIGIT = frozenset("0123456789")
_SPACE = frozenset("\t\n\f\r ")
_CATEGORIES: dict = {
    sre.CATEGORY_DIGIT: lambda c: c in _DIGIT,
    sre.CATEGORY_NOT_DIGIT: lambda c: c not in _DIGIT,
    sre.CATEGORY_WORD: lambda c: c in _WORD,
    sre.CATEGORY_NOT_WORD: lambda c: c not in _WORD,
    sre.CATEGORY_SPACE: lambda c: c in _SPACE,
    sre.CATEGORY_NOT_SPACE: lambda c: c not in _SPACE,
}

# Instructions: (CHAR, predicate) consumes one character; (SPLIT, a, b); (JMP, a); (ASSERT, kind); (MATCH,).
_CHAR, _SPLIT, _JMP, _ASSERT, _MATCH = range(5)


class RegexError(ValueError):
    """The pattern is not valid, or uses something RE2 does not support."""


@dataclass
class _Compiler:
    flags: int
    program: list = field(default_factory=list)
    context_free: bool = True

    def emit(self, *instruction) -> int:
        if len(self.program) >= MAX_PROGRAM:
            raise RegexError(f"pattern too large (more than {MAX_PROGRAM} instructions)")
        self.program.append(list(instruction))
        return len(self.program) - 1

    def sequence(self, items, flags: int) -> None:
        for op, arg in items:
            self.node(op, arg, flags)

    def node(self, op, arg, flags: int) -> None:
        if op in _UNSUPPORTED:
            raise RegexError(f"{_UNSUPPORTED[op]} are not supported (RE2 syntax)")
        fold = bool(flags & sre.SRE_FLAG_IGNORECASE)
        if op is sre.LITERAL:
            self.emit(_CHAR, _literal(chr(arg), fold))
        elif op is sre.NOT_LITERAL:
            inner = _literal(chr(arg), fold)
            self.emit(_CHAR, lambda c: not inner(c))
        elif op is sre.ANY:
            dotall = bool(flags & sre.SRE_FLAG_DOTALL)
            self.emit(_CHAR, (lambda c: True) if dotall else (lambda c: c != "\n"))
        elif op is sre.IN:
            self.emit(_CHAR, _char_set(arg, fold))
        elif op is sre.SUBPATTERN:
            _group, add, remove, items = arg
            self.sequence(items, (flags | add) & ~remove)
        elif op is sre.BRANCH:
            self.branch(arg[1], flags)
        elif op in (sre.MAX_REPEAT, sre.MIN_REPEAT):
            low, high, items = arg
            self.repeat(low, high, items, flags)
        elif op is sre.AT:
            if arg in (sre.AT_BOUNDARY, sre.AT_NON_BOUNDARY):
                self.context_free = False
            if arg in (sre.AT_BEGINNING, sre.AT_END) and flags & sre.SRE_FLAG_MULTILINE:
                self.context_free = False
                arg = {sre.AT_BEGINNING: "bol", sre.AT_END: "eol"}[arg]
            self.emit(_ASSERT, arg)
        else:
            raise RegexError(f"unsupported regex construct {op}")

    def branch(self, alternatives, flags: int) -> None:
        jumps = []
        for i, alternative in enumerate(alternatives):
            if i < len(alternatives) - 1:
                split = self.emit(_SPLIT, None, None)
                self.program[split][1] = len(self.program)
                self.sequence(alternative, flags)
                jumps.append(self.emit(_JMP, None))
                self.program[split][2] = len(self.program)
            else:
                self.sequence(alternative, flags)
        for jump in jumps:
            self.program[jump][1] = len(self.program)

    def repeat(self, low: int, high: int, items, flags: int) -> None:
        unbounded = high == sre.MAXREPEAT
        if low > MAX_REPEAT_COUNT or (not unbounded and high > MAX_REPEAT_COUNT):
            raise RegexError(f"bad repetition count: at most {MAX_REPEAT_COUNT}")
        for _ in range(low):
            self.sequence(items, flags)
        if unbounded:
            # L: split body, out; body; jmp L
            split = self.emit(_SPLIT, None, None)
            self.program[split][1] = len(self.program)
            self.sequence(items, flags)
            self.emit(_JMP, split)
            self.program[split][2] = len(self.program)
            return
        splits = []
        for _ in range(high - low):
            split = self.emit(_SPLIT, None, None)
            self.program[split][1] = len(self.program)
            splits.append(split)
            self.sequence(items, flags)
        for split in splits:
            self.program[split][2] = len(self.program)


def _literal(char: str, fold: bool) -> Callable[[str], bool]:
    if not fold:
        return lambda c: c == char
    variants = {char, char.lower(), char.upper(), char.casefold()}
    return lambda c: c in variants or c.lower() in variants


def _char_set(items, fold: bool) -> Callable[[str], bool]:
    negate = False
    tests: list[Callable[[str], bool]] = []
    chars: set[str] = set()
    for op, arg in items:
        if op is sre.NEGATE:
            negate = True
        elif op is sre.LITERAL:
            chars.add(chr(arg))
        elif op is sre.RANGE:
            low, high = arg
            tests.append(lambda c, low=low, high=high: low <= ord(c) <= high)
        elif op is sre.CATEGORY:
            tests.append(_CATEGORIES[arg])
        else:
            raise RegexError(f"unsupported character class item {op}")

    def raw(c: str) -> bool:
        return c in chars or any(t(c) for t in tests)

    def test(c: str) -> bool:
        found = raw(c) or (fold and (raw(c.lower()) or raw(c.upper())))
        return found != negate

    return test


class Pattern:
    """A compiled pattern; `fullmatch` says whether the whole value matches."""

    def __init__(self, pattern: str) -> None:
        self.pattern = pattern
        try:
            parsed = sre_parse.parse(pattern)
        except (re.error, RecursionError, OverflowError) as error:
            raise RegexError(f"error parsing regexp: {error}") from None
        compiler = _Compiler(flags=parsed.state.flags)
        compiler.sequence(list(parsed), parsed.state.flags)
        compiler.emit(_MATCH)
        self._program = [tuple(i) for i in compiler.program]
        self._context_free = compiler.context_free
        # NOTE: a lazily built DFA, as in RE2: each (state set, character) step is computed once.
        self._steps: dict[tuple[frozenset[int], str, bool], frozenset[int]] = {}
        self._start = None

    def _closure(self, pcs, text: str, pos: int) -> frozenset[int]:
        program, seen, stack = self._program, set(), list(pcs)
        out = []
        end = pos == len(text)
        while stack:
            pc = stack.pop()
            if pc in seen:
                continue
            seen.add(pc)
            op = program[pc]
            kind = op[0]
            if kind == _JMP:
                stack.append(op[1])
            elif kind == _SPLIT:
                stack.append(op[2])
                stack.append(op[1])
            elif kind == _ASSERT:
                if _holds(op[1], text, pos, end):
                    stack.append(pc + 1)
            else:
                out.append(pc)
        return frozenset(out)

    def fullmatch(self, text: str) -> bool:
        program = self._program
        states = self._closure([0], text, 0)
        steps = self._steps if self._context_free else None
        last = len(text) - 1
        for i, char in enumerate(text):
            key = (states, char, i == last)
            following = steps.get(key) if steps is not None else None
            if following is None:
                moved = [pc + 1 for pc in states if program[pc][0] == _CHAR and program[pc][1](char)]
                following = self._closure(moved, text, i + 1)
                if steps is not None:
                    if len(steps) >= _CACHE_LIMIT:
                        steps.clear()
                    steps[key] = following
            states = following
            if not states:
                return False
        return any(program[pc][0] == _MATCH for pc in states)


def _holds(kind, text: str, pos: int, end: bool) -> bool:
    if kind in (sre.AT_BEGINNING, sre.AT_BEGINNING_STRING):
        return pos == 0
    if kind in (sre.AT_END, sre.AT_END_STRING):
        return end
    if kind == "bol":
        return pos == 0 or text[pos - 1] == "\n"
    if kind == "eol":
        return end or text[pos] == "\n"
    before = pos > 0 and text[pos - 1] in _WORD
    after = not end and text[pos] in _WORD
    return (before != after) if kind == sre.AT_BOUNDARY else (before == after)


def compile(pattern: str) -> Pattern:  # noqa: A001 - mirrors re.compile
    """Compiles `pattern` or raises RegexError naming what is wrong."""
    return Pattern(pattern)
