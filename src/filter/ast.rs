//! The syntax tree of a filter expression.
//!
//! Why typed keyword families: the parser checks operators and literals against the keyword's
//! type, so the evaluator never meets `responsetime CONTAINS "x"`; each family carries only
//! the data its predicates need. Spans are kept only where a later check needs them (group
//! references) and never take part in equality, so `parse(print(ast)) == ast` holds.

use std::ops::Range;

/// A byte range in the input that never affects equality.
#[derive(Debug, Clone, Default)]
pub struct Span(pub Range<usize>);

impl PartialEq for Span {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// A filter expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// At least one operand holds (two or more operands).
    Or(Vec<Expr>),
    /// Every operand holds (two or more operands); written `AND` or by juxtaposition.
    And(Vec<Expr>),
    /// `!x`.
    Not(Box<Expr>),
    /// A keyword test.
    Pred(Predicate),
}

/// One keyword test.
#[derive(Debug, Clone, PartialEq)]
pub enum Predicate {
    /// `ok`, `fault = true`...; `test` is `=`/`!=` and the literal.
    Bool {
        /// The keyword.
        kw: BoolKw,
        /// Explicit comparison, if written.
        test: Option<(Op, bool)>,
    },
    /// `responsetime > 5`.
    Number {
        /// The keyword.
        kw: NumKw,
        /// A comparison operator.
        op: Op,
        /// The number (seconds for times).
        value: f64,
    },
    /// `http.url CONTAINS "/api"`, or the bare keyword (`http.url`: the field is set).
    String {
        /// The keyword.
        kw: StrKw,
        /// Operator and value, if written.
        test: Option<(Op, String)>,
    },
    /// `annotation.key`, `annotation[key] = 5`.
    Annotation {
        /// The annotation key, case-sensitive.
        key: String,
        /// Operator and literal, if written.
        test: Option<(Op, Value)>,
    },
    /// `service("name") { filter }`; no name means any node.
    Service {
        /// Which node(s).
        node: Option<NodeRef>,
        /// The node-scope filter.
        block: Option<Box<Expr>>,
    },
    /// `edge("a", "b") { filter }`.
    Edge {
        /// The calling node.
        from: NodeRef,
        /// The called node.
        to: NodeRef,
        /// The edge-scope filter.
        block: Option<Box<Expr>>,
    },
    /// `rootcause.fault.service { filter }`.
    RootCause {
        /// fault, error or responsetime.
        category: RcCategory,
        /// service, entity or exception.
        level: RcLevel,
        /// The item-scope filter.
        block: Option<Box<Expr>>,
    },
    /// `rootcause.json = #[ ... ]`: the JSON array literal.
    RootCauseJson(serde_json::Value),
    /// `group.name = "x"`, `group.arn != "y"`.
    Group {
        /// name or arn.
        kw: GroupKw,
        /// `=` or `!=`.
        op: Op,
        /// The group's name or ARN.
        value: String,
        /// Where the reference was written (for `check_groups`).
        span: Span,
    },
}

/// A literal on the right of an annotation comparison.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `true` / `false`.
    Bool(bool),
    /// A number.
    Number(f64),
    /// A string.
    String(String),
}

/// A graph node reference: a name, or `id(name:, type:, account.id:)`.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeRef {
    /// Every node with this name.
    Name(String),
    /// Nodes matching every given field.
    Id {
        /// Node name.
        name: Option<String>,
        /// Node type, e.g. `AWS::Lambda::Function`.
        kind: Option<String>,
        /// Account ID.
        account_id: Option<String>,
    },
}

/// Comparison and string operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
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
    /// `CONTAINS`
    Contains,
    /// `BEGINSWITH`
    BeginsWith,
    /// `ENDSWITH`
    EndsWith,
}

impl Op {
    /// Every operator, in display order.
    pub const ALL: [Op; 9] = [
        Op::Eq,
        Op::Ne,
        Op::Lt,
        Op::Le,
        Op::Gt,
        Op::Ge,
        Op::Contains,
        Op::BeginsWith,
        Op::EndsWith,
    ];
    /// The operators a number keyword takes.
    pub const NUMBER: [Op; 6] = [Op::Eq, Op::Ne, Op::Lt, Op::Le, Op::Gt, Op::Ge];
    /// The operators a string keyword takes.
    pub const STRING: [Op; 5] = [Op::Eq, Op::Ne, Op::Contains, Op::BeginsWith, Op::EndsWith];
    /// The operators a boolean keyword takes.
    pub const BOOL: [Op; 2] = [Op::Eq, Op::Ne];

    /// How the operator is written (canonical case).
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Contains => "CONTAINS",
            Op::BeginsWith => "BEGINSWITH",
            Op::EndsWith => "ENDSWITH",
        }
    }
    /// `=` or `!=`.
    pub fn is_equality(self) -> bool {
        matches!(self, Op::Eq | Op::Ne)
    }
    /// `<`, `<=`, `>`, `>=`.
    pub fn is_ordering(self) -> bool {
        matches!(self, Op::Lt | Op::Le | Op::Gt | Op::Ge)
    }
    /// `CONTAINS`, `BEGINSWITH`, `ENDSWITH`.
    pub fn is_text(self) -> bool {
        matches!(self, Op::Contains | Op::BeginsWith | Op::EndsWith)
    }
}

macro_rules! keyword_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $var:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vdoc])* $var),+ }
        impl $name {
            /// Every keyword of this family.
            pub const ALL: &'static [$name] = &[$($name::$var),+];
            /// The canonical (lower-case) spelling.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$var => $text),+ }
            }
            /// Looks up a lower-cased spelling.
            pub fn from_lower(s: &str) -> Option<Self> {
                match s { $($text => Some($name::$var),)+ _ => None }
            }
        }
    };
}

keyword_enum!(
    /// Boolean keywords.
    BoolKw {
        /// Response was 2XX (here: complete and no fault/error/throttle).
        Ok => "ok",
        /// 4XX client error (429 included).
        Error => "error",
        /// 429 Too Many Requests.
        Throttle => "throttle",
        /// 5XX server error.
        Fault => "fault",
        /// The trace has incomplete segments.
        Partial => "partial",
        /// The trace or item has inferred segments.
        Inferred => "inferred",
        /// First item of an enumerated root-cause list.
        First => "first",
        /// Last item of an enumerated root-cause list.
        Last => "last",
        /// The root-cause entity is remote.
        Remote => "remote",
        /// The node is the trace's entry point.
        Root => "root",
    }
);

keyword_enum!(
    /// Number keywords.
    NumKw {
        /// Root segment's own duration, seconds.
        ResponseTime => "responsetime",
        /// First start to last end, seconds.
        Duration => "duration",
        /// Response status code.
        HttpStatus => "http.status",
        /// Position in an enumerated root-cause list (0-based).
        Index => "index",
        /// Entity time over root response time (response-time root causes).
        Coverage => "coverage",
    }
);

keyword_enum!(
    /// String keywords.
    StrKw {
        /// Request URL.
        HttpUrl => "http.url",
        /// Request method.
        HttpMethod => "http.method",
        /// Request user agent.
        HttpUserAgent => "http.useragent",
        /// Client IP.
        HttpClientIp => "http.clientip",
        /// `user` of any segment.
        User => "user",
        /// Service or exception name (blocks only).
        Name => "name",
        /// Service type (blocks only).
        Type => "type",
        /// Exception message (`rootcause.*.exception` only).
        Message => "message",
        /// `aws.ec2.availability_zone` of any segment.
        AvailabilityZone => "availabilityzone",
        /// `aws.ec2.instance_id` of any segment.
        InstanceId => "instance.id",
        /// `resource_arn` of any segment.
        ResourceArn => "resource.arn",
        /// Account ID of the trace's services or of the node.
        AccountId => "account.id",
    }
);

keyword_enum!(
    /// Group references.
    GroupKw {
        /// By name.
        Name => "group.name",
        /// By ARN.
        Arn => "group.arn",
    }
);

keyword_enum!(
    /// Root-cause categories.
    RcCategory {
        /// FaultRootCauses.
        Fault => "fault",
        /// ErrorRootCauses.
        Error => "error",
        /// ResponseTimeRootCauses.
        ResponseTime => "responsetime",
    }
);

keyword_enum!(
    /// Root-cause levels: which list items the block sees.
    RcLevel {
        /// The services of each root cause.
        Service => "service",
        /// The entities of each root cause, path order.
        Entity => "entity",
        /// The exceptions of each root cause's entities.
        Exception => "exception",
    }
);

impl Expr {
    /// Calls `f` on every predicate, blocks included.
    pub fn visit_predicates<'a>(&'a self, f: &mut impl FnMut(&'a Predicate)) {
        match self {
            Expr::Or(v) | Expr::And(v) => v.iter().for_each(|e| e.visit_predicates(f)),
            Expr::Not(e) => e.visit_predicates(f),
            Expr::Pred(p) => {
                f(p);
                let block = match p {
                    Predicate::Service { block, .. }
                    | Predicate::Edge { block, .. }
                    | Predicate::RootCause { block, .. } => block.as_deref(),
                    _ => None,
                };
                if let Some(b) = block {
                    b.visit_predicates(f);
                }
            }
        }
    }
}
