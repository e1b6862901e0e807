//! Server-Sent Events as the server sends them (`id:`, `event:`, `data:`
//! lines, a blank line ending each event, `:` comments as keep-alives),
//! read from chunks that may split a line anywhere.

/// One event.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Event {
    /// The `id:` field (the audit sequence number on the event stream).
    pub id: Option<String>,
    /// The `event:` field (`message` when absent).
    pub name: String,
    /// The `data:` lines, joined with newlines.
    pub data: String,
}

/// An incremental reader of an event stream.
#[derive(Debug, Default)]
pub struct Parser {
    pending: Vec<u8>,
    current: Event,
    has_data: bool,
}

impl Parser {
    /// Reads a chunk; returns the events it completed.
    pub fn feed(&mut self, chunk: &[u8]) -> Vec<Event> {
        self.pending.extend_from_slice(chunk);
        let mut out = Vec::new();
        while let Some(end) = self.pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=end).collect();
            let line = String::from_utf8_lossy(&line);
            let line = line.trim_end_matches(['\n', '\r']);
            if line.is_empty() {
                if self.has_data {
                    let mut event = std::mem::take(&mut self.current);
                    if event.name.is_empty() {
                        "message".clone_into(&mut event.name);
                    }
                    out.push(event);
                }
                self.current = Event::default();
                self.has_data = false;
                continue;
            }
            if line.starts_with(':') {
                continue;
            }
            let (field, value) = line.split_once(':').unwrap_or((line, ""));
            let value = value.strip_prefix(' ').unwrap_or(value);
            match field {
                "id" => self.current.id = Some(value.to_owned()),
                "event" => value.clone_into(&mut self.current.name),
                "data" => {
                    if self.has_data {
                        self.current.data.push('\n');
                    }
                    self.current.data.push_str(value);
                    self.has_data = true;
                }
                _ => {}
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_split_across_chunks_comments_and_crlf() {
        let mut p = Parser::default();
        assert!(p.feed(b": keep-alive\n\nid: 7\nevent: message.se").is_empty());
        let got = p.feed(b"nt\r\ndata: {\"a\":\ndata: 1}\r\n\r\ndata: x\n\n");
        assert_eq!(
            got,
            vec![
                Event { id: Some("7".into()), name: "message.sent".into(), data: "{\"a\":\n1}".into() },
                Event { id: None, name: "message".into(), data: "x".into() },
            ]
        );
    }
}
