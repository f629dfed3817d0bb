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
    let p = parser::parse_expr(input)?;
    Ok(Filter {
        expr: p.expr,
        warnings: p.warnings,
        fast: Default::default(),
    })
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
