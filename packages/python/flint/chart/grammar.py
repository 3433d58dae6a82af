"""Tokenizer and recursive-descent parser of the ``%chart`` command (no ``eval``, no regexes).

The grammar is written out in ``packages/charts/README.md``; in short::

    command   := clause*
    clause    := MARK | data(NAME) | CHANNEL(field, ...) | sort([-]CHANNEL) | title(STRING)
               | filter(condition) | limit(INTEGER)
    field     := column [":" TYPE] | AGG([column]) [":" TYPE] | bin(column[, INTEGER]) | UNIT(column)
    column    := NAME | `any text`
    condition := or ; or := and ("or" and)* ; and := not ("and" not)* ; not := "not" not | atom
    atom      := "(" condition ")" | column OP operand | column ["not"] "in" "(" literal, ... ")"
               | column "is" ["not"] "null"

The parser only checks the shape of the command; :mod:`flint.chart.plan` checks it against the
DataFrame's columns.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from importlib import resources

from flint.chart.errors import ChartError, Span, did_you_mean, display_column

# The vocabulary (marks, channels, aggregates, time units, types ...) is data shared with the chart
# builder's TypeScript parser: one file, so the two parsers cannot drift apart.
VOCABULARY = json.loads(resources.files("flint.chart").joinpath("vocabulary.json").read_text(encoding="utf-8"))
MARKS: tuple[str, ...] = tuple(VOCABULARY["marks"])
# Channel name -> how many fields it takes at most.
CHANNELS: dict[str, int] = {name: spec["maxFields"] for name, spec in VOCABULARY["channels"].items()}
AGGREGATES: tuple[str, ...] = tuple(VOCABULARY["aggregates"])
AGGREGATE_ALIASES = {alias: name for name, spec in VOCABULARY["aggregates"].items() for alias in spec["aliases"]}
# Aggregates that need numbers (sum of a string column means nothing).
NUMERIC_AGGREGATES: tuple[str, ...] = tuple(name for name, spec in VOCABULARY["aggregates"].items() if spec["numeric"])
TIME_UNITS: tuple[str, ...] = tuple(VOCABULARY["timeUnits"])
TIME_UNIT_ALIASES = {alias: name for name, spec in VOCABULARY["timeUnits"].items() for alias in spec["aliases"]}
# Time units that are a part of a date (month of year, day of week ...) rather than a span of time.
PART_TIME_UNITS: tuple[str, ...] = tuple(name for name, spec in VOCABULARY["timeUnits"].items() if spec["part"])
# ``q`` and ``quantitative`` alike -> the Vega-Lite type.
TYPES = {key: name for name, spec in VOCABULARY["types"].items() for key in (spec["short"], name)}
DEFAULT_BINS: int = VOCABULARY["bins"]["default"]
MAX_BINS: int = VOCABULARY["bins"]["max"]
CLAUSES = ("data", *CHANNELS, "sort", "title", "filter", "limit")
COMPARISONS: tuple[str, ...] = tuple(VOCABULARY["comparisons"])
KEYWORDS: tuple[str, ...] = tuple(VOCABULARY["keywords"])
_ESCAPES: dict[str, str] = VOCABULARY["escapes"]
# Longest first, so ``<=`` is one token and not ``<`` then ``=``.
_OPERATORS = tuple(sorted(COMPARISONS, key=len, reverse=True))
_TYPE_HINTS = [f"{spec['short']} ({name})" for name, spec in VOCABULARY["types"].items()]
_TYPE_HINT = ", ".join(_TYPE_HINTS[:-1]) + " or " + _TYPE_HINTS[-1]

# ---------------------------------------------------------------------------------------------
# Tokens


@dataclass(frozen=True)
class Token:
    """One token: ``kind`` is NAME, QNAME (backquoted), NUMBER, STRING, OP, PUNCT or EOF."""

    kind: str
    text: str
    value: object
    span: Span


def tokenize(text: str) -> list[Token]:
    """Split a command into tokens; raises :class:`ChartError` at the first bad character."""
    tokens: list[Token] = []
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        start = i
        if ch.isalpha() or ch == "_":
            while i < n and (text[i].isalnum() or text[i] == "_"):
                i += 1
            word = text[start:i]
            tokens.append(Token("NAME", word, word, Span(start, i)))
        elif ch.isdigit() or (ch == "." and i + 1 < n and text[i + 1].isdigit()):
            i = _scan_number(text, i)
            literal = text[start:i]
            is_float = any(c in literal for c in ".eE")
            tokens.append(Token("NUMBER", literal, float(literal) if is_float else int(literal), Span(start, i)))
        elif ch in "\"'":
            value, i = _scan_string(text, i)
            tokens.append(Token("STRING", text[start:i], value, Span(start, i)))
        elif ch == "`":
            end = text.find("`", i + 1)
            while end != -1 and end + 1 < n and text[end + 1] == "`":
                end = text.find("`", end + 2)  # `` inside a quoted name is one backquote
            if end == -1:
                raise ChartError("unterminated `quoted column name`", text, Span(start, n))
            name = text[start + 1 : end].replace("``", "`")
            if not name:
                raise ChartError("empty `quoted column name`", text, Span(start, end + 1))
            i = end + 1
            tokens.append(Token("QNAME", text[start:i], name, Span(start, i)))
        elif op := next((op for op in _OPERATORS if text.startswith(op, i)), None):
            tokens.append(Token("OP", op, op, Span(i, i + len(op))))
            i += len(op)
        elif ch in "(),:-":
            tokens.append(Token("PUNCT", ch, ch, Span(i, i + 1)))
            i += 1
        else:
            raise ChartError(f"unexpected character {ch!r}", text, Span(i, i + 1))
    tokens.append(Token("EOF", "", None, Span(n, n)))
    return tokens


def _scan_number(text: str, i: int) -> int:
    n = len(text)
    while i < n and text[i].isdigit():
        i += 1
    if i < n and text[i] == ".":
        i += 1
        while i < n and text[i].isdigit():
            i += 1
    if i < n and text[i] in "eE":
        j = i + 1
        if j < n and text[j] in "+-":
            j += 1
        if j < n and text[j].isdigit():
            i = j
            while i < n and text[i].isdigit():
                i += 1
    if i < n and (text[i].isalpha() or text[i] == "_"):
        raise ChartError("a name cannot start with a digit", text, Span(i, i + 1))
    return i


def _scan_string(text: str, i: int) -> tuple[str, int]:
    quote = text[i]
    start = i
    i += 1
    out: list[str] = []
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            out.append(_ESCAPES.get(text[i + 1], "\\" + text[i + 1]))
            i += 2
            continue
        if ch == quote:
            return "".join(out), i + 1
        out.append(ch)
        i += 1
    raise ChartError("unterminated string", text, Span(start, len(text)))


# ---------------------------------------------------------------------------------------------
# Syntax tree


@dataclass(frozen=True)
class ColumnRef:
    """A column of the DataFrame, as written (``name``) and where."""

    name: str
    span: Span


@dataclass(frozen=True)
class FieldExpr:
    """What a channel shows: a column, an aggregate of one (``count()`` has none), a bin or a time unit."""

    column: ColumnRef | None
    span: Span
    aggregate: str | None = None
    bin: int | None = None  # maximum number of bins; None when not binned
    time_unit: str | None = None
    type: str | None = None  # an explicit Vega-Lite type (``:n``, ``:o``, ``:q``, ``:t``)

    def describe(self) -> str:
        """The field as the user would write it, e.g. ``sum(amount)`` or ``bin(distance, 30)``."""
        name = self.column.name if self.column else ""
        if self.aggregate:
            return f"{self.aggregate}({name})"
        if self.bin is not None:
            return f"bin({name}, {self.bin})"
        if self.time_unit:
            return f"{self.time_unit}({name})"
        return name


@dataclass(frozen=True)
class Literal:
    """A constant in a filter: string, number, boolean or null."""

    value: str | int | float | bool | None
    span: Span


@dataclass(frozen=True)
class Compare:
    """``column OP operand`` with OP one of ``== != < <= > >=`` (``=`` and ``<>`` are normalised)."""

    column: ColumnRef
    op: str
    operand: Literal | ColumnRef
    span: Span


@dataclass(frozen=True)
class InList:
    """``column [not] in (literal, ...)``."""

    column: ColumnRef
    values: tuple[Literal, ...]
    negated: bool
    span: Span


@dataclass(frozen=True)
class IsNull:
    """``column is [not] null``."""

    column: ColumnRef
    negated: bool
    span: Span


@dataclass(frozen=True)
class BoolOp:
    """``left and right`` / ``left or right``."""

    op: str
    left: Condition
    right: Condition
    span: Span


@dataclass(frozen=True)
class Not:
    """``not operand``."""

    operand: Condition
    span: Span


Condition = Compare | InList | IsNull | BoolOp | Not


@dataclass(frozen=True)
class SortSpec:
    """``sort(-y)``: order the other axis by ``channel``, descending when ``descending``."""

    channel: str
    descending: bool
    span: Span


@dataclass
class ChartCommand:
    """A parsed ``%chart`` command; ``text`` is what was parsed, for error positions."""

    text: str
    data: ColumnRef | None = None
    mark: str | None = None
    mark_span: Span | None = None
    encodings: dict[str, list[FieldExpr]] = field(default_factory=dict)
    channel_spans: dict[str, Span] = field(default_factory=dict)
    sort: SortSpec | None = None
    title: str | None = None
    filter: Condition | None = None
    filter_text: str | None = None
    limit: int | None = None
    limit_span: Span | None = None

    def error(self, message: str, span: Span | None) -> ChartError:
        """A :class:`ChartError` about ``span`` of this command."""
        return ChartError(message, self.text, span)


# ---------------------------------------------------------------------------------------------
# Parser


def parse(text: str) -> ChartCommand:
    """Parse a ``%chart`` command (without the ``%chart`` itself).

    Raises :class:`~flint.chart.errors.ChartError` with the position of the first problem.
    """
    return _Parser(text).parse_command()


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.pos = 0

    # -- helpers ----------------------------------------------------------------------------
    @property
    def tok(self) -> Token:
        return self.tokens[self.pos]

    def peek(self, offset: int = 1) -> Token:
        return self.tokens[min(self.pos + offset, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.tok
        if token.kind != "EOF":
            self.pos += 1
        return token

    def error(self, message: str, token: Token | None = None) -> ChartError:
        token = token or self.tok
        return ChartError(message, self.text, token.span)

    def describe(self, token: Token) -> str:
        return "the end of the command" if token.kind == "EOF" else repr(token.text)

    def expect(self, text: str, what: str | None = None) -> Token:
        if self.tok.kind in ("PUNCT", "OP") and self.tok.text == text:
            return self.advance()
        raise self.error(f"expected {what or repr(text)}, found {self.describe(self.tok)}")

    def at(self, text: str) -> bool:
        return self.tok.kind in ("PUNCT", "OP") and self.tok.text == text

    def at_keyword(self, word: str) -> bool:
        return self.tok.kind == "NAME" and self.tok.text.lower() == word

    # -- command ----------------------------------------------------------------------------
    def parse_command(self) -> ChartCommand:
        cmd = ChartCommand(self.text)
        while self.tok.kind != "EOF":
            self.parse_clause(cmd)
        return cmd

    def parse_clause(self, cmd: ChartCommand) -> None:
        tok = self.tok
        if tok.kind != "NAME":
            raise self.error(f"expected a mark or a clause such as x(...), found {self.describe(tok)}")
        word = tok.text.lower()
        has_args = self.peek().kind == "PUNCT" and self.peek().text == "("
        if not has_args:
            if word in MARKS:
                if cmd.mark is not None:
                    raise self.error(f"two marks given: '{cmd.mark}' and '{word}'")
                self.advance()
                cmd.mark, cmd.mark_span = word, tok.span
                return
            if word in CLAUSES:
                self.advance()
                raise self.error(f"expected '(' after '{tok.text}'")
            raise self.error(f"unknown mark '{tok.text}'" + did_you_mean(tok.text, MARKS + CLAUSES), tok)
        if word in MARKS:
            raise self.error(f"a mark takes no arguments: write '{word}', not '{word}(...)'", tok)
        if word not in CLAUSES:
            raise self.error(f"unknown clause '{tok.text}'" + did_you_mean(tok.text, CLAUSES + MARKS), tok)
        self.advance()
        open_paren = self.expect("(")
        if word == "data":
            if cmd.data is not None:
                raise self.error("data(...) given twice", tok)
            cmd.data = self.parse_variable()
        elif word in CHANNELS:
            if word in cmd.encodings:
                raise self.error(f"{word}(...) given twice", tok)
            fields = [self.parse_field()]
            while self.at(","):
                self.advance()
                fields.append(self.parse_field())
            if len(fields) > CHANNELS[word]:
                raise ChartError(
                    f"{word}(...) takes at most {CHANNELS[word]} field{'s' if CHANNELS[word] > 1 else ''}",
                    self.text,
                    fields[CHANNELS[word]].span,
                )
            cmd.encodings[word] = fields
            cmd.channel_spans[word] = Span(tok.span.start, self.tok.span.end)
        elif word == "sort":
            if cmd.sort is not None:
                raise self.error("sort(...) given twice", tok)
            cmd.sort = self.parse_sort(tok)
        elif word == "title":
            if self.tok.kind != "STRING":
                raise self.error(
                    f'title takes a quoted string, e.g. title("Sales by region"), found {self.describe(self.tok)}'
                )
            cmd.title = str(self.advance().value)
        elif word == "filter":
            if cmd.filter is not None:
                raise self.error("filter(...) given twice: combine the conditions with 'and'", tok)
            start = self.tok.span.start
            cmd.filter = self.parse_condition()
            cmd.filter_text = self.text[start : self.tok.span.start].strip()
        elif word == "limit":
            num = self.tok
            if num.kind != "NUMBER" or not isinstance(num.value, int):
                raise self.error(f"limit takes a whole number of rows, e.g. limit(20000), found {self.describe(num)}")
            self.advance()
            cmd.limit, cmd.limit_span = int(num.value), num.span
        if not self.at(")"):
            opened = display_column(self.text, open_paren.span.start)
            raise self.error(f"expected ')' to close {word}( opened at {opened}, found {self.describe(self.tok)}")
        self.advance()

    def parse_variable(self) -> ColumnRef:
        tok = self.tok
        if tok.kind != "NAME":
            raise self.error(f"expected the name of a DataFrame variable, found {self.describe(tok)}")
        self.advance()
        return ColumnRef(tok.text, tok.span)

    def parse_column(self) -> ColumnRef:
        tok = self.tok
        if tok.kind == "QNAME" or tok.kind == "NAME":
            self.advance()
            return ColumnRef(str(tok.value), tok.span)
        raise self.error(f"expected a column name, found {self.describe(tok)}")

    def parse_field(self) -> FieldExpr:
        tok = self.tok
        is_call = tok.kind == "NAME" and self.peek().kind == "PUNCT" and self.peek().text == "("
        if not is_call:
            column = self.parse_column()
            return FieldExpr(column, column.span, type=self.parse_type())
        name = tok.text.lower()
        agg = AGGREGATE_ALIASES.get(name, name)
        unit = TIME_UNIT_ALIASES.get(name, name)
        self.advance()
        self.advance()  # (
        if agg in AGGREGATES:
            column = None
            if agg != "count" or not self.at(")"):
                column = self.parse_column()
            self.expect(")", f"')' to close {tok.text}(")
            span = Span(tok.span.start, self.tokens[self.pos - 1].span.end)
            return FieldExpr(column, span, aggregate=agg, type=self.parse_type())
        if name == "bin":
            column = self.parse_column()
            maxbins = DEFAULT_BINS
            if self.at(","):
                self.advance()
                num = self.tok
                if num.kind != "NUMBER" or not isinstance(num.value, int) or not 1 <= num.value <= MAX_BINS:
                    raise self.error(f"the number of bins must be a whole number from 1 to {MAX_BINS}", num)
                maxbins = int(num.value)
                self.advance()
            self.expect(")", "')' to close bin(")
            return FieldExpr(column, Span(tok.span.start, self.tokens[self.pos - 1].span.end), bin=maxbins)
        if unit in TIME_UNITS:
            column = self.parse_column()
            self.expect(")", f"')' to close {tok.text}(")
            return FieldExpr(column, Span(tok.span.start, self.tokens[self.pos - 1].span.end), time_unit=unit)
        known = AGGREGATES + ("bin",) + TIME_UNITS
        raise ChartError(f"unknown function '{tok.text}'" + did_you_mean(tok.text, known), self.text, tok.span)

    def parse_type(self) -> str | None:
        if not self.at(":"):
            return None
        self.advance()
        tok = self.tok
        if tok.kind != "NAME" or tok.text.lower() not in TYPES:
            raise self.error(f"expected a type after ':': {_TYPE_HINT}")
        self.advance()
        return TYPES[tok.text.lower()]

    def parse_sort(self, clause: Token) -> SortSpec:
        descending = False
        start = self.tok.span.start
        if self.at("-"):
            self.advance()
            descending = True
        tok = self.tok
        if tok.kind != "NAME" or tok.text.lower() not in ("x", "y"):
            raise self.error(f"sort takes x, y, -x or -y, found {self.describe(tok)}")
        self.advance()
        return SortSpec(tok.text.lower(), descending, Span(start, tok.span.end))

    # -- filter conditions --------------------------------------------------------------------
    def parse_condition(self) -> Condition:
        left = self.parse_and()
        while self.at_keyword("or"):
            self.advance()
            right = self.parse_and()
            left = BoolOp("or", left, right, Span(left.span.start, right.span.end))
        return left

    def parse_and(self) -> Condition:
        left = self.parse_not()
        while self.at_keyword("and"):
            self.advance()
            right = self.parse_not()
            left = BoolOp("and", left, right, Span(left.span.start, right.span.end))
        return left

    def parse_not(self) -> Condition:
        if self.at_keyword("not"):
            tok = self.advance()
            operand = self.parse_not()
            return Not(operand, Span(tok.span.start, operand.span.end))
        return self.parse_atom()

    def parse_atom(self) -> Condition:
        if self.at("("):
            self.advance()
            inner = self.parse_condition()
            self.expect(")", "')' to close the parenthesis")
            return inner
        if self.tok.kind == "NAME" and self.tok.text.lower() in KEYWORDS:
            raise self.error(f"expected a column name, found the keyword '{self.tok.text}'")
        column = self.parse_column()
        if self.at_keyword("is"):
            self.advance()
            negated = False
            if self.at_keyword("not"):
                self.advance()
                negated = True
            if not self.at_keyword("null"):
                raise self.error(f"expected 'null' after 'is', found {self.describe(self.tok)}")
            end = self.advance().span.end
            return IsNull(column, negated, Span(column.span.start, end))
        negated = False
        if self.at_keyword("not"):
            self.advance()
            negated = True
            if not self.at_keyword("in"):
                raise self.error(f"expected 'in' after 'not', found {self.describe(self.tok)}")
        if self.at_keyword("in"):
            self.advance()
            self.expect("(", "'(' after 'in'")
            values = [self.parse_literal()]
            while self.at(","):
                self.advance()
                values.append(self.parse_literal())
            end = self.expect(")", "',' or ')' in the list of values").span.end
            return InList(column, tuple(values), negated, Span(column.span.start, end))
        if self.tok.kind != "OP":
            raise self.error(
                f"expected a comparison (==, !=, <, <=, >, >=, in, is null) after '{column.name}', "
                f"found {self.describe(self.tok)}"
            )
        op = self.advance().text
        op = {"=": "==", "<>": "!="}.get(op, op)
        if self.tok.kind in ("NAME", "QNAME") and not (self.tok.kind == "NAME" and self.tok.text.lower() in KEYWORDS):
            operand: Literal | ColumnRef = self.parse_column()
        else:
            operand = self.parse_literal()
        return Compare(column, op, operand, Span(column.span.start, operand.span.end))

    def parse_literal(self) -> Literal:
        tok = self.tok
        if self.at("-"):
            self.advance()
            num = self.tok
            if num.kind != "NUMBER":
                raise self.error(f"expected a number after '-', found {self.describe(num)}")
            self.advance()
            return Literal(-num.value, Span(tok.span.start, num.span.end))  # type: ignore[operator]
        if tok.kind in ("NUMBER", "STRING"):
            self.advance()
            return Literal(tok.value, tok.span)  # type: ignore[arg-type]
        if tok.kind == "NAME" and tok.text.lower() in ("true", "false", "null"):
            self.advance()
            return Literal({"true": True, "false": False, "null": None}[tok.text.lower()], tok.span)
        raise self.error(
            f"expected a value (a number, a quoted string, true, false or null), found {self.describe(tok)}"
        )
