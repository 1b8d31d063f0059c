//! Outgoing mail: password-reset and verification links.
//!
//! With `PAPERBOARD_SMTP_URL`, mails go out by SMTP (lettre; `smtps://` for TLS,
//! `smtp://…?tls=required` for STARTTLS). Without it, each mail is written as an RFC 5322
//! file (`.eml`) into the mail directory and logged, so that the demo and the tests work
//! with no mail server.

use std::path::{Path, PathBuf};

use lettre::message::{Mailbox, header::ContentType};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::PlatformConfig;
use crate::error::{AppError, AppResult};

/// Why mail could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum MailSetupError {
    #[error("PAPERBOARD_SMTP_URL is not a usable SMTP URL")]
    SmtpUrl(#[source] lettre::transport::smtp::Error),
    #[error("PAPERBOARD_MAIL_FROM is not a mailbox: {0}")]
    From(#[source] lettre::address::AddressError),
}

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(PathBuf),
}

/// Sends mail one way or the other.
pub struct Mailer {
    from: Mailbox,
    transport: Transport,
}

/// One mail to send.
pub struct Mail<'a> {
    pub to: &'a str,
    pub subject: &'a str,
    pub body: String,
}

impl Mailer {
    /// The configured mailer; files go to `outbox/` in `data_dir` unless configured.
    ///
    /// # Errors
    /// [`MailSetupError`] for a malformed SMTP URL or sender.
    pub fn new(config: &PlatformConfig, data_dir: &Path) -> Result<Self, MailSetupError> {
        let from = config.mail_from.parse().map_err(MailSetupError::From)?;
        let transport = match &config.smtp_url {
            Some(url) => Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())
                    .map_err(MailSetupError::SmtpUrl)?
                    .build(),
            ),
            None => Transport::Files(
                config
                    .mail_dir
                    .clone()
                    .unwrap_or_else(|| data_dir.join("outbox")),
            ),
        };
        Ok(Self { from, transport })
    }

    /// Sends `mail`.
    ///
    /// # Errors
    /// `BAD_USER_INPUT` for an address that is not one; `INTERNAL_SERVER_ERROR` when the
    /// mail cannot be sent or written.
    pub async fn send(&self, mail: Mail<'_>) -> AppResult<()> {
        let to: Mailbox = mail
            .to
            .parse()
            .map_err(|_| AppError::bad_input("email", "not a deliverable address"))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(mail.subject)
            .header(ContentType::TEXT_PLAIN)
            .body(mail.body)
            .map_err(AppError::internal)?;
        match &self.transport {
            Transport::Smtp(smtp) => {
                smtp.send(message).await.map_err(AppError::internal)?;
                tracing::info!(subject = mail.subject, "mail sent");
            }
            Transport::Files(dir) => {
                let path = write_file(dir, &message.formatted()).await?;
                tracing::info!(subject = mail.subject, path = %path.display(), "mail written");
            }
        }
        Ok(())
    }
}

/// Writes one message as `<microseconds>-<random>.eml`, so that files sort by time.
async fn write_file(dir: &Path, message: &[u8]) -> AppResult<PathBuf> {
    tokio::fs::create_dir_all(dir)
        .await
        .map_err(AppError::internal)?;
    let stamp = chrono::Utc::now().timestamp_micros();
    let name = format!("{stamp}-{}.eml", crate::auth::random_token(6)?);
    let path = dir.join(name);
    tokio::fs::write(&path, message)
        .await
        .map_err(AppError::internal)?;
    Ok(path)
}
