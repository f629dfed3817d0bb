//! Tokens of the filter language, each with its byte span.
//!
//! Why a separate lexer: error messages point at bytes of the input, completion needs the token
//! under the cursor, and the JSON literal `#[...]` must be cut out with JSON-aware bracket
//! matching before the parser sees it. Keywords and connectives stay words here; the parser
//! compares them case-insensitively.

use std::ops::Range;

use super::error::FilterError;

/// What a token is.
#[derive(Debug, Clone, PartialEq)]
pub enum TokenKind {
    /// A word: `ok`, `http.url`, `AND`, `CONTAINS`, a bare value.
    Word(String),
    /// A number as written (`-?digits(.digits)?`), and its value.
    Number(f64),
    /// A double-quoted string, unescaped.
    String(String),
    /// `#[ ... ]`: the JSON array.
    Json(serde_json::Value),
    /// `[key]` after `annotation`: the raw key.
    BracketKey(String),
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `!`
    Bang,
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `{`
    LBrace,
    /// `}`
    RBrace,
    /// `,`
    Comma,
    /// `:`
    Colon,
}

/// A token and where it is.
#[derive(Debug, Clone, PartialEq)]
pub struct Token {
    /// The token.
    pub kind: TokenKind,
    /// Byte range in the input.
    pub span: Range<usize>,
}

/// Word characters after the first one.
pub(crate) fn is_word_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// Splits the whole input into tokens, or reports the first lexical error.
pub fn tokenize(input: &str) -> Result<Vec<Token>, FilterError> {
    let mut out = Vec::new();
    let mut lx = Lexer { input, pos: 0 };
    while let Some(t) = lx.next_token()? {
        out.push(t);
    }
    Ok(out)
}

/// Tokens up to the first error, and the error (for completion, which works on broken input).
pub fn tokenize_lenient(input: &str) -> (Vec<Token>, Option<FilterError>) {
    let mut out = Vec::new();
    let mut lx = Lexer { input, pos: 0 };
    loop {
        match lx.next_token() {
            Ok(Some(t)) => out.push(t),
            Ok(None) => return (out, None),
            Err(e) => return (out, Some(e)),
        }
    }
}

struct Lexer<'a> {
    input: &'a str,
    pos: usize,
}

impl Lexer<'_> {
    fn peek(&self, ahead: usize) -> Option<u8> {
        self.input.as_bytes().get(self.pos + ahead).copied()
    }

    fn tok(&mut self, kind: TokenKind, len: usize) -> Option<Token> {
        let start = self.pos;
        self.pos += len;
        Some(Token {
            kind,
            span: start..self.pos,
        })
    }

    fn next_token(&mut self) -> Result<Option<Token>, FilterError> {
        while matches!(self.peek(0), Some(b' ' | b'\t' | b'\r' | b'\n')) {
            self.pos += 1;
        }
        let Some(c) = self.peek(0) else {
            return Ok(None);
        };
        let start = self.pos;
        let two = (c, self.peek(1));
        Ok(match two {
            (b'!', Some(b'=')) => self.tok(TokenKind::Ne, 2),
            (b'<', Some(b'=')) => self.tok(TokenKind::Le, 2),
            (b'>', Some(b'=')) => self.tok(TokenKind::Ge, 2),
            (b'=', Some(b'=')) => {
                return Err(
                    FilterError::new("`==` is not an operator", start..start + 2)
                        .with_suggestion("="),
                );
            }
            (b'=', Some(b'>')) => {
                return Err(
                    FilterError::new("`=>` is not an operator", start..start + 2)
                        .with_suggestion(">="),
                );
            }
            (b'=', Some(b'<')) => {
                return Err(
                    FilterError::new("`=<` is not an operator", start..start + 2)
                        .with_suggestion("<="),
                );
            }
            (b'<', Some(b'>')) => {
                return Err(
                    FilterError::new("`<>` is not an operator", start..start + 2)
                        .with_suggestion("!="),
                );
            }
            (b'&', Some(b'&')) => {
                return Err(
                    FilterError::new("`&&` is not a connective", start..start + 2)
                        .with_suggestion("AND"),
                );
            }
            (b'|', Some(b'|')) => {
                return Err(
                    FilterError::new("`||` is not a connective", start..start + 2)
                        .with_suggestion("OR"),
                );
            }
            (b'#', Some(b'[')) => return self.json().map(Some),
            (b'=', _) => self.tok(TokenKind::Eq, 1),
            (b'<', _) => self.tok(TokenKind::Lt, 1),
            (b'>', _) => self.tok(TokenKind::Gt, 1),
            (b'!', _) => self.tok(TokenKind::Bang, 1),
            (b'(', _) => self.tok(TokenKind::LParen, 1),
            (b')', _) => self.tok(TokenKind::RParen, 1),
            (b'{', _) => self.tok(TokenKind::LBrace, 1),
            (b'}', _) => self.tok(TokenKind::RBrace, 1),
            (b',', _) => self.tok(TokenKind::Comma, 1),
            (b':', _) => self.tok(TokenKind::Colon, 1),
            (b'"', _) => return self.string().map(Some),
            (b'[', _) => return self.bracket_key().map(Some),
            (b'\'', _) => {
                return Err(FilterError::new(
                    "single quotes do not delimit strings; use double quotes",
                    start..start + 1,
                )
                .with_suggestion("\""));
            }
            (b'-', _) | (b'0'..=b'9', _) => return self.number().map(Some),
            (c, _) if c.is_ascii_alphabetic() || c == b'_' => self.word(),
            _ => {
                let ch = self.input[start..].chars().next().unwrap_or('?');
                let len = ch.len_utf8();
                return Err(FilterError::new(
                    format!("unexpected character `{ch}`"),
                    start..start + len,
                ));
            }
        })
    }

    fn word(&mut self) -> Option<Token> {
        let start = self.pos;
        let b = self.input.as_bytes();
        let mut end = start;
        loop {
            while end < b.len() && is_word_char(b[end]) {
                end += 1;
            }
            // A dot joins two words only when a word character follows it.
            if end + 1 < b.len() && b[end] == b'.' && is_word_char(b[end + 1]) {
                end += 1;
            } else {
                break;
            }
        }
        let text = self.input[start..end].to_owned();
        self.tok(TokenKind::Word(text), end - start)
    }

    fn number(&mut self) -> Result<Token, FilterError> {
        let start = self.pos;
        let b = self.input.as_bytes();
        let mut end = start;
        if b[end] == b'-' {
            end += 1;
        }
        // Take everything that could belong to the literal, then check its shape.
        while end < b.len() && (is_word_char(b[end]) || b[end] == b'.') {
            end += 1;
        }
        let text = &self.input[start..end];
        if !is_number(text) {
            let msg = if text == "-" {
                "`-` must be followed by a number".to_owned()
            } else {
                format!(
                    "`{text}` is not a number: numbers are written like 5, 2.5 or -0.7 (seconds, no unit)"
                )
            };
            return Err(FilterError::new(msg, start..end));
        }
        let value: f64 = text
            .parse()
            .map_err(|_| FilterError::new(format!("`{text}` is not a number"), start..end))?;
        if !value.is_finite() {
            return Err(FilterError::new(
                format!("`{text}` is too large"),
                start..end,
            ));
        }
        self.pos = end;
        Ok(Token {
            kind: TokenKind::Number(value),
            span: start..end,
        })
    }

    fn string(&mut self) -> Result<Token, FilterError> {
        let start = self.pos;
        let mut out = String::new();
        let mut chars = self.input[start + 1..].char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    let end = start + 1 + i + 1;
                    self.pos = end;
                    return Ok(Token {
                        kind: TokenKind::String(out),
                        span: start..end,
                    });
                }
                '\\' => match chars.next() {
                    Some((_, '"')) => out.push('"'),
                    Some((_, '\\')) => out.push('\\'),
                    Some((_, other)) => {
                        out.push('\\');
                        out.push(other);
                    }
                    None => out.push('\\'),
                },
                c => out.push(c),
            }
        }
        Err(FilterError::new(
            "this string is never closed: add a `\"`",
            start..self.input.len(),
        ))
    }

    fn bracket_key(&mut self) -> Result<Token, FilterError> {
        let start = self.pos;
        match self.input[start + 1..].find(']') {
            Some(i) => {
                let end = start + 1 + i + 1;
                let key = self.input[start + 1..end - 1].to_owned();
                self.pos = end;
                Ok(Token {
                    kind: TokenKind::BracketKey(key),
                    span: start..end,
                })
            }
            None => Err(FilterError::new(
                "this `[` is never closed: add a `]`",
                start..start + 1,
            )),
        }
    }

    /// `#[ ... ]`: bracket matching that skips JSON strings, then a JSON parse of `[ ... ]`.
    fn json(&mut self) -> Result<Token, FilterError> {
        let start = self.pos;
        let b = self.input.as_bytes();
        let mut depth = 0usize;
        let mut i = start + 1;
        let mut in_str = false;
        while i < b.len() {
            let c = b[i];
            if in_str {
                match c {
                    b'\\' => i += 1,
                    b'"' => in_str = false,
                    _ => {}
                }
            } else {
                match c {
                    b'"' => in_str = true,
                    b'[' | b'{' => depth += 1,
                    b']' | b'}' => {
                        depth = depth.saturating_sub(1);
                        if depth == 0 {
                            let end = i + 1;
                            let body = &self.input[start + 1..end];
                            let value: serde_json::Value =
                                serde_json::from_str(body).map_err(|e| {
                                    FilterError::new(
                                        format!("invalid JSON in `#[...]`: {e}"),
                                        start..end,
                                    )
                                })?;
                            self.pos = end;
                            return Ok(Token {
                                kind: TokenKind::Json(value),
                                span: start..end,
                            });
                        }
                    }
                    _ => {}
                }
            }
            i += 1;
        }
        Err(FilterError::new(
            "this `#[` is never closed: add a `]`",
            start..start + 2,
        ))
    }
}

/// `-?[0-9]+(\.[0-9]+)?`.
pub(crate) fn is_number(text: &str) -> bool {
    let t = text.strip_prefix('-').unwrap_or(text);
    let (int, frac) = match t.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (t, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
    digits(int) && frac.is_none_or(digits)
}
