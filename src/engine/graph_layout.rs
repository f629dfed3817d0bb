//! A layered (Sugiyama-style) layout of a service graph on a grid of character cells, for the
//! TUI's service map.
//!
//! Why here and not in the UI: the geometry is the hard part of the map and it is pure — boxes
//! and polylines in cell coordinates — so it is unit- and property-tested without a terminal,
//! and the drawing code only paints what this module decided.
//!
//! Steps:
//! 1. **Cycles.** A depth-first search from the clients and roots (then every other node, in
//!    graph order) marks the edges that close a cycle; they are laid out reversed and drawn
//!    right to left. Self-calls are kept as [`EdgeRoute`]s without points.
//! 2. **Layers.** Longest path from the sources, so every edge goes at least one layer right.
//! 3. **Dummies.** An edge spanning several layers gets a one-row placeholder in each layer it
//!    crosses, so it passes through a free channel instead of through boxes.
//! 4. **Order.** A few barycenter sweeps (down then up) reorder each layer to reduce crossings;
//!    the order with the fewest crossings wins.
//! 5. **Coordinates.** Layers are columns, left to right; items are stacked top to bottom, each
//!    pulled towards the rows of its predecessors so straight chains stay straight.
//! 6. **Routing.** Each edge leaves the right side of its source box, runs to a vertical channel
//!    of its own in the gap after the layer, and enters the left side of the next item; the last
//!    point is the cell just left of the target box, where the arrow head goes.
//!
//! Everything is deterministic: the same graph and options give the same layout.

use std::collections::HashMap;

use crate::model::ServiceGraph;

/// Sizes of the drawing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LayoutOptions {
    /// Narrowest box interior (cells), room for the statistics lines.
    pub min_inner: usize,
    /// Widest box interior; longer names are truncated to it.
    pub max_inner: usize,
    /// Box height, borders included.
    pub box_height: usize,
    /// Narrowest gap between two layers.
    pub min_gap: usize,
    /// Empty rows between two items of a layer.
    pub row_gap: usize,
}

impl Default for LayoutOptions {
    fn default() -> Self {
        LayoutOptions {
            min_inner: 18,
            max_inner: 22,
            box_height: 5,
            min_gap: 6,
            row_gap: 1,
        }
    }
}

impl LayoutOptions {
    /// Box widths from the roomiest to the most compact, for [`fit`]: `(min_inner, max_inner,
    /// min_gap)`.
    pub const WIDTHS: [(usize, usize, usize); 5] = [
        (18, 22, 6),
        (14, 18, 4),
        (12, 14, 3),
        (10, 12, 3),
        (8, 10, 3),
    ];
    /// Box heights from the roomiest to the most compact, for [`fit`].
    pub const HEIGHTS: [usize; 3] = [5, 4, 3];

    /// Whether the boxes are smaller than the default ones (the drawing then shows less in
    /// each: the name, and a key figure where there is room).
    pub fn is_compact(&self) -> bool {
        let d = LayoutOptions::default();
        self.max_inner < d.max_inner || self.box_height < d.box_height
    }
}

/// The roomiest layout of `graph` that fits `w` × `h` cells, and its options. Box widths shrink
/// (from [`LayoutOptions::WIDTHS`]) until the drawing is narrow enough, then box heights (from
/// [`LayoutOptions::HEIGHTS`]) until it is low enough; where even the most compact boxes do
/// not fit, the most compact ones are used in that direction (the rest is scrolled to).
pub fn fit(graph: &ServiceGraph, w: usize, h: usize) -> (LayoutOptions, MapLayout) {
    let opts =
        |(min_inner, max_inner, min_gap): (usize, usize, usize), box_height: usize| LayoutOptions {
            min_inner,
            max_inner,
            box_height,
            min_gap,
            ..LayoutOptions::default()
        };
    let tallest = LayoutOptions::HEIGHTS[0];
    let mut chosen = None;
    for size in LayoutOptions::WIDTHS {
        let o = opts(size, tallest);
        let m = layout(graph, &o);
        let fits = m.width <= w;
        chosen = Some((size, o, m));
        if fits {
            break;
        }
    }
    let Some((size, mut o, mut m)) = chosen else {
        return (
            LayoutOptions::default(),
            layout(graph, &LayoutOptions::default()),
        );
    };
    for &bh in &LayoutOptions::HEIGHTS[1..] {
        if m.height <= h {
            break;
        }
        o = opts(size, bh);
        m = layout(graph, &o);
    }
    (o, m)
}

/// A node's box, borders included. Cells `x..x + w`, `y..y + h`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeBox {
    /// Index of the node in `graph.services`.
    pub node: usize,
    /// Column of the layer it is in (0 = leftmost).
    pub layer: usize,
    /// Left column.
    pub x: usize,
    /// Top row.
    pub y: usize,
    /// Width.
    pub w: usize,
    /// Height.
    pub h: usize,
}

impl NodeBox {
    /// Whether the cell `(x, y)` is inside the box (borders included).
    pub fn contains(&self, x: usize, y: usize) -> bool {
        (self.x..self.x + self.w).contains(&x) && (self.y..self.y + self.h).contains(&y)
    }

    /// Whether two boxes share a cell.
    pub fn overlaps(&self, o: &NodeBox) -> bool {
        self.x < o.x + o.w && o.x < self.x + self.w && self.y < o.y + o.h && o.y < self.y + self.h
    }

    /// The centre cell.
    pub fn center(&self) -> (usize, usize) {
        (self.x + self.w / 2, self.y + self.h / 2)
    }
}

/// One edge of the graph, routed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeRoute {
    /// Index of the source node in `graph.services`.
    pub from: usize,
    /// Index of the target node in `graph.services`.
    pub to: usize,
    /// Index of the edge in the source's `edges`.
    pub edge: usize,
    /// The path, as corner points `(x, y)`; consecutive points share a row or a column. The
    /// first point is the cell next to the source box, the last the cell next to the target box
    /// (the arrow head). Empty for a self-call.
    pub points: Vec<(usize, usize)>,
    /// The edge closes a cycle and runs right to left (its arrow points left).
    pub reversed: bool,
}

impl EdgeRoute {
    /// Every cell the path covers, in order, each once.
    pub fn cells(&self) -> Vec<(usize, usize)> {
        let mut out: Vec<(usize, usize)> = Vec::new();
        for w in self.points.windows(2) {
            let ((x0, y0), (x1, y1)) = (w[0], w[1]);
            let n = x0.abs_diff(x1).max(y0.abs_diff(y1));
            for i in 0..=n {
                let step = |a: usize, b: usize| {
                    if b >= a {
                        a + i.min(b - a)
                    } else {
                        a - i.min(a - b)
                    }
                };
                let c = (step(x0, x1), step(y0, y1));
                if out.last() != Some(&c) {
                    out.push(c);
                }
            }
        }
        if out.is_empty() {
            out.extend(self.points.first().copied());
        }
        out
    }
}

/// The laid-out graph.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MapLayout {
    /// One box per node, in `graph.services` order.
    pub boxes: Vec<NodeBox>,
    /// One route per edge whose target is in the graph, by source then edge order.
    pub edges: Vec<EdgeRoute>,
    /// Width of the drawing in cells.
    pub width: usize,
    /// Height of the drawing in cells.
    pub height: usize,
}

impl MapLayout {
    /// Node indices in reading order: layer by layer, top to bottom.
    pub fn reading_order(&self) -> Vec<usize> {
        let mut v: Vec<usize> = (0..self.boxes.len()).collect();
        v.sort_by_key(|&i| (self.boxes[i].layer, self.boxes[i].y, i));
        v
    }
}

/// An item of a layer: a node's box or the placeholder of a long edge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Item {
    Node(usize),
    Dummy(usize),
}

/// A hop of a laid-out (possibly reversed) edge between adjacent layers.
#[derive(Debug, Clone, Copy)]
struct Hop {
    from: Item,
    to: Item,
}

/// The name a box shows, for its width.
fn label_len(graph: &ServiceGraph, i: usize) -> usize {
    graph.services.get(i).map_or(1, |s| {
        s.name
            .as_deref()
            .or(s.names.first().map(String::as_str))
            .map_or(4, crate::model::format::width)
    })
}

/// Lays `graph` out. See the module documentation for the steps.
pub fn layout(graph: &ServiceGraph, opts: &LayoutOptions) -> MapLayout {
    let n = graph.services.len();
    if n == 0 {
        return MapLayout::default();
    }
    let opts = LayoutOptions {
        box_height: opts.box_height.max(3),
        min_inner: opts.min_inner.max(1),
        max_inner: opts.max_inner.max(opts.min_inner.max(1)),
        min_gap: opts.min_gap.max(3),
        ..*opts
    };
    let index: HashMap<i64, usize> = graph
        .services
        .iter()
        .enumerate()
        .map(|(i, s)| (s.reference_id, i))
        .collect();
    // (from, to, edge index); edges to unknown nodes are left out.
    let mut edges: Vec<(usize, usize, usize)> = Vec::new();
    for (i, s) in graph.services.iter().enumerate() {
        for (k, e) in s.edges.iter().enumerate() {
            if let Some(&j) = index.get(&e.reference_id) {
                edges.push((i, j, k));
            }
        }
    }
    let reversed = back_edges(graph, n, &edges);
    // The DAG used for layout: (u, v) with u laid left of v.
    let dag: Vec<(usize, usize)> = edges
        .iter()
        .zip(&reversed)
        .filter(|((u, v, _), _)| u != v)
        .map(|(&(u, v, _), &r)| if r { (v, u) } else { (u, v) })
        .collect();
    let layer = longest_path_layers(n, &dag);
    let nlayers = layer.iter().copied().max().unwrap_or(0) + 1;

    // Layers with dummies; each laid-out edge becomes a chain of hops.
    let mut layers: Vec<Vec<Item>> = vec![Vec::new(); nlayers];
    for (i, &l) in layer.iter().enumerate() {
        layers[l].push(Item::Node(i));
    }
    let mut dummy_layer: Vec<usize> = Vec::new();
    let mut chains: Vec<Vec<Hop>> = Vec::new();
    for &(u, v) in &dag {
        let mut prev = Item::Node(u);
        let mut hops = Vec::new();
        for (l, items) in layers
            .iter_mut()
            .enumerate()
            .take(layer[v])
            .skip(layer[u] + 1)
        {
            let d = Item::Dummy(dummy_layer.len());
            dummy_layer.push(l);
            items.push(d);
            hops.push(Hop { from: prev, to: d });
            prev = d;
        }
        hops.push(Hop {
            from: prev,
            to: Item::Node(v),
        });
        chains.push(hops);
    }
    let all_hops: Vec<Hop> = chains.iter().flatten().copied().collect();
    order_layers(&mut layers, &all_hops);

    // Widths and columns.
    let box_w: Vec<usize> = (0..n)
        .map(|i| label_len(graph, i).clamp(opts.min_inner, opts.max_inner) + 2)
        .collect();
    let layer_w: Vec<usize> = layers
        .iter()
        .map(|items| {
            items
                .iter()
                .map(|it| match it {
                    Item::Node(i) => box_w[*i],
                    Item::Dummy(_) => 1,
                })
                .max()
                .unwrap_or(1)
        })
        .collect();
    let item_h = |it: Item| match it {
        Item::Node(_) => opts.box_height,
        Item::Dummy(_) => 1,
    };

    // Rows: stack each layer, pulling items towards their predecessors' middle rows.
    let mut node_y = vec![0usize; n];
    let mut dummy_y = vec![0usize; dummy_layer.len()];
    let mid = |it: Item, node_y: &[usize], dummy_y: &[usize]| match it {
        Item::Node(i) => node_y[i] + opts.box_height / 2,
        Item::Dummy(d) => dummy_y[d],
    };
    for (l, items) in layers.iter().enumerate() {
        let mut next_free = 0usize;
        // Rows where the items of the layer before send their calls: a long edge passing here
        // on one of them would run into that trunk.
        let busy: Vec<usize> = match l.checked_sub(1) {
            Some(p) => layers[p]
                .iter()
                .map(|&it| mid(it, &node_y, &dummy_y))
                .collect(),
            None => Vec::new(),
        };
        for &it in items {
            let preds: Vec<usize> = all_hops
                .iter()
                .filter(|h| h.to == it)
                .map(|h| mid(h.from, &node_y, &dummy_y))
                .collect();
            let half = item_h(it) / 2;
            let want = if l == 0 || preds.is_empty() {
                0
            } else {
                (preds.iter().sum::<usize>() / preds.len()).saturating_sub(half)
            };
            let mut y = want.max(next_free);
            if let Item::Dummy(_) = it {
                while busy.contains(&y) && !preds.contains(&y) {
                    y += 1;
                }
            }
            match it {
                Item::Node(i) => node_y[i] = y,
                Item::Dummy(d) => dummy_y[d] = y,
            }
            next_free = y + item_h(it) + opts.row_gap;
        }
    }

    // Ports. Every item sends all its hops from one row (the middle of a box), so the calls of
    // a node fan out from one trunk. Hops enter a box on its inner rows, spread out, avoiding the
    // rows where items of the layer before send their trunks (else the lines would merge), and
    // straight when the source's row allows it.
    let inner_rows = opts.box_height - 2;
    let item_top = |it: Item| match it {
        Item::Node(i) => node_y[i],
        Item::Dummy(d) => dummy_y[d],
    };
    let out_row = |it: Item| match it {
        Item::Node(i) => node_y[i] + 1 + (inner_rows - 1) / 2,
        Item::Dummy(d) => dummy_y[d],
    };
    let out_port: Vec<usize> = all_hops.iter().map(|h| out_row(h.from)).collect();
    let mut in_port: Vec<usize> = vec![0; all_hops.len()];
    for (l, items) in layers.iter().enumerate() {
        let busy: Vec<usize> = match l.checked_sub(1) {
            Some(p) => layers[p].iter().map(|&it| out_row(it)).collect(),
            None => Vec::new(),
        };
        for &it in items {
            let mut ins: Vec<usize> = (0..all_hops.len())
                .filter(|&h| all_hops[h].to == it)
                .collect();
            ins.sort_by_key(|&h| (out_port[h], item_top(all_hops[h].from), h));
            let Item::Node(_) = it else {
                for &h in &ins {
                    in_port[h] = item_top(it);
                }
                continue;
            };
            let top = item_top(it);
            let all: Vec<usize> = (top + 1..top + 1 + inner_rows).collect();
            let own: Vec<usize> = ins.iter().map(|&h| out_port[h]).collect();
            let free: Vec<usize> = all
                .iter()
                .copied()
                .filter(|r| !busy.contains(r) || own.contains(r))
                .collect();
            let rows = if free.len() >= ins.len() { free } else { all };
            let k = ins.len();
            for (idx, &h) in ins.iter().enumerate() {
                in_port[h] = if k == 1 {
                    let want = out_port[h];
                    rows.iter()
                        .copied()
                        .min_by_key(|&r| (r.abs_diff(want), r))
                        .unwrap_or(top + 1)
                } else if k <= rows.len() {
                    rows[idx * (rows.len() - 1) / (k - 1)]
                } else {
                    top + 1 + idx * inner_rows / k
                };
            }
        }
    }

    // Channels: in each gap, the hops of one item share a vertical column (a fan-out); items
    // whose row spans are apart share a column too.
    let hop_layer = |h: &Hop| match h.from {
        Item::Node(i) => layer[i],
        Item::Dummy(d) => dummy_layer[d],
    };
    let mut channel: Vec<usize> = vec![0; all_hops.len()];
    let mut gap_w: Vec<usize> = vec![opts.min_gap; nlayers];
    for (l, gw) in gap_w.iter_mut().enumerate() {
        let mut groups: Vec<(usize, usize, Vec<usize>)> = Vec::new();
        for &it in &layers[l] {
            let hs: Vec<usize> = (0..all_hops.len())
                .filter(|&h| all_hops[h].from == it && out_port[h] != in_port[h])
                .collect();
            if hs.is_empty() {
                continue;
            }
            let rows = hs.iter().flat_map(|&h| [out_port[h], in_port[h]]);
            let lo = rows.clone().min().unwrap_or(0);
            let hi = rows.max().unwrap_or(0);
            groups.push((lo, hi, hs));
        }
        groups.sort();
        let mut ends: Vec<usize> = Vec::new();
        for (lo, hi, hs) in groups {
            let c = match ends.iter().position(|&e| e + 1 < lo) {
                Some(c) => c,
                None => {
                    ends.push(0);
                    ends.len() - 1
                }
            };
            ends[c] = hi;
            for h in hs {
                channel[h] = c;
            }
        }
        *gw = (*gw).max(ends.len() + 3);
    }
    let mut layer_x = vec![0usize; nlayers];
    for l in 1..nlayers {
        layer_x[l] = layer_x[l - 1] + layer_w[l - 1] + gap_w[l - 1];
    }

    // Boxes.
    let boxes: Vec<NodeBox> = (0..n)
        .map(|i| NodeBox {
            node: i,
            layer: layer[i],
            x: layer_x[layer[i]],
            y: node_y[i],
            w: box_w[i],
            h: opts.box_height,
        })
        .collect();

    // Routes.
    let mut hop_base = 0usize;
    let mut routes: Vec<EdgeRoute> = Vec::new();
    let mut chain_of = chains.iter().map(Vec::len);
    for (&(u, v, k), &rev) in edges.iter().zip(&reversed) {
        if u == v {
            routes.push(EdgeRoute {
                from: u,
                to: v,
                edge: k,
                points: Vec::new(),
                reversed: false,
            });
            continue;
        }
        let len = chain_of.next().unwrap_or(0);
        let mut pts: Vec<(usize, usize)> = Vec::new();
        for h in hop_base..hop_base + len {
            let hop = all_hops[h];
            let l = hop_layer(&hop);
            let start_x = match hop.from {
                Item::Node(i) => boxes[i].x + boxes[i].w,
                Item::Dummy(_) => layer_x[l] + layer_w[l],
            };
            let (y0, y1) = (out_port[h], in_port[h]);
            let gap_start = layer_x[l] + layer_w[l];
            let end_x = layer_x[l + 1] - 1;
            if let Item::Dummy(_) = hop.from {
                pts.push((layer_x[l], y0));
            }
            pts.push((start_x, y0));
            if y0 != y1 {
                let cx = gap_start + 1 + channel[h];
                pts.push((cx, y0));
                pts.push((cx, y1));
            }
            pts.push((end_x, y1));
        }
        hop_base += len;
        let mut pts = simplify(pts);
        if rev {
            pts.reverse();
        }
        routes.push(EdgeRoute {
            from: u,
            to: v,
            edge: k,
            points: pts,
            reversed: rev,
        });
    }
    let width = layer_x[nlayers - 1] + layer_w[nlayers - 1];
    let height = boxes
        .iter()
        .map(|b| b.y + b.h)
        .chain(dummy_y.iter().map(|y| y + 1))
        .max()
        .unwrap_or(0);
    MapLayout {
        boxes,
        edges: routes,
        width,
        height,
    }
}

/// Drops repeated points and the middle of three collinear ones.
fn simplify(pts: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    let mut out: Vec<(usize, usize)> = Vec::new();
    for p in pts {
        if out.last() == Some(&p) {
            continue;
        }
        if out.len() >= 2 {
            let (a, b) = (out[out.len() - 2], out[out.len() - 1]);
            if (a.0 == b.0 && b.0 == p.0) || (a.1 == b.1 && b.1 == p.1) {
                out.pop();
            }
        }
        out.push(p);
    }
    out
}

/// For each edge, whether it closes a cycle (depth-first from clients and roots first).
fn back_edges(graph: &ServiceGraph, n: usize, edges: &[(usize, usize, usize)]) -> Vec<bool> {
    let mut adj: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
    for (e, &(u, v, _)) in edges.iter().enumerate() {
        adj[u].push((v, e));
    }
    let is_start = |i: usize| {
        let s = &graph.services[i];
        s.kind.as_deref() == Some("client") || s.root == Some(true)
    };
    let mut starts: Vec<usize> = (0..n).filter(|&i| is_start(i)).collect();
    let mut indeg = vec![0usize; n];
    for &(u, v, _) in edges {
        if u != v {
            indeg[v] += 1;
        }
    }
    starts.extend((0..n).filter(|&i| !is_start(i) && indeg[i] == 0));
    starts.extend(0..n);
    // 0 = unseen, 1 = on the stack, 2 = done.
    let mut state = vec![0u8; n];
    let mut back = vec![false; edges.len()];
    for s in starts {
        if state[s] != 0 {
            continue;
        }
        let mut stack: Vec<(usize, usize)> = vec![(s, 0)];
        state[s] = 1;
        while let Some(&mut (u, ref mut next)) = stack.last_mut() {
            if let Some(&(v, e)) = adj[u].get(*next) {
                *next += 1;
                match state[v] {
                    0 => {
                        state[v] = 1;
                        stack.push((v, 0));
                    }
                    1 => back[e] = true,
                    _ => {}
                }
            } else {
                state[u] = 2;
                stack.pop();
            }
        }
    }
    back
}

/// Layer of each node: the longest path to it from a source of the DAG.
fn longest_path_layers(n: usize, dag: &[(usize, usize)]) -> Vec<usize> {
    let mut indeg = vec![0usize; n];
    let mut adj: Vec<Vec<usize>> = vec![Vec::new(); n];
    for &(u, v) in dag {
        adj[u].push(v);
        indeg[v] += 1;
    }
    let mut layer = vec![0usize; n];
    let mut queue: std::collections::VecDeque<usize> = (0..n).filter(|&i| indeg[i] == 0).collect();
    while let Some(u) = queue.pop_front() {
        for &v in &adj[u] {
            layer[v] = layer[v].max(layer[u] + 1);
            indeg[v] -= 1;
            if indeg[v] == 0 {
                queue.push_back(v);
            }
        }
    }
    layer
}

/// Crossings between the hops of each pair of adjacent layers.
fn crossings(layers: &[Vec<Item>], hops: &[Hop]) -> usize {
    let mut pos: HashMap<Item, (usize, usize)> = HashMap::new();
    for (l, items) in layers.iter().enumerate() {
        for (p, &it) in items.iter().enumerate() {
            pos.insert(it, (l, p));
        }
    }
    let mut by_layer: Vec<Vec<(usize, usize)>> = vec![Vec::new(); layers.len()];
    for h in hops {
        if let (Some(&(l, a)), Some(&(_, b))) = (pos.get(&h.from), pos.get(&h.to)) {
            by_layer[l].push((a, b));
        }
    }
    let mut total = 0;
    for hs in &by_layer {
        for (k, &(a0, a1)) in hs.iter().enumerate() {
            for &(b0, b1) in &hs[k + 1..] {
                if (a0 < b0 && a1 > b1) || (a0 > b0 && a1 < b1) {
                    total += 1;
                }
            }
        }
    }
    total
}

/// Barycenter sweeps, keeping the order with the fewest crossings.
fn order_layers(layers: &mut [Vec<Item>], hops: &[Hop]) {
    let mut best = layers.to_vec();
    let mut best_c = crossings(layers, hops);
    for _ in 0..4 {
        for down in [true, false] {
            let idx: Vec<usize> = if down {
                (1..layers.len()).collect()
            } else {
                (0..layers.len().saturating_sub(1)).rev().collect()
            };
            for l in idx {
                let fixed = if down { l - 1 } else { l + 1 };
                let pos: HashMap<Item, usize> = layers[fixed]
                    .iter()
                    .enumerate()
                    .map(|(p, &it)| (it, p))
                    .collect();
                let mut keyed: Vec<(f64, usize, Item)> = layers[l]
                    .iter()
                    .enumerate()
                    .map(|(p, &it)| {
                        let ns: Vec<usize> = hops
                            .iter()
                            .filter_map(|h| {
                                let (me, other) =
                                    if down { (h.to, h.from) } else { (h.from, h.to) };
                                if me == it {
                                    pos.get(&other).copied()
                                } else {
                                    None
                                }
                            })
                            .collect();
                        let bc = if ns.is_empty() {
                            p as f64
                        } else {
                            ns.iter().sum::<usize>() as f64 / ns.len() as f64
                        };
                        (bc, p, it)
                    })
                    .collect();
                keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
                layers[l] = keyed.into_iter().map(|k| k.2).collect();
            }
            let c = crossings(layers, hops);
            if c < best_c {
                best_c = c;
                best = layers.to_vec();
            }
        }
    }
    layers.clone_from_slice(&best);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::graph::{Edge, Service};
    use proptest::prelude::*;

    fn graph(n: usize, edges: &[(usize, usize)]) -> ServiceGraph {
        let services = (0..n)
            .map(|i| Service {
                reference_id: i as i64,
                name: Some(format!("svc-{i}")),
                kind: Some(
                    if i == 0 {
                        "client"
                    } else {
                        "AWS::EC2::Instance"
                    }
                    .into(),
                ),
                edges: edges
                    .iter()
                    .filter(|(u, _)| *u == i)
                    .map(|&(_, v)| Edge {
                        reference_id: v as i64,
                        ..Default::default()
                    })
                    .collect(),
                ..Default::default()
            })
            .collect();
        ServiceGraph {
            services,
            ..Default::default()
        }
    }

    /// Checks every invariant the UI relies on.
    fn check(g: &ServiceGraph, m: &MapLayout) {
        assert_eq!(m.boxes.len(), g.services.len());
        for (i, a) in m.boxes.iter().enumerate() {
            assert!(a.x + a.w <= m.width && a.y + a.h <= m.height);
            for b in &m.boxes[i + 1..] {
                assert!(!a.overlaps(b), "{a:?} overlaps {b:?}");
            }
        }
        let routed: usize = g.services.iter().map(|s| s.edges.len()).sum();
        assert_eq!(m.edges.len(), routed, "every edge is routed");
        for e in &m.edges {
            if e.from == e.to {
                continue;
            }
            assert!(e.points.len() >= 2, "{e:?}");
            for w in e.points.windows(2) {
                assert!(w[0].0 == w[1].0 || w[0].1 == w[1].1, "orthogonal: {e:?}");
            }
            let (s, t) = (&m.boxes[e.from], &m.boxes[e.to]);
            let first = e.points[0];
            let last = e.points[e.points.len() - 1];
            let beside = |b: &NodeBox, p: (usize, usize)| {
                (p.0 == b.x + b.w || p.0 + 1 == b.x) && (b.y + 1..b.y + b.h - 1).contains(&p.1)
            };
            assert!(beside(s, first), "starts on its source: {e:?} {s:?}");
            assert!(beside(t, last), "ends on its target: {e:?} {t:?}");
            if !e.reversed {
                assert_eq!(first.0, s.x + s.w, "leaves the right side");
                assert_eq!(last.0 + 1, t.x, "enters the left side");
            }
            for c in e.cells() {
                assert!(
                    !m.boxes.iter().any(|b| b.contains(c.0, c.1)),
                    "edge {e:?} runs through a box at {c:?}"
                );
                assert!(c.0 < m.width && c.1 < m.height);
            }
        }
    }

    #[test]
    fn chain_is_straight_and_left_to_right() {
        let g = graph(3, &[(0, 1), (1, 2)]);
        let m = layout(&g, &LayoutOptions::default());
        check(&g, &m);
        assert!(m.boxes[0].x < m.boxes[1].x && m.boxes[1].x < m.boxes[2].x);
        assert_eq!(m.boxes[0].y, m.boxes[2].y);
        assert!(m.edges.iter().all(|e| e.points.len() == 2), "{:?}", m.edges);
    }

    #[test]
    fn long_edges_go_around_the_middle_layer() {
        let g = graph(3, &[(0, 1), (1, 2), (0, 2)]);
        let m = layout(&g, &LayoutOptions::default());
        check(&g, &m);
        assert_eq!(m.boxes[2].layer, 2);
    }

    #[test]
    fn cycles_are_broken_and_drawn_backwards() {
        // client -> api -> queue -> worker -> queue, and a self-call.
        let g = graph(4, &[(0, 1), (1, 2), (2, 3), (3, 2), (1, 1)]);
        let m = layout(&g, &LayoutOptions::default());
        check(&g, &m);
        let back: Vec<_> = m.edges.iter().filter(|e| e.reversed).collect();
        assert_eq!(back.len(), 1);
        assert_eq!((back[0].from, back[0].to), (3, 2));
        assert!(m.boxes[3].layer > m.boxes[2].layer);
    }

    #[test]
    fn long_names_are_truncated_to_the_widest_box() {
        let mut g = graph(2, &[(0, 1)]);
        g.services[1].name = Some("x".repeat(80));
        let o = LayoutOptions::default();
        let m = layout(&g, &o);
        assert_eq!(m.boxes[1].w, o.max_inner + 2);
        assert_eq!(m.boxes[0].w, o.min_inner + 2);
    }

    #[test]
    fn edges_to_missing_nodes_are_left_out_and_empty_graphs_are_empty() {
        let mut g = graph(2, &[(0, 1)]);
        g.services[0].edges.push(Edge {
            reference_id: 99,
            ..Default::default()
        });
        let m = layout(&g, &LayoutOptions::default());
        assert_eq!(m.edges.len(), 1);
        assert_eq!(
            layout(&ServiceGraph::default(), &LayoutOptions::default()),
            MapLayout::default()
        );
    }

    #[test]
    fn barycenter_removes_an_avoidable_crossing() {
        // 0 -> {1, 2}; 1 -> 4, 2 -> 3: the natural order crosses once, the sweep fixes it.
        let g = graph(5, &[(0, 1), (0, 2), (1, 4), (2, 3)]);
        let m = layout(&g, &LayoutOptions::default());
        check(&g, &m);
        assert!(
            (m.boxes[1].y < m.boxes[2].y) == (m.boxes[4].y < m.boxes[3].y),
            "{:?}",
            m.boxes
        );
    }

    #[test]
    fn a_300_node_graph_lays_out_cleanly() {
        let mut seed = 12345u64;
        let mut rnd = || {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) as usize
        };
        let n = 300;
        let edges: Vec<(usize, usize)> = (0..n)
            .flat_map(|i| [rnd() % n, rnd() % n].map(|j| (i, j)))
            .filter(|(i, j)| j > i)
            .collect();
        let g = graph(n, &edges);
        check(&g, &layout(&g, &LayoutOptions::default()));
    }

    #[test]
    fn fit_shrinks_boxes_until_the_drawing_fits() {
        // A chain of eight: 8 x 20 + 7 x 6 = 202 cells wide at full size.
        let g = graph(8, &[(0, 1), (1, 2), (2, 3), (3, 4), (4, 5), (5, 6), (6, 7)]);
        let full = layout(&g, &LayoutOptions::default());
        let (o, m) = fit(&g, full.width, full.height);
        assert_eq!(
            (o, &m),
            (LayoutOptions::default(), &full),
            "room enough: full size"
        );
        assert!(!o.is_compact());
        let (o, m) = fit(&g, 120, 40);
        check(&g, &m);
        assert!(m.width <= 120 && o.is_compact(), "{o:?} {}", m.width);
        assert_eq!(o.box_height, 5, "only as small as needed");
        // Nothing fits in 10 x 3: the most compact boxes, still a clean layout.
        let (o, m) = fit(&g, 10, 3);
        check(&g, &m);
        assert_eq!(
            o.box_height,
            *LayoutOptions::HEIGHTS.last().expect("heights")
        );
        assert_eq!(
            o.max_inner,
            LayoutOptions::WIDTHS[LayoutOptions::WIDTHS.len() - 1].1
        );
    }

    fn dag() -> impl Strategy<Value = (usize, Vec<(usize, usize)>)> {
        (1usize..14).prop_flat_map(|n| {
            let pairs: Vec<(usize, usize)> = (0..n)
                .flat_map(|i| (i + 1..n).map(move |j| (i, j)))
                .collect();
            let len = pairs.len();
            (
                Just(n),
                proptest::collection::vec(any::<bool>(), len).prop_map(move |keep| {
                    pairs
                        .iter()
                        .zip(keep)
                        .filter(|(_, k)| *k)
                        .map(|(p, _)| *p)
                        .collect::<Vec<_>>()
                }),
            )
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        #[test]
        fn random_dags_lay_out_cleanly((n, edges) in dag()) {
            let g = graph(n, &edges);
            let o = LayoutOptions::default();
            let m = layout(&g, &o);
            check(&g, &m);
            prop_assert_eq!(&m, &layout(&g, &o), "deterministic");
            let (_, fitted) = fit(&g, 60, 20);
            check(&g, &fitted);
        }

        #[test]
        fn random_graphs_with_cycles_lay_out_cleanly(
            n in 1usize..10,
            raw in proptest::collection::vec((0usize..10, 0usize..10), 0..20),
        ) {
            let mut edges: Vec<(usize, usize)> =
                raw.into_iter().map(|(a, b)| (a % n, b % n)).collect();
            edges.sort();
            edges.dedup();
            let g = graph(n, &edges);
            let m = layout(&g, &LayoutOptions::default());
            check(&g, &m);
        }
    }
}
