//! `--save FILE`: every accepted document appended as one NDJSON line, flushed after every
//! batch, so a crash loses nothing already received. `xray-tui --file FILE` reads it back.

use std::fs::{File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::Path;

/// An NDJSON appender.
#[derive(Debug)]
pub struct Saver {
    out: BufWriter<File>,
}

impl Saver {
    /// Opens (creating or appending to) `path`.
    pub fn open(path: &Path) -> io::Result<Self> {
        let file = crate::paths::private(OpenOptions::new().create(true).append(true))
            .open(path)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
        Ok(Self {
            out: BufWriter::with_capacity(256 * 1024, file),
        })
    }

    /// Appends one document (the JSON bytes as received) as a single line: raw newlines in a
    /// document can only be whitespace (JSON escapes them inside strings), so they become spaces.
    pub fn append(&mut self, doc: &[u8]) -> io::Result<()> {
        let doc = doc.trim_ascii();
        if doc.contains(&b'\n') || doc.contains(&b'\r') {
            let line: Vec<u8> = doc
                .iter()
                .map(|&b| if b == b'\n' || b == b'\r' { b' ' } else { b })
                .collect();
            self.out.write_all(&line)?;
        } else {
            self.out.write_all(doc)?;
        }
        self.out.write_all(b"\n")
    }

    /// Writes everything buffered to the file.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_per_document() {
        let dir = std::env::temp_dir().join(format!("xray-tui-save-{}", std::process::id()));
        let _ = std::fs::remove_file(&dir);
        let mut s = Saver::open(&dir).expect("open");
        s.append(b"{\"a\":1}\n").expect("write");
        s.append(b"{\n  \"b\": \"x\\ny\"\r\n}").expect("write");
        s.flush().expect("flush");
        let text = std::fs::read_to_string(&dir).expect("read");
        assert_eq!(text, "{\"a\":1}\n{   \"b\": \"x\\ny\"  }\n");
        let _ = std::fs::remove_file(&dir);
    }
}
