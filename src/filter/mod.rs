//! The X-Ray filter expression language: parse, type-check, print and evaluate.
//!
//! Why a module of its own, with no UI: the same expressions are sent to AWS
//! (`GetTraceSummaries`), saved as groups, and evaluated locally over files and the local
//! daemon's traces, where no X-Ray service runs them. One parser gives one set of error
//! messages (with spans and "did you mean"), one printer gives one normalised spelling, and
//! one evaluator gives the same answers in the TUI, the headless commands and the tests.
//!
//! The specification followed is `research/filter-spec.md`; where AWS is silent the chosen
//! reading is documented in [`eval`] and [`parser`] and each has a test named after it.

pub mod analyze;
pub mod ast;
pub mod complete;
pub mod error;
pub mod eval;
pub mod lexer;
pub mod parser;
pub mod print;

use std::fmt;
use std::str::FromStr;

pub use ast::Expr;
pub use complete::{Candidate, Completions, Vocabulary, complete};
pub use error::FilterError;
pub use eval::{EvalContext, Verdict};

/// A parsed, type-checked filter expression.
#[derive(Debug, Clone)]
pub struct Filter {
    expr: Expr,
    warnings: Vec<FilterError>,
    /// What [`Filter::evaluate_fast`] prepares once and reuses.
    fast: eval::FastCache,
}

/// Parses and type-checks a filter expression.
pub fn parse(input: &str) -> Result<Filter, FilterError> {
    let p = parser::parse_expr(input).map_err(|e| trace_id_hint(input, e))?;
    Ok(Filter {
        expr: p.expr,
        warnings: p.warnings,
        fast: Default::default(),
    })
}

/// X-Ray's filter language has no trace ID keyword (`id(...)` names graph nodes): a trace ID
/// (either spelling) or a tracing header given as an expression is told where IDs go.
fn trace_id_hint(input: &str, e: FilterError) -> FilterError {
    use crate::model::header;
    let text = input.trim();
    let is_id =
        header::is_xray_id(text) || header::is_w3c_id(text) || header::parse(text).is_some();
    if !is_id {
        return e;
    }
    let start = input.len() - input.trim_start().len();
    FilterError::new(
        "a trace ID is not a filter expression (X-Ray filters have no trace ID keyword): open it \
         with the palette (Ctrl-P) or `xray-tui trace ID`, in either spelling",
        start..start + text.len(),
    )
}

impl Filter {
    /// Wraps an expression (e.g. one built in code); no warnings.
    pub fn from_expr(expr: Expr) -> Self {
        Self {
            expr,
            warnings: Vec::new(),
            fast: Default::default(),
        }
    }
    /// The syntax tree.
    pub fn expr(&self) -> &Expr {
        &self.expr
    }
    /// Accepted but discouraged constructs (e.g. unquoted string values), with spans.
    pub fn warnings(&self) -> &[FilterError] {
        &self.warnings
    }
}

/// Two filters are equal when their trees are (warnings and spans aside).
impl PartialEq for Filter {
    fn eq(&self, other: &Self) -> bool {
        self.expr == other.expr
    }
}

/// The normalised expression text.
impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.expr.fmt(f)
    }
}

impl FromStr for Filter {
    type Err = FilterError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trace_id_as_an_expression_says_where_ids_go() {
        for text in [
            "1-66669980-3f1c9a0b7d2e4c6a8b0d1e2f",
            " 666699803f1c9a0b7d2e4c6a8b0d1e2f",
            "00-666699803f1c9a0b7d2e4c6a8b0d1e2f-1000000000000001-01",
        ] {
            let Err(e) = parse(text) else {
                panic!("{text}: not an expression")
            };
            assert!(e.message.contains("palette"), "{text}: {}", e.message);
            assert_eq!(&text[e.span.clone()], text.trim());
        }
        // Other mistakes keep their own message.
        let Err(e) = parse("1-2") else { panic!("bad") };
        assert!(!e.message.contains("palette"));
    }
}
