//! Reading one input into memory, within a limit on its lines.
//!
//! Why: a file is read into memory once and its documents stay spans of it (see
//! `engine::dataset`), so reading must not trust the input to end: `--file /dev/zero` or a
//! stream with no newline would otherwise grow without bound (3.7 GB in 4 s). Every format
//! xray-tui reads puts a document, or a part of one, on a line of its own (NDJSON, the AWS
//! CLI's pretty-printed JSON, daemon captures), so a line longer than the limit is not a
//! document anyone sent: it is left out (kept as an empty line, so later lines keep their
//! numbers) and reported with its line number, and the reading goes on after it. While a line
//! is being skipped only a small buffer is used; a line that does not end within
//! [`GIVE_UP`] times the limit ends the input (endless input ends in bounded time).

use std::io::{self, Read};

/// The longest line read by default (64 MiB; `--max-line` changes it).
pub const DEFAULT_MAX_LINE: usize = 64 << 20;

/// How many times the limit a line may run on, while being skipped, before the rest of the
/// input is given up.
pub const GIVE_UP: u64 = 16;

/// Bytes read at a time (and how often progress is told).
const CHUNK: usize = 8 << 20;

/// A line left out for its length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LongLine {
    /// Its number (1-based).
    pub line: usize,
    /// Bytes left out (at least this many when the input was given up).
    pub bytes: u64,
    /// The input did not end within [`GIVE_UP`] times the limit: the rest was not read.
    pub gave_up: bool,
}

impl LongLine {
    /// The warning's message.
    pub fn message(&self, max_line: usize) -> String {
        if self.gave_up {
            format!(
                "line longer than {} with no end in sight ({} read); it and the rest of the input skipped",
                size(max_line as u64),
                size(self.bytes)
            )
        } else {
            format!(
                "line of {} is longer than the {} limit; skipped (raise --max-line to read it)",
                size(self.bytes),
                size(max_line as u64)
            )
        }
    }
}

/// A size for people: `512 bytes`, `4.0 KiB`, `64 MiB`, `1.5 GiB`.
fn size(bytes: u64) -> String {
    const UNITS: [&str; 3] = ["KiB", "MiB", "GiB"];
    if bytes < 1024 {
        return crate::model::format::count(bytes, "byte", "bytes");
    }
    let mut v = bytes as f64 / 1024.0;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    let u = UNITS.get(unit).copied().unwrap_or("GiB");
    if v.fract() == 0.0 {
        format!("{v:.0} {u}")
    } else {
        format!("{v:.1} {u}")
    }
}

/// Where the line being read starts, and how many lines came before it.
#[derive(Debug, Default)]
struct Lines {
    start: usize,
    count: usize,
}

/// The text kept so far, the lines left out, and where the current line starts.
struct Kept {
    buf: Vec<u8>,
    long: Vec<LongLine>,
    lines: Lines,
    max_line: usize,
}

impl Kept {
    /// Takes note of the newlines in `buf[from..]`, where no complete line is too long.
    fn see(&mut self, from: usize) {
        let new = self.buf.get(from..).unwrap_or_default();
        let mut last = None;
        for i in memchr::memchr_iter(b'\n', new) {
            self.lines.count += 1;
            last = Some(i);
        }
        if let Some(i) = last {
            self.lines.start = from + i + 1;
        }
    }

    /// Whether a line that ends in `buf[from..]` is longer than the limit.
    fn ends_a_long_line(&self, from: usize) -> bool {
        let mut start = self.lines.start;
        for i in memchr::memchr_iter(b'\n', self.buf.get(from..).unwrap_or_default()) {
            let end = from + i;
            if end - start > self.max_line {
                return true;
            }
            start = end + 1;
        }
        false
    }

    /// Adds `data` line by line, leaving out complete lines longer than the limit.
    fn append(&mut self, data: &[u8]) {
        for piece in data.split_inclusive(|&b| b == b'\n') {
            match piece.strip_suffix(b"\n") {
                Some(line) => {
                    let length = self.buf.len() - self.lines.start + line.len();
                    if length > self.max_line {
                        self.left_out(length as u64, false);
                        self.buf.push(b'\n');
                    } else {
                        self.buf.extend_from_slice(piece);
                    }
                    self.lines.count += 1;
                    self.lines.start = self.buf.len();
                }
                None => self.buf.extend_from_slice(piece),
            }
        }
    }

    /// Records the current line as left out and drops what was kept of it.
    fn left_out(&mut self, bytes: u64, gave_up: bool) {
        self.buf.truncate(self.lines.start);
        self.long.push(LongLine {
            line: self.lines.count + 1,
            bytes,
            gave_up,
        });
    }

    /// The line being read, so far.
    fn current(&self) -> usize {
        self.buf.len() - self.lines.start
    }
}

/// Reads `input` to its end, leaving out lines longer than `max_line` bytes (see the module
/// comment). `capacity` is what to reserve (the file's size, if known); `read` is told the
/// bytes kept so far after every chunk.
pub fn read_bounded(
    input: &mut dyn Read,
    capacity: usize,
    max_line: usize,
    read: &mut dyn FnMut(usize),
) -> io::Result<(Vec<u8>, Vec<LongLine>)> {
    read_in_chunks(input, capacity, max_line, CHUNK, read)
}

/// [`read_bounded`], `chunk` bytes at a time.
fn read_in_chunks(
    input: &mut dyn Read,
    capacity: usize,
    max_line: usize,
    chunk: usize,
    read: &mut dyn FnMut(usize),
) -> io::Result<(Vec<u8>, Vec<LongLine>)> {
    let mut k = Kept {
        buf: Vec::with_capacity(capacity.saturating_add(1)),
        long: Vec::new(),
        lines: Lines::default(),
        max_line: max_line.max(1),
    };
    loop {
        let before = k.buf.len();
        let n = input.take(chunk.max(1) as u64).read_to_end(&mut k.buf)?;
        if n == 0 {
            return Ok((k.buf, k.long));
        }
        if k.ends_a_long_line(before) {
            // Rare: go over this chunk's lines again, one by one.
            let tail = k.buf.split_off(k.lines.start);
            k.append(&tail);
        } else {
            k.see(before);
        }
        // The line still open is too long already: skip to its end.
        while k.current() > k.max_line {
            let mut skipped = k.current() as u64;
            match skip_line(input, &mut skipped, k.max_line)? {
                Skipped::Line(rest) => {
                    k.left_out(skipped, false);
                    // An empty line in its place: later lines keep their numbers.
                    k.buf.push(b'\n');
                    k.lines.count += 1;
                    k.lines.start = k.buf.len();
                    k.append(&rest);
                }
                Skipped::ToTheEnd => {
                    k.left_out(skipped, false);
                    return Ok((k.buf, k.long));
                }
                Skipped::GaveUp => {
                    k.left_out(skipped, true);
                    return Ok((k.buf, k.long));
                }
            }
        }
        read(k.buf.len());
    }
}

/// How [`skip_line`] ended.
enum Skipped {
    /// At a newline; what came after it in the last read.
    Line(Vec<u8>),
    /// The input ended inside the line.
    ToTheEnd,
    /// The line ran past [`GIVE_UP`] times the limit.
    GaveUp,
}

/// Reads on to the end of the current line, counting what it skips in `skipped`.
fn skip_line(input: &mut dyn Read, skipped: &mut u64, max_line: usize) -> io::Result<Skipped> {
    let mut chunk = vec![0u8; 64 * 1024];
    loop {
        let k = match input.read(&mut chunk) {
            Ok(0) => return Ok(Skipped::ToTheEnd),
            Ok(k) => k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let got = chunk.get(..k).unwrap_or_default();
        if let Some(i) = memchr::memchr(b'\n', got) {
            *skipped += i as u64;
            return Ok(Skipped::Line(got.get(i + 1..).unwrap_or_default().to_vec()));
        }
        *skipped += k as u64;
        if *skipped > GIVE_UP.saturating_mul(max_line as u64) {
            return Ok(Skipped::GaveUp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(input: &[u8], max: usize) -> (String, Vec<LongLine>) {
        read_chunked(input, max, CHUNK)
    }

    fn read_chunked(input: &[u8], max: usize, chunk: usize) -> (String, Vec<LongLine>) {
        let (buf, long) =
            read_in_chunks(&mut &input[..], 0, max, chunk, &mut |_| {}).expect("read");
        (String::from_utf8(buf).expect("utf8"), long)
    }

    /// What the tests' 100-byte second line is reported as.
    fn line_2_of_100_bytes() -> Vec<LongLine> {
        vec![LongLine {
            line: 2,
            bytes: 100,
            gave_up: false,
        }]
    }

    #[test]
    fn a_long_last_line_is_left_out_not_given_up() {
        let input = format!("one\n{}", "x".repeat(100));
        let (text, long) = read_chunked(input.as_bytes(), 10, 4);
        assert_eq!(text, "one\n");
        assert_eq!(long, line_2_of_100_bytes());
    }

    #[test]
    fn short_lines_are_read_whole() {
        let text = "{\"a\":1}\n{\"b\":2}\nno newline at the end";
        assert_eq!(read(text.as_bytes(), 64), (text.to_owned(), vec![]));
    }

    #[test]
    fn a_long_line_is_left_out_and_later_lines_keep_their_numbers() {
        let input = format!("one\n{}\nthree\nfour\n", "x".repeat(100));
        let (text, long) = read(input.as_bytes(), 10);
        assert_eq!(text, "one\n\nthree\nfour\n");
        assert_eq!(long, line_2_of_100_bytes());
        assert_eq!(
            long[0].message(10),
            "line of 100 bytes is longer than the 10 bytes limit; skipped (raise --max-line to read it)"
        );
        assert_eq!(size(64 << 20), "64 MiB");
        assert_eq!(size(3 << 29), "1.5 GiB");
        assert_eq!(size(4097), "4.0 KiB");
    }

    #[test]
    fn endless_input_without_newlines_ends_with_bounded_memory() {
        // /dev/zero, as far as reading goes.
        let mut zeros = io::repeat(0);
        let (buf, long) = read_bounded(&mut zeros, 0, 1024, &mut |_| {}).expect("read");
        assert!(buf.is_empty());
        assert_eq!(long.len(), 1);
        assert!(long[0].gave_up);
        assert!(long[0].bytes > GIVE_UP * 1024);
        assert!(long[0].bytes < 64 * 1024 + GIVE_UP * 1024 + CHUNK as u64);
    }

    proptest::proptest! {
        /// Whatever the input and limit: no kept line is longer than the limit, the kept text
        /// has as many lines as the input (a left-out line leaves an empty one), and what is
        /// kept is the input with the long lines emptied.
        #[test]
        fn never_a_line_past_the_limit(
            lines in proptest::collection::vec("[a-z{}\":,]{0,40}", 0..30),
            max in 1usize..30,
            chunk in 1usize..50,
        ) {
            let input = lines.join("\n");
            let (text, long) = read_chunked(input.as_bytes(), max, chunk);
            let expected: Vec<&str> = lines
                .iter()
                .map(|l| if l.len() > max { "" } else { l.as_str() })
                .collect();
            proptest::prop_assert_eq!(text, expected.join("\n"));
            proptest::prop_assert_eq!(long.len(), lines.iter().filter(|l| l.len() > max).count());
        }
    }
}
