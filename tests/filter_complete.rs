//! Completion for the filter prompt: what is offered at the cursor and what it replaces.

use serde_json::json;
use xray_tui::engine::{assemble, summarize};
use xray_tui::filter::{Completions, Vocabulary, complete};
use xray_tui::model::{Group, Segment};

fn vocab() -> Vocabulary {
    let docs: Vec<Segment> = serde_json::from_value(json!([
        {"id":"g","name":"gateway","start_time":1.0,"end_time":2.0,"user":"alice",
         "annotations":{"customer_tier":"gold","items":3,"vip":true},
         "subsegments":[{"id":"c","name":"orders-api","namespace":"remote","start_time":1.1,"end_time":1.9}]},
        {"id":"o","name":"orders-api","parent_id":"c","start_time":1.2,"end_time":1.8,
         "annotations":{"customer_tier":"silver"},
         "subsegments":[{"id":"d","name":"DynamoDB","namespace":"aws","start_time":1.3,"end_time":1.4,"aws":{"table_name":"orders"}}]}
    ]))
    .expect("docs");
    let t = assemble("1-00000001-000000000000000000000001", docs);
    let s = summarize(&t);
    Vocabulary::from_data(&[s], [&t]).with_groups(&[Group {
        group_name: "slow".into(),
        ..Default::default()
    }])
}

/// Candidate texts (leaked: a test process is short-lived and this keeps assertions terse).
fn texts(c: &Completions) -> Vec<&'static str> {
    c.candidates
        .iter()
        .map(|c| &*Box::leak(c.text.clone().into_boxed_str()))
        .collect()
}

fn at_end(input: &str) -> Completions {
    complete(input, input.len(), &vocab())
}

#[test]
fn vocabulary_collects_services_edges_annotations_users_groups() {
    let v = vocab();
    assert_eq!(v.services, ["gateway", "orders", "orders-api"]);
    assert!(v.service_types.contains(&"AWS::DynamoDB::Table".to_owned()));
    assert_eq!(
        v.edges,
        [
            ("gateway".to_owned(), "orders-api".to_owned()),
            ("orders-api".to_owned(), "orders".to_owned())
        ]
    );
    assert_eq!(v.annotations["customer_tier"], ["\"gold\"", "\"silver\""]);
    assert_eq!(v.annotations["items"], ["3"]);
    assert_eq!(v.users, ["alice"]);
    assert_eq!(v.groups, ["slow"]);
}

#[test]
fn keyword_prefix_is_fuzzy_ranked_and_replaced() {
    let c = at_end("resp");
    assert_eq!(c.replace, 0..4);
    assert_eq!(texts(&c).first(), Some(&"responsetime"));
    let c = at_end("ok AND http.st");
    assert_eq!(c.replace, 7..14);
    assert_eq!(texts(&c).first(), Some(&"http.status"));
    assert!(!c.candidates[0].description.is_empty());
}

#[test]
fn empty_prompt_offers_trace_scope_keywords_only() {
    let c = at_end("");
    let t = texts(&c);
    assert!(t.contains(&"fault") && t.contains(&"service(") && t.contains(&"annotation."));
    assert!(!t.contains(&"root") && !t.contains(&"first") && !t.contains(&"name"));
}

#[test]
fn operators_fit_the_keyword_on_the_left() {
    assert_eq!(
        texts(&at_end("responsetime ")),
        ["=", "!=", "<", "<=", ">", ">="],
        "a number keyword must be followed by an operator"
    );
    let t = texts(&at_end("http.url "));
    assert!(t.starts_with(&["=", "!=", "CONTAINS", "BEGINSWITH", "ENDSWITH"]));
    assert!(!t.contains(&">"));
    assert!(t.contains(&"AND"), "a bare string keyword is complete");
    let t = texts(&at_end("ok "));
    assert!(t.starts_with(&["=", "!="]));
    let c = at_end("http.url CONT");
    assert_eq!(texts(&c).first(), Some(&"CONTAINS"));
    assert_eq!(c.replace, 9..13);
}

#[test]
fn service_names_inside_service_quotes() {
    let c = at_end("service(\"ord");
    assert_eq!(c.replace, 8..12, "replaces from the opening quote");
    assert_eq!(texts(&c), ["\"orders\"", "\"orders-api\""]);
    let c = at_end("service(");
    assert_eq!(
        texts(&c),
        ["\"gateway\"", "\"orders\"", "\"orders-api\"", "id(", ")"],
        "quoted names, id(, or `)` for any node"
    );
    let c = at_end("service(\"");
    assert_eq!(texts(&c).len(), 3);
}

/// Issue 15 item 8: inside `service("pay` only service names fit, never a connective; each
/// closes the call, unless the input closes it already.
#[test]
fn inside_an_unclosed_service_string_only_names_fit() {
    let c = at_end("service(\"or");
    assert_eq!(texts(&c), ["\"orders\"", "\"orders-api\""]);
    assert!(c.candidates.iter().all(|x| x.append == ")"));
    assert_eq!(c.candidates[0].insertion(), "\"orders\")");
    let c = at_end("service(\"zzz");
    assert!(c.candidates.is_empty(), "no name fits: nothing, not AND/OR");
    // Names are matched by their start, then anywhere; not as scattered letters.
    assert_eq!(texts(&at_end("service(\"api")), ["\"orders-api\""]);
    assert!(texts(&at_end("service(\"oa")).is_empty());
    // Completing inside a closed string replaces the whole literal and adds no second `)`.
    let input = "service(\"ord\") { fault }";
    let c = complete(input, 12, &vocab());
    assert_eq!(c.replace, 8..13);
    assert_eq!(texts(&c), ["\"orders\"", "\"orders-api\""]);
    assert!(c.candidates.iter().all(|x| x.append.is_empty()));
}

/// After a complete argument only what ends it fits; after the call, a block or a connective.
#[test]
fn a_complete_argument_is_followed_by_what_closes_it() {
    assert_eq!(texts(&at_end("service(\"orders\"")), [")"]);
    assert_eq!(texts(&at_end("service(\"orders\" ")), [")"]);
    assert_eq!(texts(&at_end("edge(\"gateway\"")), [","]);
    assert_eq!(texts(&at_end("edge(\"gateway\", \"orders-api\"")), [")"]);
    let c = at_end("edge(\"");
    assert!(c.candidates.iter().all(|x| x.append == ", \""));
    let t = texts(&at_end("service(\"orders\") "));
    assert_eq!(&t[..3], ["{", "AND", "OR"]);
    assert_eq!(texts(&at_end("service(id(name: \"gateway\"")), [",", ")"]);
    assert_eq!(
        texts(&at_end("service(id(name: \"gateway\", ")),
        ["type:", "account.id:"],
        "arguments not given yet"
    );
}

/// A complete term inside a group or a block offers what closes it first.
#[test]
fn open_groups_and_blocks_offer_their_closer() {
    let t = texts(&at_end("(fault "));
    assert_eq!(&t[..5], ["=", "!=", ")", "AND", "OR"]);
    let t = texts(&at_end("service(\"orders\") { root "));
    assert!(t.contains(&"}") && !t.contains(&")"));
    let t = texts(&at_end("service(\"orders\") { fault } "));
    assert!(!t.contains(&"}"), "the block is closed");
}

#[test]
fn edge_destinations_follow_the_source() {
    let c = at_end("edge(\"");
    assert_eq!(texts(&c), ["\"gateway\"", "\"orders-api\""]);
    let c = at_end("edge(\"gateway\", \"");
    assert_eq!(texts(&c), ["\"orders-api\""]);
    assert_eq!(c.replace, 16..17);
}

#[test]
fn id_arguments_complete_names_and_types() {
    let t = texts(&at_end("service(id(type: \"Dyn"));
    assert_eq!(t, ["\"AWS::DynamoDB::Table\""]);
    let t = texts(&at_end("service(id(name: \"gate"));
    assert_eq!(t, ["\"gateway\""]);
}

#[test]
fn annotation_keys_then_values() {
    let c = at_end("annotation.cust");
    assert_eq!(c.replace, 0..15);
    assert_eq!(texts(&c).first(), Some(&"annotation.customer_tier"));
    let t = texts(&at_end("annotation.customer_tier = "));
    assert_eq!(t, ["\"gold\"", "\"silver\""]);
    let t = texts(&at_end("annotation.customer_tier = \"si"));
    assert_eq!(t, ["\"silver\""]);
    let t = texts(&at_end("annotation.items > "));
    assert_eq!(t, ["3"], "ordering operators only get numbers");
    let t = texts(&at_end("annotation.vip = "));
    assert_eq!(t, ["true"]);
}

#[test]
fn users_groups_and_booleans_after_their_operator() {
    assert_eq!(texts(&at_end("user = \"")), ["\"alice\""]);
    assert_eq!(texts(&at_end("group.name = \"")), ["\"slow\""]);
    assert_eq!(texts(&at_end("fault = ")), ["true", "false"]);
}

#[test]
fn block_scope_changes_the_keywords() {
    let t = texts(&at_end("service(\"a\") { "));
    assert!(t.contains(&"root") && t.contains(&"name"));
    assert!(!t.contains(&"service(") && !t.contains(&"first"));
    let t = texts(&at_end("rootcause.responsetime.entity { "));
    assert!(t.contains(&"coverage") && t.contains(&"last"));
    assert!(!t.contains(&"fault"));
    let t = texts(&at_end("service(\"a\") { fault } "));
    assert!(
        t.contains(&"service("),
        "back at trace scope after the block"
    );
}

#[test]
fn after_a_complete_term_connectives_come_first() {
    let t = texts(&at_end("responsetime > 5 "));
    assert_eq!(&t[..2], ["AND", "OR"]);
}

#[test]
fn cursor_in_the_middle_uses_only_the_text_before_it() {
    let input = "resp AND fault";
    let c = complete(input, 4, &vocab());
    assert_eq!(c.replace, 0..4);
    assert_eq!(texts(&c).first(), Some(&"responsetime"));
    // Cursor past the end or inside a character is clamped.
    let c = complete("é", 1, &vocab());
    assert_eq!(c.replace, 0..0);
}

/// The app's vocabulary comes from the dataset's rows, fragments and samples without
/// assembling a trace: the same services, types, edges, users and annotation keys as walking
/// every trace and summary.
#[test]
fn the_dataset_vocabulary_matches_walking_every_trace() {
    let mut c = xray_tui::engine::dataset::Collector::new();
    xray_tui::source::file::load_owned(
        "demo",
        xray_tui::source::load::DEMO_NDJSON.into(),
        &mut |e| c.push(e),
    );
    let data = c.finish();
    let walked = Vocabulary::from_data(data.summaries(), data.traces.iter());
    let fast = Vocabulary::from_dataset(&data);
    assert!(walked.services.len() > 5 && walked.edges.len() > 5);
    assert_eq!(fast.services, walked.services);
    assert_eq!(fast.service_types, walked.service_types);
    assert_eq!(fast.edges, walked.edges);
    assert_eq!(fast.users, walked.users);
    let keys = |v: &Vocabulary| v.annotations.keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&fast), keys(&walked));
    for (k, values) in &fast.annotations {
        assert!(!values.is_empty(), "{k}");
        for v in values {
            assert!(walked.annotations[k].contains(v), "{k} = {v}");
        }
    }
}
