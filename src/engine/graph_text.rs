//! placeholder
use crate::model::ServiceGraph;
/// placeholder
pub fn render_text(_g: &ServiceGraph) -> String {
    String::new()
}
/// placeholder
pub fn render_dot(_g: &ServiceGraph) -> String {
    String::new()
}
