//! A local SMTP server speaking RFC 5321 (EHLO, MAIL, RCPT, DATA, QUIT) in plain text,
//! keeping every message it accepts: the mail server the tests cannot reach.

use std::sync::{Arc, Mutex};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// One accepted message.
#[derive(Debug, Clone)]
pub struct Delivered {
    pub from: String,
    pub to: Vec<String>,
    pub data: String,
}

/// The running server: its port and what it received.
pub struct SmtpFixture {
    pub port: u16,
    pub delivered: Arc<Mutex<Vec<Delivered>>>,
}

impl SmtpFixture {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let delivered = Arc::new(Mutex::new(Vec::new()));
        let store = Arc::clone(&delivered);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(session(stream, Arc::clone(&store)));
            }
        });
        Self { port, delivered }
    }
}

async fn session(stream: tokio::net::TcpStream, store: Arc<Mutex<Vec<Delivered>>>) {
    let (read, mut write) = stream.into_split();
    let mut lines = BufReader::new(read).lines();
    let mut reply = async |text: &str| write.write_all(text.as_bytes()).await.is_ok();
    if !reply("220 fixture ESMTP ready\r\n").await {
        return;
    }
    let mut message = Delivered {
        from: String::new(),
        to: Vec::new(),
        data: String::new(),
    };
    while let Ok(Some(line)) = lines.next_line().await {
        let upper = line.to_ascii_uppercase();
        let answer = if upper.starts_with("EHLO") {
            "250-fixture greets you\r\n250 8BITMIME\r\n"
        } else if upper.starts_with("HELO")
            || upper.starts_with("RSET")
            || upper.starts_with("NOOP")
        {
            "250 OK\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            message.from = line[10..].trim().to_owned();
            "250 OK\r\n"
        } else if upper.starts_with("RCPT TO:") {
            message.to.push(line[8..].trim().to_owned());
            "250 OK\r\n"
        } else if upper == "DATA" {
            if !reply("354 end with <CRLF>.<CRLF>\r\n").await {
                return;
            }
            while let Ok(Some(data)) = lines.next_line().await {
                if data == "." {
                    break;
                }
                message
                    .data
                    .push_str(data.strip_prefix('.').unwrap_or(&data));
                message.data.push_str("\r\n");
            }
            store.lock().unwrap().push(message.clone());
            "250 OK queued\r\n"
        } else if upper == "QUIT" {
            let _ = reply("221 bye\r\n").await;
            return;
        } else {
            "502 command not implemented\r\n"
        };
        if !reply(answer).await {
            return;
        }
    }
}
