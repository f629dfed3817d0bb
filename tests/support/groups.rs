//! The groups the filter tests refer to (`group.name = "slow"`...), including a loop, shared
//! by the evaluation tests and the fast-path tests so that both judge the same expressions.

use xray_tui::model::Group;

/// `slow`, `gold-or-slow` (refers to `slow`), `loop-a`/`loop-b` (refer to each other), `all`.
pub fn groups() -> Vec<Group> {
    let g = |name: &str, arn: Option<&str>, f: Option<&str>| Group {
        group_name: name.into(),
        group_arn: arn.map(Into::into),
        filter_expression: f.map(Into::into),
        insights_configuration: None,
    };
    vec![
        g(
            "slow",
            Some("arn:aws:xray:us-east-1:123456789012:group/slow/ABC"),
            Some("responsetime > 3"),
        ),
        g(
            "gold-or-slow",
            None,
            Some("group.name = \"slow\" OR annotation.tier = \"gold\""),
        ),
        g("loop-a", None, Some("group.name = \"loop-b\"")),
        g("loop-b", None, Some("group.name = \"loop-a\" OR ok")),
        g("all", None, None),
    ]
}
