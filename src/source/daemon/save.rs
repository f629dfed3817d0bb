//! `--save FILE`: every accepted document appended as one NDJSON line, written after every
//! batch, so a crash loses nothing already received. `xray-tui --file FILE` reads it back.
//!
//! The counts are of what reached the file: a document is *saved* once the write that holds
//! it succeeded, and *failed* when that write failed (a full disk, `/dev/full`). After a failed
//! write the file is cut back to its last complete line, so it stays valid NDJSON.
//!
//! A flood is written past the page cache (`O_DIRECT`, where the file system allows it): a
//! write of a megabyte or more goes straight to the disk in whole blocks, and only the last
//! partial block through the page cache. Buffered writes past the kernel's dirty-page limit
//! crawl (writeback throttles the writer: ~600 MB/s sustained on the reference box, against
//! 1.3 GB/s direct), and a sustained flood of 8 KB segments at 100k/s is ~820 MB/s.
//!
//! Writing runs on a thread of its own ([`SaveThread`]): the parser thread hands over each
//! batch's accepted documents (the same shared bytes the store keeps, so no copy) and goes on
//! with the next batch, so a write to a slow disk, or the copying into lines, never delays
//! the draining of the receive queue. The hand-over queue is bounded: past it the parser
//! waits for the disk rather than holding documents without limit.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
#[cfg(unix)]
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread::JoinHandle;

use bytes::Bytes;

use super::stats::Stats;

/// Bytes gathered before a write (a batch is written at its end anyway).
const BUFFER: usize = 4 << 20;

/// Writes of at least this many bytes go to the disk directly, when it allows.
const DIRECT_FROM: usize = 1 << 20;

/// Direct writes are of whole blocks of this size, at offsets and from memory aligned to it.
const BLOCK: usize = 4096;

/// What one [`Saver::flush`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Written {
    /// Documents now in the file.
    pub saved: u64,
    /// Documents whose write failed (not in the file).
    pub failed: u64,
    /// Why the write failed.
    pub error: Option<String>,
}

/// An NDJSON appender that knows what reached the file.
#[derive(Debug)]
pub struct Saver {
    file: File,
    /// Complete lines waiting to be written.
    buf: Vec<u8>,
    /// Documents in `buf`.
    pending: u64,
    /// The file's length after its last complete line.
    good_len: u64,
    /// The same file opened for direct writes, when it is a regular file on a file system
    /// that allows them.
    direct: Option<Direct>,
}

/// What direct writes need: a second handle, aligned memory, the file's last partial block.
#[derive(Debug)]
struct Direct {
    file: File,
    /// Where the block-aligned copy of a write is made (aligned within it at each write).
    staging: Vec<u8>,
    /// The file's bytes from its last block boundary to `good_len` (rewritten, with what
    /// follows, by the next direct write, which must start on a boundary).
    tail: Vec<u8>,
    /// Direct writes done.
    writes: u64,
}

impl Direct {
    /// Opens `path` for direct writes, with the partial block before `len`; `None` when the
    /// file system does not allow them (tmpfs, for one) or it is not a regular file.
    #[cfg(target_os = "linux")]
    fn open(path: &Path, len: u64) -> Option<Direct> {
        use std::os::unix::fs::OpenOptionsExt;
        let file = OpenOptions::new()
            .write(true)
            .custom_flags(rustix::fs::OFlags::DIRECT.bits() as i32)
            .open(path)
            .ok()?;
        if !file.metadata().ok()?.is_file() {
            return None;
        }
        let keep = len % BLOCK as u64;
        let mut tail = vec![0; keep as usize];
        File::open(path)
            .ok()?
            .read_exact_at(&mut tail, len - keep)
            .ok()?;
        Some(Direct {
            file,
            staging: Vec::new(),
            tail,
            writes: 0,
        })
    }

    #[cfg(not(target_os = "linux"))]
    fn open(_: &Path, _: u64) -> Option<Direct> {
        None
    }

    /// Writes `buf` after the file's `good_len` bytes: its whole blocks (the old partial one
    /// first) directly at the last block boundary, the rest through `file`, which appends.
    fn write(&mut self, good_len: u64, buf: &[u8], file: &mut File) -> io::Result<()> {
        let base = good_len - self.tail.len() as u64;
        let total = self.tail.len() + buf.len();
        let whole = total - total % BLOCK;
        if self.staging.len() < total + BLOCK {
            self.staging.resize(total + BLOCK, 0);
        }
        let start = (BLOCK - self.staging.as_ptr() as usize % BLOCK) % BLOCK;
        let Some(out) = self.staging.get_mut(start..start + total) else {
            return Err(io::Error::other("staging buffer too small"));
        };
        let (head, rest) = out.split_at_mut(self.tail.len());
        head.copy_from_slice(&self.tail);
        rest.copy_from_slice(buf);
        let (blocks, last) = out.split_at(whole);
        self.file.write_all_at(blocks, base)?;
        self.writes += 1;
        file.write_all(last)?;
        self.tail.clear();
        self.tail.extend_from_slice(last);
        Ok(())
    }

    /// Keeps the file's last partial block after `buf` was appended by a buffered write,
    /// the file now `len` bytes long.
    fn appended(&mut self, buf: &[u8], len: u64) {
        let keep = (len % BLOCK as u64) as usize;
        if buf.len() >= keep {
            self.tail.clear();
            self.tail
                .extend_from_slice(buf.get(buf.len() - keep..).unwrap_or_default());
        } else {
            self.tail.extend_from_slice(buf);
        }
    }
}

impl Saver {
    /// Opens (creating or appending to) `path`.
    pub fn open(path: &Path) -> io::Result<Self> {
        let file = crate::paths::private(OpenOptions::new().create(true).append(true))
            .open(path)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        // Character devices (`/dev/null`, `/dev/full`) have no length to keep.
        let meta = file.metadata();
        let good_len = meta.as_ref().map(|m| m.len()).unwrap_or(0);
        let direct = meta
            .is_ok_and(|m| m.is_file())
            .then(|| Direct::open(path, good_len))
            .flatten();
        Ok(Self {
            file,
            buf: Vec::with_capacity(BUFFER),
            pending: 0,
            good_len,
            direct,
        })
    }

    /// How many writes went to the disk directly.
    pub fn direct_writes(&self) -> u64 {
        self.direct.as_ref().map_or(0, |d| d.writes)
    }

    /// Adds one document (the JSON bytes as received) as a single line: raw newlines in a
    /// document can only be whitespace (JSON escapes them inside strings), so they become
    /// spaces. Written with the next [`Saver::flush`] (or at once when the buffer is full,
    /// in which case the outcome of that write is returned).
    pub fn append(&mut self, doc: &[u8]) -> Option<Written> {
        let doc = doc.trim_ascii();
        let start = self.buf.len();
        self.buf.extend_from_slice(doc);
        // Newlines are rare (pretty-printed documents): find them at memchr speed.
        let line = self.buf.get_mut(start..).unwrap_or_default();
        let mut from = 0;
        while let Some(i) = line
            .get(from..)
            .and_then(|rest| memchr::memchr2(b'\n', b'\r', rest))
        {
            if let Some(b) = line.get_mut(from + i) {
                *b = b' ';
            }
            from += i + 1;
        }
        self.buf.push(b'\n');
        self.pending += 1;
        (self.buf.len() >= BUFFER).then(|| self.flush())
    }

    /// Writes the waiting lines and says how many documents reached the file.
    pub fn flush(&mut self) -> Written {
        if self.buf.is_empty() {
            return Written::default();
        }
        let n = std::mem::take(&mut self.pending);
        let result = match self.direct.as_mut() {
            Some(d) if self.buf.len() >= DIRECT_FROM => {
                match d.write(self.good_len, &self.buf, &mut self.file) {
                    // Refused (an alignment this code does not know, a file system that took
                    // the open but not the write): written as before, from now on.
                    Err(e) if e.kind() == io::ErrorKind::InvalidInput => {
                        self.direct = None;
                        self.cut_back();
                        self.file.write_all(&self.buf)
                    }
                    r => r,
                }
            }
            _ => self.file.write_all(&self.buf).map(|()| {
                if let Some(d) = self.direct.as_mut() {
                    d.appended(&self.buf, self.good_len + self.buf.len() as u64);
                }
            }),
        }
        .and_then(|()| self.file.flush());
        let written = match result {
            Ok(()) => {
                self.good_len += self.buf.len() as u64;
                Written {
                    saved: n,
                    ..Written::default()
                }
            }
            Err(e) => {
                self.cut_back();
                Written {
                    saved: 0,
                    failed: n,
                    error: Some(e.to_string()),
                }
            }
        };
        self.buf.clear();
        written
    }

    /// After a failed write part of the batch may be in the file: cut it back to the last
    /// complete line (appends go to the end, so the next write starts there).
    fn cut_back(&mut self) {
        if self.file.metadata().is_ok_and(|m| m.is_file()) {
            let _ = self.file.set_len(self.good_len);
        }
        // The last partial block is what it was before the write.
        if let Some(d) = self.direct.as_mut() {
            let keep = (self.good_len % BLOCK as u64) as usize;
            d.tail.truncate(keep);
        }
    }
}

/// Batches of documents waiting for [`SaveThread`] before the parser waits (each at most a
/// receive batch, 256 KiB).
const SAVE_QUEUE: usize = 64;

/// A [`Saver`] on a thread of its own (see the module comment).
#[derive(Debug)]
pub struct SaveThread {
    tx: Option<SyncSender<Vec<Bytes>>>,
    thread: Option<JoinHandle<()>>,
}

impl SaveThread {
    /// Starts writing to `saver`; what reaches the file is counted in `stats`.
    pub fn start(mut saver: Saver, stats: Arc<Stats>) -> io::Result<SaveThread> {
        let (tx, rx) = mpsc::sync_channel::<Vec<Bytes>>(SAVE_QUEUE);
        let thread = std::thread::Builder::new()
            .name("xray-save".into())
            .spawn(move || {
                super::run_behind_receive();
                write_all(&mut saver, &rx, &stats)
            })?;
        Ok(SaveThread {
            tx: Some(tx),
            thread: Some(thread),
        })
    }

    /// Hands one batch's documents over, in order; waits only if `SAVE_QUEUE` (64) batches are
    /// already waiting.
    pub fn send(&self, docs: Vec<Bytes>) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(docs);
        }
    }

    /// Writes what is waiting, flushes, and ends the thread (what dropping it does too).
    pub fn finish(self) {
        drop(self);
    }
}

impl Drop for SaveThread {
    fn drop(&mut self) {
        self.tx.take();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The save thread: lines gathered from every batch waiting, then one write.
fn write_all(saver: &mut Saver, rx: &Receiver<Vec<Bytes>>, stats: &Stats) {
    while let Ok(docs) = rx.recv() {
        let mut batch = Some(docs);
        while let Some(docs) = batch.take().or_else(|| rx.try_recv().ok()) {
            for d in &docs {
                if let Some(w) = saver.append(d) {
                    stats.record_save(w);
                }
            }
        }
        stats.record_save(saver.flush());
    }
    stats.record_save(saver.flush());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmp(tag: &str) -> std::path::PathBuf {
        std::env::temp_dir().join(format!("xray-tui-save-{tag}-{}", std::process::id()))
    }

    #[test]
    fn the_thread_writes_every_batch_in_order_and_counts_it() {
        let path = tmp("thread");
        let _ = std::fs::remove_file(&path);
        let stats = Arc::new(Stats::default());
        let t = SaveThread::start(Saver::open(&path).expect("open"), stats.clone()).expect("start");
        for b in 0..200 {
            t.send(
                (0..100)
                    .map(|i| Bytes::from(format!("{{\"b\":{b},\"i\":{i}}}")))
                    .collect(),
            );
        }
        t.finish();
        let text = std::fs::read_to_string(&path).expect("read");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 20_000);
        assert_eq!(lines[0], "{\"b\":0,\"i\":0}");
        assert_eq!(lines[19_999], "{\"b\":199,\"i\":99}");
        assert_eq!(stats.snapshot().saved, 20_000);
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn floods_are_written_directly_and_the_file_holds_exactly_the_lines() {
        // On the repository's disk (a temporary directory may be tmpfs, which refuses direct
        // writes: then everything is written through the page cache, and checked the same).
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
        let _ = std::fs::create_dir_all(&dir);
        let path = dir.join(format!("xray-tui-save-direct-{}", std::process::id()));
        // An existing file whose last block is partial.
        let mut want = "{\"old\":\"".to_owned() + &"o".repeat(6000) + "\"}\n";
        std::fs::write(&path, &want).expect("write");
        let mut s = Saver::open(&path).expect("open");
        let direct = s.direct.is_some();
        let n = std::cell::Cell::new(0usize);
        let doc = |len: usize| {
            n.set(n.get() + 1);
            format!("{{\"n\":{},\"s\":\"{}\"}}", n.get(), "x".repeat(len % 9000))
        };
        // Small flushes (through the page cache) and large ones (direct), in turn, with lines
        // of every length so that no write ends on a block boundary.
        for (count, len) in [
            (3, 100),
            (400, 5003),
            (1, 17),
            (900, 4099),
            (2, 1),
            (700, 8191),
        ] {
            let mut saved = 0;
            for _ in 0..count {
                let d = doc(len * (n.get() + 1));
                want.push_str(&d);
                want.push('\n');
                if let Some(w) = s.append(d.as_bytes()) {
                    saved += w.saved;
                }
            }
            saved += s.flush().saved;
            assert_eq!(saved, count);
            assert_eq!(std::fs::read_to_string(&path).expect("read"), want);
        }
        if direct {
            assert!(s.direct_writes() >= 3, "{}", s.direct_writes());
        }
        // Reopened: it appends after what is there, directly too.
        drop(s);
        let mut again = Saver::open(&path).expect("open");
        for _ in 0..300 {
            let d = doc(7777);
            want.push_str(&d);
            want.push('\n');
            again.append(d.as_bytes());
        }
        again.flush();
        assert_eq!(std::fs::read_to_string(&path).expect("read"), want);
        if direct {
            assert!(again.direct_writes() >= 1);
        }
        let _ = std::fs::remove_file(&path);
    }

    #[test]
    fn one_line_per_document() {
        let path = tmp("lines");
        let _ = std::fs::remove_file(&path);
        let mut s = Saver::open(&path).expect("open");
        assert!(s.append(b"{\"a\":1}\n").is_none());
        assert!(s.append(b"{\n  \"b\": \"x\\ny\"\r\n}").is_none());
        assert_eq!(
            s.flush(),
            Written {
                saved: 2,
                ..Written::default()
            }
        );
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(text, "{\"a\":1}\n{   \"b\": \"x\\ny\"  }\n");
        // Nothing waiting: nothing to count.
        assert_eq!(s.flush(), Written::default());
        let _ = std::fs::remove_file(&path);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_full_device_saves_nothing_and_says_so() {
        let mut s = Saver::open(Path::new("/dev/full")).expect("open /dev/full");
        for _ in 0..1000 {
            assert!(s.append(b"{\"id\":\"a\"}").is_none());
        }
        let w = s.flush();
        assert_eq!((w.saved, w.failed), (0, 1000));
        assert!(w.error.is_some_and(|e| e.contains("space")));
    }

    #[test]
    fn a_failed_write_leaves_complete_lines_only() {
        let path = tmp("cut");
        let _ = std::fs::remove_file(&path);
        let mut s = Saver::open(&path).expect("open");
        s.append(b"{\"a\":1}");
        assert_eq!(s.flush().saved, 1);
        // What a write that failed midway (a full disk) leaves: half a line.
        s.file.write_all(b"{\"b\":").expect("write");
        s.cut_back();
        s.append(b"{\"c\":3}");
        assert_eq!(s.flush().saved, 1);
        assert_eq!(
            std::fs::read_to_string(&path).expect("read"),
            "{\"a\":1}\n{\"c\":3}\n"
        );
        // Reopened, it appends after what is there.
        let mut again = Saver::open(&path).expect("open");
        again.append(b"{\"d\":4}");
        again.flush();
        again.file.write_all(b"{\"e").expect("write");
        again.cut_back();
        assert!(
            std::fs::read_to_string(&path)
                .expect("read")
                .ends_with("{\"d\":4}\n")
        );
        let _ = std::fs::remove_file(&path);
    }
}
