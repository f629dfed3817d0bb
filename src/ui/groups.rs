//! The groups overlay: name, where the group comes from, and its filter expression; the group
//! the list is filtered by is marked.

use super::theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use crate::app::App;
use crate::app::groups::{self, EMPTY, GroupsView};
use crate::app::palette::group_filter;
use crate::model::format::{fit, width};

/// Draws the groups list centred on `area`.
pub fn draw(frame: &mut Frame, app: &App, g: &GroupsView, area: Rect) {
    let t = &theme::of(app);
    let r = groups::area(area, app.groups.len());
    if r.height < 3 || r.width < 20 {
        return;
    }
    frame.render_widget(Clear, r);
    let block = t.bordered().title(" Groups ").title_bottom(Line::styled(
        " ↑↓ choose · Enter apply to the list and the map · Esc close ",
        t.dim(),
    ));
    let inner = block.inner(r);
    frame.render_widget(block, r);
    if app.groups.is_empty() {
        frame.render_widget(Paragraph::new(Line::styled(EMPTY, t.dim())), inner);
        return;
    }
    let name_w = app
        .groups
        .iter()
        .map(|x| width(&x.group_name))
        .max()
        .unwrap_or(4)
        .clamp(4, 30);
    let mut lines = vec![Line::styled(
        format!("  {:<name_w$} {:<7} FILTER EXPRESSION", "NAME", "SOURCE"),
        t.heading(),
    )];
    let rows = usize::from(inner.height.saturating_sub(1));
    let expr_w = usize::from(inner.width).saturating_sub(name_w + 11);
    for (i, grp) in app.groups.iter().enumerate().skip(g.offset).take(rows) {
        let applied = app.list.expr_text() == Some(group_filter(&grp.group_name));
        let expr = grp
            .filter_expression
            .as_deref()
            .filter(|e| !e.trim().is_empty())
            .unwrap_or("(every trace)");
        let mut line = Line::from(vec![
            Span::styled(if applied { "● " } else { "  " }, Style::new().fg(t.ok())),
            Span::styled(fit(&grp.group_name, name_w), t.heading()),
            Span::raw(" "),
            Span::styled(
                format!("{:<7} ", app.group_source(&grp.group_name)),
                t.dim(),
            ),
            Span::raw(fit(expr, expr_w)),
        ]);
        if i == g.selected {
            line = line.style(t.selected());
        }
        lines.push(line);
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
