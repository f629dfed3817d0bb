//! The normalised text of an expression.
//!
//! Why normalise: groups saved by the app, history entries and the expression sent to AWS all
//! use one spelling (lower-case keywords, upper-case `AND`/`OR`/`CONTAINS`, quoted strings,
//! minimal parentheses), and `parse(print(ast)) == ast` makes that spelling a faithful one.

use std::fmt::{self, Display, Formatter, Write};

use super::ast::{Expr, NodeRef, Predicate, Value};

/// Where a sub-expression is printed, which decides its parentheses.
#[derive(Clone, Copy, PartialEq)]
enum Ctx {
    Top,
    InOr,
    InAnd,
    InNot,
}

impl Display for Expr {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write_expr(f, self, Ctx::Top)
    }
}

fn write_expr(f: &mut Formatter<'_>, e: &Expr, ctx: Ctx) -> fmt::Result {
    let (items, sep, needs_parens) = match e {
        Expr::Pred(p) => return write_pred(f, p),
        Expr::Not(inner) => {
            f.write_char('!')?;
            // `!!x` is rejected by the parser, so a double negation keeps its parentheses.
            if matches!(**inner, Expr::Not(_)) {
                f.write_char('(')?;
                write_expr(f, inner, Ctx::Top)?;
                return f.write_char(')');
            }
            return write_expr(f, inner, Ctx::InNot);
        }
        Expr::Or(v) => (v, " OR ", ctx != Ctx::Top),
        Expr::And(v) => (v, " AND ", matches!(ctx, Ctx::InAnd | Ctx::InNot)),
    };
    let child = if matches!(e, Expr::Or(_)) {
        Ctx::InOr
    } else {
        Ctx::InAnd
    };
    if needs_parens {
        f.write_char('(')?;
    }
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(sep)?;
        }
        // A negated or plain predicate never needs parentheses inside AND/OR.
        write_expr(f, item, child)?;
    }
    if needs_parens {
        f.write_char(')')?;
    }
    Ok(())
}

/// Writes a string literal with `"` and `\` escaped.
pub fn write_string(f: &mut impl Write, s: &str) -> fmt::Result {
    f.write_char('"')?;
    for c in s.chars() {
        match c {
            '"' => f.write_str("\\\"")?,
            '\\' => f.write_str("\\\\")?,
            c => f.write_char(c)?,
        }
    }
    f.write_char('"')
}

/// An annotation key as `annotation.key`, or `annotation[key]` when it needs brackets.
pub fn annotation_keyword(key: &str) -> String {
    if !key.is_empty() && key.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'_') {
        format!("annotation.{key}")
    } else {
        format!("annotation[{key}]")
    }
}

fn write_node(f: &mut Formatter<'_>, n: &NodeRef) -> fmt::Result {
    match n {
        NodeRef::Name(s) => write_string(f, s),
        NodeRef::Id {
            name,
            kind,
            account_id,
        } => {
            f.write_str("id(")?;
            let mut first = true;
            for (label, v) in [("name", name), ("type", kind), ("account.id", account_id)] {
                if let Some(v) = v {
                    if !first {
                        f.write_str(", ")?;
                    }
                    first = false;
                    write!(f, "{label}: ")?;
                    write_string(f, v)?;
                }
            }
            f.write_char(')')
        }
    }
}

fn write_block(f: &mut Formatter<'_>, block: &Option<Box<Expr>>) -> fmt::Result {
    if let Some(b) = block {
        f.write_str(" { ")?;
        write_expr(f, b, Ctx::Top)?;
        f.write_str(" }")?;
    }
    Ok(())
}

fn write_pred(f: &mut Formatter<'_>, p: &Predicate) -> fmt::Result {
    match p {
        Predicate::Bool { kw, test } => {
            f.write_str(kw.as_str())?;
            if let Some((op, b)) = test {
                write!(f, " {} {b}", op.as_str())?;
            }
            Ok(())
        }
        Predicate::Number { kw, op, value } => {
            write!(f, "{} {} {value}", kw.as_str(), op.as_str())
        }
        Predicate::String { kw, test } => {
            f.write_str(kw.as_str())?;
            if let Some((op, s)) = test {
                write!(f, " {} ", op.as_str())?;
                write_string(f, s)?;
            }
            Ok(())
        }
        Predicate::Annotation { key, test } => {
            f.write_str(&annotation_keyword(key))?;
            if let Some((op, v)) = test {
                write!(f, " {} ", op.as_str())?;
                match v {
                    Value::Bool(b) => write!(f, "{b}")?,
                    Value::Number(n) => write!(f, "{n}")?,
                    Value::String(s) => write_string(f, s)?,
                }
            }
            Ok(())
        }
        Predicate::Service { node, block } => {
            f.write_str("service(")?;
            if let Some(n) = node {
                write_node(f, n)?;
            }
            f.write_char(')')?;
            write_block(f, block)
        }
        Predicate::Edge { from, to, block } => {
            f.write_str("edge(")?;
            write_node(f, from)?;
            f.write_str(", ")?;
            write_node(f, to)?;
            f.write_char(')')?;
            write_block(f, block)
        }
        Predicate::RootCause {
            category,
            level,
            block,
        } => {
            write!(f, "rootcause.{}.{}", category.as_str(), level.as_str())?;
            write_block(f, block)
        }
        Predicate::RootCauseJson(v) => write!(f, "rootcause.json = #{v}"),
        Predicate::Group { kw, op, value, .. } => {
            write!(f, "{} {} ", kw.as_str(), op.as_str())?;
            write_string(f, value)
        }
    }
}
