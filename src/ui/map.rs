//! The service map: the layout from `engine::graph_layout` painted into the visible window of a
//! character canvas (edges as box-drawing lines with `▶` heads, nodes as boxes coloured by
//! health; compact boxes show the name and a key figure), markers on the edges of the window
//! where nodes lie outside it (`◀ 3`), plus a footer or sidebar with the selected node's
//! statistics (hidden with `p`).

use crate::model::format::{char_width, pad, truncate, width};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::bar;
use super::theme;
use super::theme::Styles;
use crate::app::App;
use crate::app::map::{Basis, Counts, Health, MapState, node_name, short_kind, split};
use crate::keys::{Action, Scope};
use crate::model::format::count;
use crate::model::time::format_duration;

const UP: u8 = 1;
const DOWN: u8 = 2;
const LEFT: u8 = 4;
const RIGHT: u8 = 8;

/// The colour of a health.
fn health_color(t: &Styles, h: Health) -> Color {
    match h {
        Health::Fault => t.fault(),
        Health::Error => t.error(),
        Health::Throttle => t.throttle(),
        Health::Ok => t.ok(),
        Health::Unknown => t.secondary(),
    }
}

fn line_char(bits: u8) -> char {
    match bits {
        b if b == LEFT | RIGHT || b == LEFT || b == RIGHT => '─',
        b if b == UP | DOWN || b == UP || b == DOWN => '│',
        b if b == DOWN | RIGHT => '┌',
        b if b == DOWN | LEFT => '┐',
        b if b == UP | RIGHT => '└',
        b if b == UP | LEFT => '┘',
        b if b == UP | DOWN | RIGHT => '├',
        b if b == UP | DOWN | LEFT => '┤',
        b if b == LEFT | RIGHT | DOWN => '┬',
        b if b == LEFT | RIGHT | UP => '┴',
        0 => ' ',
        _ => '┼',
    }
}

/// The visible window of the drawing.
/// The cell after a wide character: drawn by that character, so nothing is written for it.
const WIDE_REST: char = '\0';

struct Canvas {
    x0: usize,
    y0: usize,
    w: usize,
    h: usize,
    bits: Vec<u8>,
    /// Cells of a dashed line (a span link to another trace).
    dashed: Vec<bool>,
    /// Cells a call (not a link) runs through.
    solid: Vec<bool>,
    glyph: Vec<Option<char>>,
    style: Vec<Style>,
}

impl Canvas {
    fn new(x0: usize, y0: usize, w: usize, h: usize) -> Self {
        Canvas {
            x0,
            y0,
            w,
            h,
            bits: vec![0; w * h],
            dashed: vec![false; w * h],
            solid: vec![false; w * h],
            glyph: vec![None; w * h],
            style: vec![Style::new(); w * h],
        }
    }

    fn at(&self, x: usize, y: usize) -> Option<usize> {
        let (cx, cy) = (x.checked_sub(self.x0)?, y.checked_sub(self.y0)?);
        (cx < self.w && cy < self.h).then_some(cy * self.w + cx)
    }

    fn line(&mut self, x: usize, y: usize, bits: u8, style: Style) {
        if let Some(i) = self.at(x, y) {
            self.bits[i] |= bits;
            self.style[i] = style;
        }
    }

    fn put(&mut self, x: usize, y: usize, c: char, style: Style) {
        if let Some(i) = self.at(x, y) {
            self.glyph[i] = Some(c);
            self.style[i] = style;
        }
    }

    /// Writes `s` from `(x, y)` in at most `max` cells. A wide character (CJK, emoji) takes
    /// two cells: the second is marked [`WIDE_REST`] so that no other glyph lands in it.
    fn text(&mut self, x: usize, y: usize, s: &str, max: usize, style: Style) {
        let mut col = 0;
        for c in s.chars() {
            let w = char_width(c);
            if w == 0 {
                continue;
            }
            if col + w > max {
                break;
            }
            self.put(x + col, y, c, style);
            if w == 2 {
                self.put(x + col + 1, y, WIDE_REST, style);
            }
            col += w;
        }
    }

    /// Writes `s` over whatever is drawn at column `col`, row `row` of the window (not of the
    /// drawing), clearing the halves of wide characters it cuts.
    fn overlay(&mut self, col: usize, row: usize, s: &str, style: Style) {
        if row >= self.h || col >= self.w {
            return;
        }
        let i = row * self.w + col;
        if col > 0 && self.glyph[i] == Some(WIDE_REST) {
            self.glyph[i - 1] = Some(' ');
        }
        let end = (col + width(s)).min(self.w);
        if end < self.w && self.glyph[row * self.w + end] == Some(WIDE_REST) {
            self.glyph[row * self.w + end] = Some(' ');
        }
        self.text(self.x0 + col, self.y0 + row, s, self.w - col, style);
    }

    fn lines(self) -> Vec<Line<'static>> {
        (0..self.h)
            .map(|r| {
                let mut spans: Vec<Span<'static>> = Vec::new();
                let mut cur = String::new();
                let mut cur_style = Style::new();
                for c in 0..self.w {
                    let i = r * self.w + c;
                    let ch = self.glyph[i].unwrap_or_else(|| {
                        match (line_char(self.bits[i]), self.dashed[i]) {
                            ('─', true) => '┄',
                            ('│', true) => '┆',
                            (c, _) => c,
                        }
                    });
                    if ch == WIDE_REST {
                        // The right half of the wide character before it.
                        continue;
                    }
                    if self.style[i] != cur_style && !cur.is_empty() {
                        spans.push(Span::styled(std::mem::take(&mut cur), cur_style));
                    }
                    cur_style = self.style[i];
                    cur.push(ch);
                }
                if !cur.is_empty() {
                    spans.push(Span::styled(cur, cur_style));
                }
                Line::from(spans)
            })
            .collect()
    }
}

/// `F 3.2% E 6.3%`: the failure rates that are not zero; `ok` when all are.
fn rates(c: &Counts) -> String {
    let parts: Vec<String> = [("F", c.faults), ("E", c.errors), ("T", c.throttles)]
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(k, n)| format!("{k}{:.0}%", c.pct(*n).clamp(1.0, 100.0)))
        .collect();
    if parts.is_empty() {
        if c.total > 0 {
            "ok".into()
        } else {
            String::new()
        }
    } else {
        parts.join(" ")
    }
}

/// The figure a compact box shows under its name: requests, then the failure rates that fit
/// (`384 req F4% E4%`, or `384 F4% E4% T6%` when that shows more), then the average response
/// time on the right where there is room.
fn figure(c: &Counts, iw: usize) -> String {
    let fig = counts_figure(c, iw);
    match c.avg().map(format_duration) {
        Some(avg) if width(&fig) + 1 + width(&avg) <= iw => {
            format!("{}{avg}", pad(&fig, iw - width(&avg)))
        }
        _ => fig,
    }
}

/// Requests and failure rates in at most `iw` cells, for [`figure`].
fn counts_figure(c: &Counts, iw: usize) -> String {
    let rates: Vec<String> = [("F", c.faults), ("E", c.errors), ("T", c.throttles)]
        .iter()
        .filter(|(_, n)| *n > 0)
        .map(|(k, n)| format!("{k}{:.0}%", c.pct(*n).clamp(1.0, 100.0)))
        .collect();
    let mut best = String::new();
    for unit in [" req", ""] {
        let mut out = format!("{}{unit}", c.total);
        let mut all = true;
        for r in &rates {
            if width(&out) + 1 + width(r) <= iw {
                out.push(' ');
                out.push_str(r);
            } else {
                all = false;
                break;
            }
        }
        if width(&out) <= iw && (all || unit.is_empty()) {
            return out;
        }
        if best.is_empty() {
            best = out;
        }
    }
    truncate(&best, iw)
}

/// A name too long for one line of `iw` cells, over two: cut after a separator (`-`, `/`,
/// `.`, `@`, `_`, `:`) in the second half of the first line when there is one; the second
/// line ends in `…` when the name is longer still.
fn wrap_name(name: &str, iw: usize) -> (String, String) {
    let mut cut = 0; // byte index where the first line ends
    let mut cells = 0;
    let mut at_sep = None;
    for (i, c) in name.char_indices() {
        let w = char_width(c);
        if cells + w > iw {
            break;
        }
        cells += w;
        cut = i + c.len_utf8();
        if "-/.@_:".contains(c) && cells * 2 >= iw {
            at_sep = Some(cut);
        }
    }
    let cut = at_sep.filter(|&b| b < name.len()).unwrap_or(cut);
    let (a, b) = name.split_at(cut);
    (a.to_owned(), truncate(b, iw))
}

fn draw_canvas(t: &Styles, m: &MapState, area: Rect) -> Vec<Line<'static>> {
    let (w, h) = (usize::from(area.width), usize::from(area.height));
    let mut cv = Canvas::new(m.offset.0, m.offset.1, w, h);
    // Edges: the selected one last, so it stays on top where lines share cells.
    let mut order: Vec<usize> = (0..m.layout.edges.len()).collect();
    if let Some(e) = m.edge {
        order.retain(|&r| r != e);
        order.push(e);
    }
    for r in order {
        let Some(route) = m.layout.edges.get(r) else {
            continue;
        };
        let selected = m.edge == Some(r);
        let dashed = m
            .graph
            .services
            .get(route.from)
            .and_then(|s| s.edges.get(route.edge))
            .is_some_and(crate::app::map::is_link);
        let c = m.edge_counts(r);
        let style = if selected {
            Style::new().fg(t.accent()).add_modifier(Modifier::BOLD)
        } else {
            match c.health() {
                Health::Ok | Health::Unknown => t.dim(),
                hl => Style::new().fg(health_color(t, hl)),
            }
        };
        let cells = route.cells();
        for (k, &(x, y)) in cells.iter().enumerate() {
            let mut bits = 0;
            for n in [
                k.checked_sub(1).and_then(|p| cells.get(p)),
                cells.get(k + 1),
            ]
            .into_iter()
            .flatten()
            {
                bits |= if n.0 < x {
                    LEFT
                } else if n.0 > x {
                    RIGHT
                } else if n.1 < y {
                    UP
                } else {
                    DOWN
                };
            }
            if k == 0 {
                // Towards the source box.
                bits |= if route.reversed { RIGHT } else { LEFT };
            }
            cv.line(x, y, bits, style);
            // A cell a call also runs through stays solid.
            if let Some(i) = cv.at(x, y) {
                cv.solid[i] |= !dashed;
                cv.dashed[i] = !cv.solid[i];
            }
        }
        if let Some(&(x, y)) = cells.last() {
            cv.put(x, y, if route.reversed { '◀' } else { '▶' }, style);
        }
    }
    for b in &m.layout.boxes {
        let Some(s) = m.graph.services.get(b.node) else {
            continue;
        };
        let c = m.counts.get(b.node).copied().unwrap_or_default();
        let selected = b.node == m.selected;
        let color = health_color(t, c.health());
        let mut border = Style::new().fg(color);
        let mut inner = Style::new();
        if selected {
            border = border.patch(t.selected());
            inner = t.selected();
        }
        let (tl, tr, bl, br, hz, vt) = if selected {
            ('╔', '╗', '╚', '╝', '═', '║')
        } else {
            ('╭', '╮', '╰', '╯', '─', '│')
        };
        let (x1, y1) = (b.x + b.w - 1, b.y + b.h - 1);
        for x in b.x..=x1 {
            for y in b.y..=y1 {
                let ch = match (x == b.x, x == x1, y == b.y, y == y1) {
                    (true, _, true, _) => tl,
                    (_, true, true, _) => tr,
                    (true, _, _, true) => bl,
                    (_, true, _, true) => br,
                    (_, _, true, _) | (_, _, _, true) => hz,
                    (true, _, _, _) | (_, true, _, _) => vt,
                    _ => ' ',
                };
                let st = if ch == ' ' { inner } else { border };
                cv.put(x, y, ch, st);
            }
        }
        let iw = b.w.saturating_sub(2);
        let name_style = inner.fg(color).add_modifier(Modifier::BOLD);
        let figure_style = inner.fg(if c.health() == Health::Ok {
            t.secondary()
        } else {
            color
        });
        if m.options.is_compact() {
            let name = node_name(s);
            let kind = short_kind(s.kind.as_deref());
            let fig = if c.total > 0 || s.summary_statistics.is_some() {
                figure(&c, iw)
            } else {
                kind.clone()
            };
            let mut lines = vec![(truncate(&name, iw), name_style)];
            match b.h.saturating_sub(2) {
                0 | 1 => {}
                2 => lines.push((fig, figure_style)),
                _ => {
                    if width(&name) > iw {
                        let (a, rest) = wrap_name(&name, iw);
                        lines[0].0 = a;
                        lines.push((rest, name_style));
                    } else {
                        lines.push((truncate(&kind, iw), inner));
                    }
                    lines.push((fig, figure_style));
                }
            }
            for (k, (text, style)) in lines.iter().enumerate() {
                cv.text(b.x + 1, b.y + 1 + k, text, iw, *style);
            }
            continue;
        }
        cv.text(
            b.x + 1,
            b.y + 1,
            &truncate(&node_name(s), iw),
            iw,
            name_style,
        );
        let kind = short_kind(s.kind.as_deref());
        let req = if c.total > 0 || s.summary_statistics.is_some() {
            let long = format!("{kind} · {} req", c.total);
            if width(&long) <= iw {
                long
            } else {
                format!("{kind} {} req", c.total)
            }
        } else {
            kind
        };
        if b.h > 3 {
            cv.text(b.x + 1, b.y + 2, &truncate(&req, iw), iw, inner);
        }
        if b.h > 4 {
            let avg = c.avg().map(format_duration).unwrap_or_default();
            let r = rates(&c);
            let third = if width(&avg) + 1 + width(&r) <= iw {
                format!("{}{r}", pad(&avg, iw - width(&r)))
            } else {
                r
            };
            cv.text(b.x + 1, b.y + 3, &third, iw, figure_style);
        }
    }
    // Markers where nodes lie outside the window: `◀ 3` at the left edge, `3 ▶` at the right,
    // `▲ 2` and `▼ 5` on the top and bottom rows.
    let [left, right, up, down] = m.outside((w, h));
    let marker = Style::new()
        .fg(t.accent())
        .add_modifier(Modifier::BOLD | Modifier::REVERSED);
    let mid_row = h / 2;
    if left > 0 {
        cv.overlay(0, mid_row, &format!("◀ {left}"), marker);
    }
    if right > 0 {
        let s = format!("{right} ▶");
        cv.overlay(w.saturating_sub(width(&s)), mid_row, &s, marker);
    }
    if up > 0 {
        let s = format!("▲ {up}");
        cv.overlay((w.saturating_sub(width(&s))) / 2, 0, &s, marker);
    }
    if down > 0 {
        let s = format!("▼ {down}");
        cv.overlay(
            (w.saturating_sub(width(&s))) / 2,
            h.saturating_sub(1),
            &s,
            marker,
        );
    }
    cv.lines()
}

fn rate_spans(t: &Styles, c: &Counts) -> Vec<Span<'static>> {
    let mut v = Vec::new();
    for (what, n, col) in [
        ("faults", c.faults, t.fault()),
        ("errors", c.errors, t.error()),
        ("throttles", c.throttles, t.throttle()),
    ] {
        let st = if n > 0 {
            Style::new().fg(col).add_modifier(Modifier::BOLD)
        } else {
            t.dim()
        };
        if !v.is_empty() {
            v.push(Span::styled(" · ", t.dim()));
        }
        let what = if n == 1 {
            what.trim_end_matches('s')
        } else {
            what
        };
        v.push(Span::styled(format!("{n} {what} ({:.1}%)", c.pct(n)), st));
    }
    v
}

fn volume(c: &Counts) -> String {
    match c.avg() {
        Some(a) => format!("{} req · avg {}", c.total, format_duration(a)),
        None => format!("{} req", c.total),
    }
}

/// The statistics: the node (name, type, requests, latency, failure rates), then the selected
/// edge, or the node's failing calls worst first. `rows` lines at most (the sidebar has more).
fn info_lines(t: &Styles, m: &MapState, rows: usize) -> Vec<Line<'static>> {
    let mut out = Vec::new();
    let name = |i: usize| m.graph.services.get(i).map(node_name).unwrap_or_default();
    if let Some(s) = m.node() {
        let c = m.counts.get(m.selected).copied().unwrap_or_default();
        out.push(Line::from(vec![
            Span::styled(
                format!("{} ", node_name(s)),
                Style::new()
                    .fg(health_color(t, c.health()))
                    .add_modifier(Modifier::BOLD),
            ),
            Span::styled(format!("{} ", s.kind.as_deref().unwrap_or("-")), t.dim()),
            Span::raw(volume(&c)),
        ]));
        out.push(Line::from(rate_spans(t, &c)));
    }
    match m.edge.and_then(|e| m.layout.edges.get(e).map(|r| (e, r))) {
        Some((e, r)) => {
            let c = m.edge_counts(e);
            let mut l = vec![Span::styled(
                format!("call → {}: ", name(r.to)),
                Style::new().fg(t.accent()).add_modifier(Modifier::BOLD),
            )];
            l.push(Span::raw(format!("{} ", volume(&c))));
            l.extend(rate_spans(t, &c));
            out.push(Line::from(l));
        }
        None => {
            let worst = m.worst_edges();
            if worst.is_empty() {
                out.push(Line::styled("no failing calls in or out", t.dim()));
            }
            let per_line = rows.saturating_sub(out.len()) > 3;
            let mut l: Vec<Span<'static>> = Vec::new();
            for &r in worst.iter().take(if per_line { 8 } else { 3 }) {
                let Some(e) = m.layout.edges.get(r) else {
                    continue;
                };
                let c = m.edge_counts(r);
                let other = if e.from == m.selected {
                    format!("→ {} ", name(e.to))
                } else {
                    format!("← {} ", name(e.from))
                };
                if !per_line && !l.is_empty() {
                    l.push(Span::styled("│ ", t.dim()));
                }
                l.push(Span::raw(other));
                l.push(Span::styled(
                    format!("{}F {}E {}T ", c.faults, c.errors, c.throttles),
                    Style::new().fg(health_color(t, c.health())),
                ));
                if per_line {
                    out.push(Line::from(std::mem::take(&mut l)));
                }
            }
            if !l.is_empty() {
                out.push(Line::from(l));
            }
        }
    }
    out
}

/// Draws the header, the drawing and the statistics.
pub fn draw(frame: &mut Frame, app: &App, header: Rect, body: Rect) {
    let Some(m) = app.map.as_ref() else {
        return;
    };
    let t = &theme::of(app);
    let mut head = vec![Span::styled(
        match &m.trace_id {
            Some(id) => format!(" Trace map {id} "),
            None => " Service map ".to_owned(),
        },
        t.heading(),
    )];
    head.push(bar(t));
    head.push(Span::raw(" "));
    head.extend(basis_spans(t, m));
    let nodes = count(m.graph.services.len(), "node", "nodes");
    let nodes_at = head.len();
    head.push(Span::raw(format!(
        "{nodes}, {} ",
        count(m.layout.edges.len(), "edge", "edges")
    )));
    head.push(bar(t));
    head.push(Span::raw(" "));
    match m.most_faults {
        Some((i, n)) => head.push(Span::styled(
            format!(
                "most faults: {} ({n})",
                m.graph.services.get(i).map(node_name).unwrap_or_default()
            ),
            Style::new().fg(t.fault()).add_modifier(Modifier::BOLD),
        )),
        None => head.push(Span::styled("no faults", Style::new().fg(t.ok()))),
    }
    // Short of room, the edge count goes first.
    let used: usize = head.iter().map(|s| width(&s.content)).sum();
    if used > usize::from(header.width) {
        head[nodes_at] = Span::raw(format!("{nodes} "));
    }
    let key = |a: Action| first_key(app, a);
    if m.options.is_compact() {
        head.push(Span::styled(
            format!(" │ compact boxes ({}: full size)", key(Action::Fit)),
            t.dim(),
        ));
    }
    if !m.view.panel {
        head.push(Span::styled(
            format!(" │ {}: details", key(Action::Panel)),
            t.dim(),
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(head)), header);

    let (canvas, info) = split(body, m.view.panel);
    frame.render_widget(Paragraph::new(draw_canvas(t, m, canvas)), canvas);
    if info.height == 0 {
        // The panel is hidden.
    } else if canvas.height == body.height {
        // Sidebar: one fact per line.
        let mut lines = info_lines(t, m, usize::from(info.height).saturating_sub(4));
        lines.push(Line::raw(""));
        let moves: String = [Action::Left, Action::Down, Action::Up, Action::Right]
            .into_iter()
            .map(key)
            .collect();
        lines.push(Line::styled(format!("{:<10} nearest node", moves), t.dim()));
        for (a, what) in [
            (Action::NextTab, "next node"),
            (Action::NextEdge, "next call out"),
            (Action::NextProblem, "next failing node"),
            (Action::Open, "its traces"),
            (Action::Top, "entry point"),
            (Action::Fit, "fit / full size"),
            (Action::Panel, "hide this panel"),
            (Action::Back, "back"),
        ] {
            lines.push(Line::styled(format!("{:<10} {what}", key(a)), t.dim()));
        }
        let block = Block::new().borders(Borders::LEFT).border_style(t.dim());
        frame.render_widget(
            Paragraph::new(lines)
                .wrap(Wrap { trim: false })
                .block(block),
            info,
        );
    } else {
        let lines = info_lines(t, m, 3);
        let block = Block::new().borders(Borders::TOP).border_style(t.dim());
        frame.render_widget(Paragraph::new(lines).block(block), info);
    }
}

/// What the map is drawn from, for the header: `from 387 traces: `, `from 1 of 388 traces
/// (387 summaries only, not drawn): `, `from 12 traces matching …: `.
fn basis_spans(t: &Styles, m: &MapState) -> Vec<Span<'static>> {
    let mut v = Vec::new();
    match &m.basis {
        Basis::Trace => {}
        Basis::GraphFile => v.push(Span::raw("from a service graph file: ")),
        Basis::ServiceGraph => v.push(Span::raw("from X-Ray's graph of the window: ")),
        Basis::Traces { drawn, listed } => {
            let traces = if drawn == listed {
                count(*drawn, "trace", "traces")
            } else {
                format!("{drawn} of {}", count(*listed, "trace", "traces"))
            };
            v.push(Span::raw(format!("from {traces}")));
            if let Some(f) = &m.filter {
                v.push(Span::styled(
                    format!(" matching {f}"),
                    Style::new().fg(t.accent()),
                ));
            }
            let left_out = m.basis.left_out();
            if left_out > 0 {
                v.push(Span::styled(
                    format!(
                        " ({} only, not drawn)",
                        count(left_out, "summary", "summaries")
                    ),
                    Style::new().fg(t.throttle()),
                ));
            }
            v.push(Span::raw(": "));
        }
    }
    v
}

/// The first key bound to `action` on the map (as the help writes it), or `-` when unbound.
fn first_key(app: &App, action: Action) -> String {
    let bound = |scope: Scope| {
        app.keymap
            .bindings()
            .iter()
            .find(|b| b.scope == scope && b.action == action)
            .and_then(|b| b.keys.first())
            .map(|k| k.label())
    };
    bound(Scope::Map)
        .or_else(|| bound(Scope::Global))
        .unwrap_or_else(|| "-".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_names_wrap_after_a_separator_and_wide_characters_count_two() {
        let two = |a: &str, b: &str| (a.to_owned(), b.to_owned());
        assert_eq!(
            wrap_name("shop-catalog-feeds", 10),
            two("shop-", "catalog-f…")
        );
        assert_eq!(
            wrap_name("api.stripe.example", 10),
            two("api.stripe", ".example")
        );
        assert_eq!(wrap_name("orderservice", 8), two("orderser", "vice"));
        assert_eq!(wrap_name("注文サービス", 7), two("注文サ", "ービス"));
        assert_eq!(wrap_name("ab", 8), two("ab", ""));
    }

    #[test]
    fn a_compact_figure_keeps_the_rates_before_the_unit() {
        let c = Counts {
            total: 384,
            ok: 330,
            errors: 16,
            throttles: 22,
            faults: 14,
            total_time: 384.0 * 0.114,
        };
        assert_eq!(figure(&c, 10), "384 F4%");
        assert_eq!(figure(&c, 15), "384 F4% E4% T6%");
        assert_eq!(figure(&c, 25), "384 req F4% E4% T6% 114ms");
        assert_eq!(figure(&c, 24), "384 req F4% E4% T6%");
        assert_eq!(figure(&Counts::default(), 10), "0 req");
    }
}
