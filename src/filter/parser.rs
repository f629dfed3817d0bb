//! Recursive-descent parser with type checking.
//!
//! Why check types while parsing: X-Ray rejects `responsetime CONTAINS "x"` up front, and an
//! error pointing at the operator, with the operators that would fit, is far more useful in a
//! prompt than a filter that silently matches nothing. Precedence: `!` > AND (written or
//! implied by juxtaposition) > OR; parentheses override. Scoped keywords (`root`, `first`,
//! `coverage`, ...) are only accepted inside the block that gives them a meaning.

use std::ops::Range;

use super::ast::{
    BoolKw, Expr, GroupKw, NodeRef, NumKw, Op, Predicate, RcCategory, RcLevel, Span, StrKw, Value,
};
use super::error::{FilterError, closest};
use super::lexer::{Token, TokenKind, tokenize};

/// Deepest nesting of parentheses and blocks accepted (keeps recursion bounded).
pub const MAX_DEPTH: usize = 64;

/// Where a sub-expression is evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The top level: the whole trace.
    Trace,
    /// Inside `service(...) { }` or `edge(...) { }`.
    Node,
    /// Inside `rootcause.<category>.<level> { }`.
    RootCause(RcCategory, RcLevel),
}

/// Result of a successful parse: the tree and lint warnings (e.g. unquoted values).
pub struct Parsed {
    /// The expression.
    pub expr: Expr,
    /// Accepted but discouraged constructs.
    pub warnings: Vec<FilterError>,
}

/// Parses a whole filter expression.
pub fn parse_expr(input: &str) -> Result<Parsed, FilterError> {
    let toks = tokenize(input)?;
    if toks.is_empty() {
        return Err(FilterError::new(
            "empty filter expression: write a filter such as `fault` or `responsetime > 1`",
            0..input.len(),
        ));
    }
    let mut p = Parser {
        toks,
        pos: 0,
        end: input.len(),
        depth: 0,
        warnings: Vec::new(),
    };
    let expr = p.or_expr(Scope::Trace)?;
    if let Some(t) = p.peek() {
        return Err(p.unexpected(t, "AND, OR or the end of the filter"));
    }
    Ok(Parsed {
        expr,
        warnings: p.warnings,
    })
}

/// Every keyword spelling, for suggestions and completion.
pub fn all_keywords() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = Vec::new();
    v.extend(BoolKw::ALL.iter().map(|k| k.as_str()));
    v.extend(NumKw::ALL.iter().map(|k| k.as_str()));
    v.extend(StrKw::ALL.iter().map(|k| k.as_str()));
    v.extend(GroupKw::ALL.iter().map(|k| k.as_str()));
    v.extend(["service", "edge", "annotation", "rootcause.json", "id"]);
    v.extend(ROOTCAUSE_KEYWORDS);
    v
}

/// `rootcause.<category>.<level>` spellings.
pub const ROOTCAUSE_KEYWORDS: [&str; 8] = [
    "rootcause.fault.service",
    "rootcause.fault.entity",
    "rootcause.fault.exception",
    "rootcause.error.service",
    "rootcause.error.entity",
    "rootcause.error.exception",
    "rootcause.responsetime.service",
    "rootcause.responsetime.entity",
];

/// Words that are never values or keywords.
const RESERVED: [&str; 5] = ["and", "or", "contains", "beginswith", "endswith"];

/// Whether a keyword may appear in a scope; `Err` explains where it belongs.
pub fn keyword_allowed(kw: &str, scope: Scope) -> Result<(), String> {
    use Scope::*;
    let node_only = ["root"];
    let block_only = ["name", "type"];
    let rc_only = ["first", "last", "remote", "index", "coverage", "message"];
    let trace_only = ["partial", "availabilityzone", "instance.id", "resource.arn"];
    match scope {
        Trace => {
            if node_only.contains(&kw) {
                return Err(format!(
                    "`{kw}` only has a meaning inside service(...) {{ }} or edge(...) {{ }}"
                ));
            }
            if block_only.contains(&kw) {
                return Err(format!(
                    "`{kw}` only has a meaning inside a service, edge or rootcause block, e.g. `service() {{ {kw} = \"...\" }}`"
                ));
            }
            if rc_only.contains(&kw) {
                return Err(format!(
                    "`{kw}` only has a meaning inside a rootcause block, e.g. `rootcause.fault.entity {{ {kw} }}`"
                ));
            }
            Ok(())
        }
        Node => {
            if rc_only.contains(&kw) {
                return Err(format!(
                    "`{kw}` only has a meaning inside a rootcause block"
                ));
            }
            if trace_only.contains(&kw) {
                return Err(format!(
                    "`{kw}` is a trace-level keyword; use it outside the block"
                ));
            }
            Ok(())
        }
        RootCause(cat, level) => {
            let allowed = [
                "remote",
                "inferred",
                "first",
                "last",
                "index",
                "name",
                "type",
                "account.id",
                "coverage",
                "message",
            ];
            if !allowed.contains(&kw) {
                return Err(format!(
                    "`{kw}` cannot be used in a rootcause block; use name, type, message, remote, inferred, first, last, index, coverage or account.id"
                ));
            }
            if kw == "coverage" && cat != RcCategory::ResponseTime {
                return Err("`coverage` only applies to rootcause.responsetime.* blocks".to_owned());
            }
            if kw == "message" && level != RcLevel::Exception {
                return Err(
                    "`message` only applies to rootcause.fault.exception and rootcause.error.exception blocks"
                        .to_owned(),
                );
            }
            Ok(())
        }
    }
}

struct Parser {
    toks: Vec<Token>,
    pos: usize,
    end: usize,
    depth: usize,
    warnings: Vec<FilterError>,
}

fn describe(kind: &TokenKind) -> String {
    match kind {
        TokenKind::Word(w) => format!("`{w}`"),
        TokenKind::Number(n) => format!("the number {n}"),
        TokenKind::String(_) => "a string".to_owned(),
        TokenKind::Json(_) => "a JSON literal".to_owned(),
        TokenKind::BracketKey(k) => format!("`[{k}]`"),
        TokenKind::Eq => "`=`".to_owned(),
        TokenKind::Ne => "`!=`".to_owned(),
        TokenKind::Lt => "`<`".to_owned(),
        TokenKind::Le => "`<=`".to_owned(),
        TokenKind::Gt => "`>`".to_owned(),
        TokenKind::Ge => "`>=`".to_owned(),
        TokenKind::Bang => "`!`".to_owned(),
        TokenKind::LParen => "`(`".to_owned(),
        TokenKind::RParen => "`)`".to_owned(),
        TokenKind::LBrace => "`{`".to_owned(),
        TokenKind::RBrace => "`}`".to_owned(),
        TokenKind::Comma => "`,`".to_owned(),
        TokenKind::Colon => "`:`".to_owned(),
    }
}

fn ops_list(ops: &[Op]) -> String {
    ops.iter()
        .map(|o| o.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A comparison operator token, or an operator word.
fn op_of(kind: &TokenKind) -> Option<Op> {
    match kind {
        TokenKind::Eq => Some(Op::Eq),
        TokenKind::Ne => Some(Op::Ne),
        TokenKind::Lt => Some(Op::Lt),
        TokenKind::Le => Some(Op::Le),
        TokenKind::Gt => Some(Op::Gt),
        TokenKind::Ge => Some(Op::Ge),
        TokenKind::Word(w) => match w.to_ascii_lowercase().as_str() {
            "contains" => Some(Op::Contains),
            "beginswith" => Some(Op::BeginsWith),
            "endswith" => Some(Op::EndsWith),
            _ => None,
        },
        _ => None,
    }
}

fn is_word(t: Option<&Token>, lower: &str) -> bool {
    matches!(t, Some(Token { kind: TokenKind::Word(w), .. }) if w.eq_ignore_ascii_case(lower))
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.toks.get(self.pos)
    }
    fn peek_kind(&self) -> Option<&TokenKind> {
        self.peek().map(|t| &t.kind)
    }
    fn bump(&mut self) -> Option<Token> {
        let t = self.toks.get(self.pos).cloned();
        if t.is_some() {
            self.pos += 1;
        }
        t
    }
    fn eof_span(&self) -> Range<usize> {
        self.end..self.end
    }
    /// Span just after the previous token (where something is missing).
    fn after_prev(&self) -> Range<usize> {
        match self.pos.checked_sub(1).and_then(|i| self.toks.get(i)) {
            Some(t) => t.span.end..t.span.end,
            None => 0..0,
        }
    }

    fn unexpected(&self, t: &Token, expected: &str) -> FilterError {
        match t.kind {
            TokenKind::RParen => FilterError::new("unmatched `)`: no `(` opens it", t.span.clone()),
            TokenKind::RBrace => FilterError::new("unmatched `}`: no `{` opens it", t.span.clone()),
            _ => FilterError::new(
                format!("unexpected {}: expected {expected}", describe(&t.kind)),
                t.span.clone(),
            ),
        }
    }

    fn starts_operand(&self) -> bool {
        match self.peek_kind() {
            Some(TokenKind::Bang | TokenKind::LParen) => true,
            Some(TokenKind::Word(w)) => {
                !(w.eq_ignore_ascii_case("and") || w.eq_ignore_ascii_case("or"))
            }
            _ => false,
        }
    }

    fn enter(&mut self, span: Range<usize>) -> Result<(), FilterError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(FilterError::new(
                format!("nested more than {MAX_DEPTH} levels deep"),
                span,
            ));
        }
        Ok(())
    }

    fn or_expr(&mut self, scope: Scope) -> Result<Expr, FilterError> {
        let mut items = vec![self.and_expr(scope)?];
        while is_word(self.peek(), "or") {
            let or = self.bump().map(|t| t.span).unwrap_or_default();
            if !self.starts_operand() {
                return Err(FilterError::new("expected a filter after OR", or));
            }
            items.push(self.and_expr(scope)?);
        }
        Ok(if items.len() == 1 {
            items.pop().unwrap_or(Expr::Or(Vec::new()))
        } else {
            Expr::Or(items)
        })
    }

    fn and_expr(&mut self, scope: Scope) -> Result<Expr, FilterError> {
        let mut items = vec![self.unary(scope)?];
        loop {
            if is_word(self.peek(), "and") {
                let and = self.bump().map(|t| t.span).unwrap_or_default();
                if !self.starts_operand() {
                    return Err(FilterError::new("expected a filter after AND", and));
                }
                items.push(self.unary(scope)?);
            } else if self.starts_operand() {
                items.push(self.unary(scope)?);
            } else {
                break;
            }
        }
        Ok(if items.len() == 1 {
            items.pop().unwrap_or(Expr::And(Vec::new()))
        } else {
            Expr::And(items)
        })
    }

    fn unary(&mut self, scope: Scope) -> Result<Expr, FilterError> {
        if let Some(TokenKind::Bang) = self.peek_kind() {
            let bang = self.bump().map(|t| t.span).unwrap_or_default();
            if let Some(t) = self.peek() {
                if t.kind == TokenKind::Bang {
                    return Err(FilterError::new(
                        "`!!`: negate once, or write `!(!x)` if you mean it",
                        bang.start..t.span.end,
                    ));
                }
            }
            if self.peek().is_none() {
                return Err(FilterError::new("expected a filter after `!`", bang));
            }
            let inner = self.primary(scope)?;
            return Ok(Expr::Not(Box::new(inner)));
        }
        self.primary(scope)
    }

    fn primary(&mut self, scope: Scope) -> Result<Expr, FilterError> {
        let Some(tok) = self.bump() else {
            return Err(FilterError::new("expected a filter", self.eof_span()));
        };
        let span = tok.span.clone();
        match tok.kind {
            TokenKind::LParen => {
                self.enter(span.clone())?;
                if let Some(TokenKind::RParen) = self.peek_kind() {
                    let end = self.peek().map_or(span.end, |t| t.span.end);
                    return Err(FilterError::new(
                        "empty parentheses: expected a filter inside",
                        span.start..end,
                    ));
                }
                let e = self.or_expr(scope)?;
                match self.peek() {
                    Some(Token {
                        kind: TokenKind::RParen,
                        ..
                    }) => {
                        self.pos += 1;
                    }
                    None
                    | Some(Token {
                        kind: TokenKind::RBrace,
                        ..
                    }) => {
                        return Err(FilterError::new(
                            "this `(` is never closed: add a `)`",
                            span,
                        ));
                    }
                    Some(t) => return Err(self.unexpected(t, "AND, OR or `)`")),
                }
                self.depth -= 1;
                Ok(e)
            }
            TokenKind::Word(w) => self.keyword(w, span, scope),
            TokenKind::RParen => Err(FilterError::new("expected a filter before `)`", span)),
            TokenKind::LBrace => Err(FilterError::new(
                "a `{ }` block must follow service(...), edge(...) or rootcause.*",
                span,
            )),
            TokenKind::String(_) | TokenKind::Number(_) => Err(FilterError::new(
                "a value needs a keyword on its left, e.g. `http.url = \"...\"`",
                span,
            )),
            k @ (TokenKind::Eq
            | TokenKind::Ne
            | TokenKind::Lt
            | TokenKind::Le
            | TokenKind::Gt
            | TokenKind::Ge) => Err(FilterError::new(
                format!("expected a keyword before {}", describe(&k)),
                span,
            )),
            k => Err(FilterError::new(
                format!("unexpected {}: expected a filter", describe(&k)),
                span,
            )),
        }
    }

    fn keyword(
        &mut self,
        word: String,
        span: Range<usize>,
        scope: Scope,
    ) -> Result<Expr, FilterError> {
        let lower = word.to_ascii_lowercase();
        let pred = |p| Ok(Expr::Pred(p));
        match lower.as_str() {
            "and" | "or" => {
                return Err(FilterError::new(
                    format!("expected a filter before {}", word.to_ascii_uppercase()),
                    span,
                ));
            }
            "not" | "like" | "in" | "between" => {
                return Err(rejected_word(&word, span));
            }
            "true" | "false" => {
                return Err(FilterError::new(
                    "a boolean value needs a keyword on its left, e.g. `ok = true`",
                    span,
                ));
            }
            "id" => {
                return Err(FilterError::new(
                    "id(...) names a graph node; use it inside service(...) or edge(...)",
                    span,
                ));
            }
            _ => {}
        }
        if let Some(kw) = BoolKw::from_lower(&lower) {
            keyword_allowed(&lower, scope).map_err(|m| FilterError::new(m, span.clone()))?;
            let test = self.bool_test(kw, &span)?;
            return pred(Predicate::Bool { kw, test });
        }
        if let Some(kw) = NumKw::from_lower(&lower) {
            keyword_allowed(&lower, scope).map_err(|m| FilterError::new(m, span.clone()))?;
            let (op, value) = self.num_test(kw, &span)?;
            return pred(Predicate::Number { kw, op, value });
        }
        if let Some(kw) = StrKw::from_lower(&lower) {
            keyword_allowed(&lower, scope).map_err(|m| FilterError::new(m, span.clone()))?;
            let test = self.str_test(kw.as_str(), &span)?;
            return pred(Predicate::String { kw, test });
        }
        if let Some(kw) = GroupKw::from_lower(&lower) {
            self.trace_only(&lower, scope, &span)?;
            return self.group(kw, span);
        }
        if lower == "annotation" || lower.starts_with("annotation.") {
            return self.annotation(&word, span, scope);
        }
        if lower == "service" || lower == "edge" {
            self.trace_only(&lower, scope, &span)?;
            return if lower == "service" {
                self.service(span)
            } else {
                self.edge(span)
            };
        }
        if lower == "rootcause.json" {
            self.trace_only(&lower, scope, &span)?;
            return self.rootcause_json(span);
        }
        if let Some(rest) = lower.strip_prefix("rootcause.") {
            self.trace_only("rootcause.*", scope, &span)?;
            return self.rootcause(rest, &lower, span);
        }
        Err(unknown_keyword(&word, &lower, span))
    }

    fn trace_only(&self, kw: &str, scope: Scope, span: &Range<usize>) -> Result<(), FilterError> {
        if scope == Scope::Trace {
            Ok(())
        } else {
            Err(FilterError::new(
                format!("`{kw}` cannot be used inside a block; complex keywords do not nest"),
                span.clone(),
            ))
        }
    }

    fn bool_test(
        &mut self,
        kw: BoolKw,
        span: &Range<usize>,
    ) -> Result<Option<(Op, bool)>, FilterError> {
        let name = kw.as_str();
        let Some(op) = self.peek_kind().and_then(op_of) else {
            return Ok(None);
        };
        let op_span = self.peek().map(|t| t.span.clone()).unwrap_or_default();
        if !op.is_equality() {
            return Err(FilterError::new(
                format!(
                    "`{name}` is a boolean keyword: write `{name}`, `!{name}`, `{name} = true` or `{name} != false`"
                ),
                span.start..op_span.end,
            ));
        }
        self.pos += 1;
        match self.bump() {
            Some(Token {
                kind: TokenKind::Word(w),
                span: vspan,
            }) => match w.to_ascii_lowercase().as_str() {
                "true" => Ok(Some((op, true))),
                "false" => Ok(Some((op, false))),
                _ => Err(FilterError::new(
                    format!("`{name}` compares with true or false"),
                    vspan,
                )),
            },
            Some(Token {
                kind: TokenKind::String(s),
                span: vspan,
            }) if s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false") => Err(
                FilterError::new("booleans are written without quotes", vspan)
                    .with_suggestion(s.to_ascii_lowercase()),
            ),
            Some(t) => Err(FilterError::new(
                format!("`{name}` compares with true or false"),
                t.span,
            )),
            None => Err(FilterError::new(
                format!("expected true or false after `{}`", op.as_str()),
                self.eof_span(),
            )),
        }
    }

    fn num_test(&mut self, kw: NumKw, span: &Range<usize>) -> Result<(Op, f64), FilterError> {
        let name = kw.as_str();
        let fits = ops_list(&Op::NUMBER);
        let op = match self.peek_kind().and_then(op_of) {
            None => {
                if let Some(Token {
                    kind: TokenKind::Word(w),
                    span: wspan,
                }) = self.peek()
                {
                    if ["not", "like", "in", "between"].contains(&w.to_ascii_lowercase().as_str()) {
                        return Err(rejected_word(w, wspan.clone()));
                    }
                }
                return Err(FilterError::new(
                    format!(
                        "`{name}` is a number keyword and needs a comparison, e.g. `{name} > 5`"
                    ),
                    span.clone(),
                ));
            }
            Some(op) if op.is_text() => {
                let op_span = self.peek().map(|t| t.span.clone()).unwrap_or_default();
                return Err(FilterError::new(
                    format!(
                        "`{}` does not apply to the number keyword `{name}`; it takes {fits}",
                        op.as_str()
                    ),
                    op_span,
                ));
            }
            Some(op) => op,
        };
        self.pos += 1;
        match self.bump() {
            Some(Token {
                kind: TokenKind::Number(n),
                ..
            }) => Ok((op, n)),
            Some(Token {
                kind: TokenKind::String(s),
                span: vspan,
            }) => {
                let e = FilterError::new(
                    format!("`{name}` compares with a number, not a string"),
                    vspan,
                );
                Err(if super::lexer::is_number(s.trim()) {
                    e.with_suggestion(s.trim().to_owned())
                } else {
                    e
                })
            }
            Some(t) => Err(FilterError::new(
                format!("expected a number after `{}`", op.as_str()),
                t.span,
            )),
            None => Err(FilterError::new(
                format!("expected a number after `{}`", op.as_str()),
                self.eof_span(),
            )),
        }
    }

    /// A string value: a quoted string, or (with a warning) a bare word.
    fn string_value(&mut self, op: Op) -> Result<String, FilterError> {
        match self.bump() {
            Some(Token {
                kind: TokenKind::String(s),
                ..
            }) => Ok(s),
            Some(Token {
                kind: TokenKind::Word(w),
                span,
            }) if !RESERVED.contains(&w.to_ascii_lowercase().as_str()) => {
                self.warnings.push(
                    FilterError::new(
                        format!(
                            "unquoted value `{w}`: AWS documents string values in double quotes"
                        ),
                        span,
                    )
                    .with_suggestion(format!("\"{w}\"")),
                );
                Ok(w)
            }
            Some(Token {
                kind: TokenKind::Number(n),
                span,
            }) => Err(FilterError::new(
                format!("`{}` compares with a quoted string", op.as_str()),
                span,
            )
            .with_suggestion(format!("\"{n}\""))),
            Some(t) => Err(FilterError::new(
                format!("expected a quoted string after `{}`", op.as_str()),
                t.span,
            )),
            None => Err(FilterError::new(
                format!("expected a quoted string after `{}`", op.as_str()),
                self.after_prev(),
            )),
        }
    }

    fn str_test(
        &mut self,
        name: &str,
        span: &Range<usize>,
    ) -> Result<Option<(Op, String)>, FilterError> {
        let Some(op) = self.peek_kind().and_then(op_of) else {
            return Ok(None);
        };
        if op.is_ordering() {
            let op_span = self.peek().map(|t| t.span.clone()).unwrap_or_default();
            return Err(FilterError::new(
                format!(
                    "`{}` does not apply to the string keyword `{name}`; it takes {}",
                    op.as_str(),
                    ops_list(&Op::STRING)
                ),
                op_span,
            ));
        }
        let _ = span;
        self.pos += 1;
        Ok(Some((op, self.string_value(op)?)))
    }

    fn annotation(
        &mut self,
        word: &str,
        span: Range<usize>,
        scope: Scope,
    ) -> Result<Expr, FilterError> {
        let (key, span) = if word.len() == "annotation".len() {
            match self.peek() {
                Some(Token {
                    kind: TokenKind::BracketKey(k),
                    span: kspan,
                }) if kspan.start == span.end => {
                    let (k, kspan) = (k.clone(), kspan.clone());
                    self.pos += 1;
                    if k.is_empty() {
                        return Err(FilterError::new("empty annotation key", kspan));
                    }
                    (k, span.start..kspan.end)
                }
                _ => {
                    return Err(FilterError::new(
                        "expected `.key` or `[key]` after `annotation`",
                        span,
                    ));
                }
            }
        } else {
            let key = &word["annotation.".len()..];
            if key.contains('.') {
                return Err(
                    FilterError::new("annotation keys with dots need brackets", span)
                        .with_suggestion(format!("annotation[{key}]")),
                );
            }
            (key.to_owned(), span)
        };
        if scope != Scope::Trace {
            return Err(FilterError::new(
                "annotations cannot be used inside service, edge or rootcause blocks (AWS docs); move the test outside the block",
                span,
            ));
        }
        let test = match self.peek_kind().and_then(op_of) {
            None => None,
            Some(op) => {
                self.pos += 1;
                let value = if op.is_ordering() {
                    match self.bump() {
                        Some(Token {
                            kind: TokenKind::Number(n),
                            ..
                        }) => Value::Number(n),
                        Some(t) => {
                            return Err(FilterError::new(
                                format!("`{}` compares with a number", op.as_str()),
                                t.span,
                            ));
                        }
                        None => {
                            return Err(FilterError::new(
                                format!("expected a number after `{}`", op.as_str()),
                                self.eof_span(),
                            ));
                        }
                    }
                } else if op.is_text() {
                    Value::String(self.string_value(op)?)
                } else {
                    match self.peek_kind() {
                        Some(TokenKind::Number(n)) => {
                            let n = *n;
                            self.pos += 1;
                            Value::Number(n)
                        }
                        Some(TokenKind::Word(w)) if w.eq_ignore_ascii_case("true") => {
                            self.pos += 1;
                            Value::Bool(true)
                        }
                        Some(TokenKind::Word(w)) if w.eq_ignore_ascii_case("false") => {
                            self.pos += 1;
                            Value::Bool(false)
                        }
                        Some(TokenKind::String(_)) => Value::String(self.string_value(op)?),
                        Some(TokenKind::Word(w))
                            if !RESERVED.contains(&w.to_ascii_lowercase().as_str()) =>
                        {
                            Value::String(self.string_value(op)?)
                        }
                        // An annotation holds a string, a number or a boolean: any of the three
                        // fits, and the literal decides which values it meets.
                        _ => {
                            let at = self.peek().map_or(self.after_prev(), |t| t.span.clone());
                            return Err(FilterError::new(
                                format!(
                                    "expected a value after `{}`: a quoted string, a number, true or false",
                                    op.as_str()
                                ),
                                at,
                            ));
                        }
                    }
                };
                Some((op, value))
            }
        };
        Ok(Expr::Pred(Predicate::Annotation { key, test }))
    }

    fn group(&mut self, kw: GroupKw, span: Range<usize>) -> Result<Expr, FilterError> {
        let name = kw.as_str();
        let op = match self.peek_kind().and_then(op_of) {
            Some(op) if op.is_equality() => op,
            _ => {
                let at = self.peek().map_or(span.clone(), |t| t.span.clone());
                return Err(FilterError::new(
                    format!(
                        "`{name}` takes `=` or `!=` and a quoted string, e.g. `{name} = \"my-group\"`"
                    ),
                    at,
                ));
            }
        };
        self.pos += 1;
        let value = self.string_value(op)?;
        let end = self.after_prev().end;
        Ok(Expr::Pred(Predicate::Group {
            kw,
            op,
            value,
            span: Span(span.start..end),
        }))
    }

    fn expect(&mut self, kind: TokenKind, what: &str) -> Result<Range<usize>, FilterError> {
        match self.peek() {
            Some(t) if t.kind == kind => {
                let s = t.span.clone();
                self.pos += 1;
                Ok(s)
            }
            Some(t) => Err(FilterError::new(
                format!("expected {what}, found {}", describe(&t.kind)),
                t.span.clone(),
            )),
            None => Err(FilterError::new(
                format!("expected {what}"),
                self.eof_span(),
            )),
        }
    }

    fn service(&mut self, span: Range<usize>) -> Result<Expr, FilterError> {
        if !matches!(self.peek_kind(), Some(TokenKind::LParen)) {
            return Err(FilterError::new(
                "`service` needs parentheses: `service(\"name\")`, or `service()` for any node",
                span,
            )
            .with_suggestion("service()"));
        }
        let open = self.expect(TokenKind::LParen, "`(`")?;
        let node = if matches!(self.peek_kind(), Some(TokenKind::RParen)) {
            None
        } else {
            Some(self.node_ref()?)
        };
        self.close_paren(&open)?;
        let block = self.block(Scope::Node)?;
        Ok(Expr::Pred(Predicate::Service { node, block }))
    }

    fn close_paren(&mut self, open: &Range<usize>) -> Result<(), FilterError> {
        match self.peek() {
            Some(t) if t.kind == TokenKind::RParen => {
                self.pos += 1;
                Ok(())
            }
            Some(t) => Err(FilterError::new(
                format!("expected `)`, found {}", describe(&t.kind)),
                t.span.clone(),
            )),
            None => Err(FilterError::new(
                "this `(` is never closed: add a `)`",
                open.clone(),
            )),
        }
    }

    fn edge(&mut self, span: Range<usize>) -> Result<Expr, FilterError> {
        if !matches!(self.peek_kind(), Some(TokenKind::LParen)) {
            return Err(FilterError::new(
                "`edge` needs two services: `edge(\"source\", \"destination\")`",
                span,
            ));
        }
        let open = self.expect(TokenKind::LParen, "`(`")?;
        let from = self.node_ref()?;
        if matches!(self.peek_kind(), Some(TokenKind::RParen)) {
            let at = self.peek().map_or(open.clone(), |t| t.span.clone());
            return Err(FilterError::new(
                "`edge` needs two services: `edge(\"source\", \"destination\")`",
                at,
            ));
        }
        self.expect(TokenKind::Comma, "`,` between the two services")?;
        let to = self.node_ref()?;
        self.close_paren(&open)?;
        let block = self.block(Scope::Node)?;
        Ok(Expr::Pred(Predicate::Edge { from, to, block }))
    }

    fn node_ref(&mut self) -> Result<NodeRef, FilterError> {
        match self.bump() {
            Some(Token {
                kind: TokenKind::String(s),
                ..
            }) => Ok(NodeRef::Name(s)),
            Some(Token {
                kind: TokenKind::Word(w),
                span,
            }) if w.eq_ignore_ascii_case("id") => self.id_fn(span),
            Some(Token {
                kind: TokenKind::Word(w),
                span,
            }) => Err(FilterError::new("service names are quoted", span)
                .with_suggestion(format!("\"{w}\""))),
            Some(t) => Err(FilterError::new(
                format!(
                    "expected a quoted service name or id(...), found {}",
                    describe(&t.kind)
                ),
                t.span,
            )),
            None => Err(FilterError::new(
                "expected a quoted service name or id(...)",
                self.eof_span(),
            )),
        }
    }

    fn id_fn(&mut self, span: Range<usize>) -> Result<NodeRef, FilterError> {
        let open = match self.peek() {
            Some(t) if t.kind == TokenKind::LParen => {
                let s = t.span.clone();
                self.pos += 1;
                s
            }
            _ => {
                return Err(FilterError::new(
                    "`id` needs arguments: `id(name: \"...\", type: \"...\")`",
                    span,
                ));
            }
        };
        let (mut name, mut kind, mut account) = (None, None, None);
        loop {
            let Some(tok) = self.bump() else {
                return Err(FilterError::new(
                    "this `(` is never closed: add a `)`",
                    open,
                ));
            };
            let arg = match &tok.kind {
                TokenKind::RParen if name.is_none() && kind.is_none() && account.is_none() => {
                    return Err(FilterError::new(
                        "id() needs at least one of name:, type:, account.id:",
                        span.start..tok.span.end,
                    ));
                }
                TokenKind::Word(w) => w.to_ascii_lowercase(),
                k => {
                    return Err(FilterError::new(
                        format!(
                            "expected name:, type: or account.id:, found {}",
                            describe(k)
                        ),
                        tok.span,
                    ));
                }
            };
            let slot = match arg.as_str() {
                "name" => &mut name,
                "type" => &mut kind,
                "account.id" => &mut account,
                _ => {
                    let e = FilterError::new(
                        format!("`{arg}` is not an id() argument; use name, type or account.id"),
                        tok.span.clone(),
                    );
                    return Err(match closest(&arg, ["name", "type", "account.id"]) {
                        Some(s) => e.with_suggestion(s),
                        None => e,
                    });
                }
            };
            if slot.is_some() {
                return Err(FilterError::new(
                    format!("`{arg}` is given twice in id()"),
                    tok.span,
                ));
            }
            self.expect(TokenKind::Colon, "`:` after the argument name")?;
            let value = match self.bump() {
                Some(Token {
                    kind: TokenKind::String(s),
                    ..
                }) => s,
                Some(Token {
                    kind: TokenKind::Word(w),
                    span,
                }) => {
                    return Err(FilterError::new("id() values are quoted", span)
                        .with_suggestion(format!("\"{w}\"")));
                }
                Some(t) => {
                    return Err(FilterError::new("expected a quoted string", t.span));
                }
                None => {
                    return Err(FilterError::new(
                        "expected a quoted string",
                        self.eof_span(),
                    ));
                }
            };
            *slot = Some(value);
            match self.bump() {
                Some(Token {
                    kind: TokenKind::Comma,
                    ..
                }) => {}
                Some(Token {
                    kind: TokenKind::RParen,
                    ..
                }) => break,
                Some(t) => {
                    return Err(FilterError::new(
                        format!("expected `,` or `)`, found {}", describe(&t.kind)),
                        t.span,
                    ));
                }
                None => {
                    return Err(FilterError::new(
                        "this `(` is never closed: add a `)`",
                        open,
                    ));
                }
            }
        }
        Ok(NodeRef::Id {
            name,
            kind,
            account_id: account,
        })
    }

    fn block(&mut self, scope: Scope) -> Result<Option<Box<Expr>>, FilterError> {
        let open = match self.peek() {
            Some(t) if t.kind == TokenKind::LBrace => t.span.clone(),
            _ => return Ok(None),
        };
        self.pos += 1;
        self.enter(open.clone())?;
        if let Some(t) = self.peek() {
            if t.kind == TokenKind::RBrace {
                return Err(FilterError::new(
                    "empty block: expected a filter inside `{ }`",
                    open.start..t.span.end,
                ));
            }
        }
        if self.peek().is_none() {
            return Err(FilterError::new(
                "this `{` is never closed: add a `}`",
                open,
            ));
        }
        let e = self.or_expr(scope)?;
        match self.peek() {
            Some(t) if t.kind == TokenKind::RBrace => self.pos += 1,
            None => {
                return Err(FilterError::new(
                    "this `{` is never closed: add a `}`",
                    open,
                ));
            }
            Some(t) => return Err(self.unexpected(t, "AND, OR or `}`")),
        }
        self.depth -= 1;
        Ok(Some(Box::new(e)))
    }

    fn rootcause(
        &mut self,
        rest: &str,
        lower: &str,
        span: Range<usize>,
    ) -> Result<Expr, FilterError> {
        let (cat, level) = rest.split_once('.').unwrap_or((rest, ""));
        let category = RcCategory::from_lower(cat);
        let lvl = RcLevel::from_lower(level);
        let (Some(category), Some(level)) = (category, lvl) else {
            let e = FilterError::new(
                format!(
                    "unknown keyword `{lower}`: root causes are rootcause.<fault|error|responsetime>.<service|entity|exception>"
                ),
                span,
            );
            return Err(match closest(lower, ROOTCAUSE_KEYWORDS) {
                Some(s) => e.with_suggestion(s),
                None => e,
            });
        };
        if category == RcCategory::ResponseTime && level == RcLevel::Exception {
            return Err(FilterError::new(
                "response-time root causes have no exceptions; use rootcause.responsetime.service or .entity",
                span,
            )
            .with_suggestion("rootcause.responsetime.entity"));
        }
        let block = self.block(Scope::RootCause(category, level))?;
        Ok(Expr::Pred(Predicate::RootCause {
            category,
            level,
            block,
        }))
    }

    fn rootcause_json(&mut self, span: Range<usize>) -> Result<Expr, FilterError> {
        match self.peek_kind() {
            Some(TokenKind::Eq) => self.pos += 1,
            _ => {
                let at = self.peek().map_or(span.clone(), |t| t.span.clone());
                return Err(FilterError::new("`rootcause.json` takes `= #[ ... ]`", at));
            }
        }
        match self.bump() {
            Some(Token {
                kind: TokenKind::Json(v),
                ..
            }) => Ok(Expr::Pred(Predicate::RootCauseJson(v))),
            Some(t) => Err(FilterError::new(
                "expected a JSON literal `#[ ... ]`",
                t.span,
            )),
            None => Err(FilterError::new(
                "expected a JSON literal `#[ ... ]`",
                self.eof_span(),
            )),
        }
    }
}

/// `NOT`, `LIKE`, `IN`, `BETWEEN`: words from other query languages, with what to write instead.
fn rejected_word(word: &str, span: Range<usize>) -> FilterError {
    match word.to_ascii_lowercase().as_str() {
        "not" => {
            FilterError::new("`NOT` is not an operator; negate with `!`", span).with_suggestion("!")
        }
        "like" => FilterError::new(
            "`LIKE` is not an operator; use CONTAINS, BEGINSWITH or ENDSWITH",
            span,
        )
        .with_suggestion("CONTAINS"),
        "in" => FilterError::new(
            "`IN` is not an operator; combine equality tests with OR",
            span,
        )
        .with_suggestion("OR"),
        _ => FilterError::new(
            "`BETWEEN` is not an operator; write `x >= a AND x <= b`",
            span,
        ),
    }
}

/// An unknown keyword, with the nearest real one when there is one.
fn unknown_keyword(word: &str, lower: &str, span: Range<usize>) -> FilterError {
    let kws = all_keywords();
    // `fault.count`, `error.rate`: metrics, not filter keywords; suggest the base keyword.
    if let Some((base, tail)) = lower.rsplit_once('.') {
        if kws.contains(&base) && matches!(tail, "count" | "rate" | "sum" | "avg") {
            return FilterError::new(
                format!("unknown keyword `{word}`: filters have no counts or rates; `{base}` matches traces that have one"),
                span,
            )
            .with_suggestion(base.to_owned());
        }
    }
    let e = FilterError::new(format!("unknown keyword `{word}`"), span);
    match closest(lower, kws.iter().copied()) {
        Some(s) => e.with_suggestion(s),
        None => {
            if let Some((base, _)) = lower.rsplit_once('.') {
                if kws.contains(&base) {
                    return e.with_suggestion(base.to_owned());
                }
            }
            e
        }
    }
}
