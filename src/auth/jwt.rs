//! Access tokens: HS256 JWTs with `sub`, `iat`, `exp`, `iss`, `aud` and `jti`, all required,
//! and `sid`, the sign-in the token belongs to (what it may do, and whether it was revoked,
//! are read from the sign-in). Tokens without `sid` are only minted by the operator's tools.
//!
//! One algorithm is pinned: a token whose header names any other (`none`, RS256, HS512…) is
//! refused before its signature is looked at. jsonwebtoken checks `iss` and `aud` only when
//! they are listed as required claims, so they are; `iat` in the future, and `nbf` (RFC 7519
//! §4.1.5, optional) in the future, are refused here, against the caller's clock.

use std::time::Duration;

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, encode};
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// The `iss` of every token.
pub const ISSUER: &str = "paperboard";
/// The `aud` of every token.
pub const AUDIENCE: &str = "paperboard-api";
/// Clock skew tolerated on `exp` and `iat`.
const LEEWAY_SECONDS: u64 = 30;

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    iat: i64,
    exp: i64,
    iss: String,
    aud: String,
    jti: String,
    /// The sign-in (`sign_ins.id`) this token belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    sid: Option<i64>,
    /// Never issued here, but honoured when present.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    nbf: Option<i64>,
}

/// Signs and verifies access tokens with one secret.
pub struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    lifetime: Duration,
}

/// An access token and when it stops working.
#[derive(Debug, Clone)]
pub struct AccessToken {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// What a valid token says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifiedToken {
    pub user_id: i64,
    pub sign_in: Option<i64>,
    pub expires_at: DateTime<Utc>,
}

/// Why a token was refused. Clients only ever see "invalid or expired token".
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("token rejected: {0}")]
    Rejected(#[from] jsonwebtoken::errors::Error),
    #[error("token expired")]
    Expired,
    #[error("token issued in the future")]
    IssuedInTheFuture,
    #[error("token not valid yet (nbf)")]
    NotYetValid,
    #[error("token subject is not a user id")]
    BadSubject,
}

impl TokenKeys {
    /// Keys for `secret` (its bytes, used as given), issuing tokens valid for `lifetime`.
    pub fn new(secret: &[u8], lifetime: Duration) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        // `exp` must be present (required above) but is compared with the caller's clock
        // below, like `iat`, so that both use one notion of now.
        validation.validate_exp = false;
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            validation,
            lifetime,
        }
    }

    /// A fresh token for user `user_id` within sign-in `sign_in` (none: an operator's
    /// token), issued at `now`.
    ///
    /// # Errors
    /// `INTERNAL_SERVER_ERROR` if signing or randomness fails.
    pub fn issue(
        &self,
        user_id: i64,
        sign_in: Option<i64>,
        now: DateTime<Utc>,
    ) -> Result<AccessToken, AppError> {
        let lifetime = chrono::Duration::from_std(self.lifetime).map_err(AppError::internal)?;
        let expires_at = now + lifetime;
        let claims = Claims {
            sub: user_id.to_string(),
            iat: now.timestamp(),
            exp: expires_at.timestamp(),
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            jti: super::random_token(16)?,
            sid: sign_in,
            nbf: None,
        };
        let token = encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(AppError::internal)?;
        Ok(AccessToken { token, expires_at })
    }

    /// The user a valid token names, and when the token expires.
    ///
    /// # Errors
    /// [`TokenError`] for any malformed, tampered, expired, foreign or future token.
    pub fn verify(&self, token: &str, now: DateTime<Utc>) -> Result<VerifiedToken, TokenError> {
        let claims = decode::<Claims>(token, &self.decoding, &self.validation)?.claims;
        let leeway = i64::try_from(LEEWAY_SECONDS).unwrap_or(0);
        if claims.exp + leeway <= now.timestamp() {
            return Err(TokenError::Expired);
        }
        if claims.iat > now.timestamp() + leeway {
            return Err(TokenError::IssuedInTheFuture);
        }
        if claims.nbf.is_some_and(|nbf| nbf > now.timestamp() + leeway) {
            return Err(TokenError::NotYetValid);
        }
        let user_id: i64 = claims.sub.parse().map_err(|_| TokenError::BadSubject)?;
        if user_id <= 0 {
            return Err(TokenError::BadSubject);
        }
        let expires_at = DateTime::from_timestamp(claims.exp, 0).ok_or(TokenError::Expired)?;
        Ok(VerifiedToken {
            user_id,
            sign_in: claims.sid,
            expires_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"0123456789abcdef0123456789abcdef";

    fn keys() -> TokenKeys {
        TokenKeys::new(SECRET, Duration::from_secs(900))
    }

    #[test]
    fn issued_tokens_verify_until_they_expire() -> Result<(), AppError> {
        let keys = keys();
        let now = Utc::now();
        let token = keys.issue(42, Some(7), now)?;
        assert_eq!(
            keys.verify(&token.token, now)
                .ok()
                .map(|t| (t.user_id, t.sign_in)),
            Some((42, Some(7)))
        );
        let later = now + chrono::Duration::minutes(16);
        assert!(keys.verify(&token.token, later).is_err());
        Ok(())
    }

    fn signed(claims: &serde_json::Value) -> String {
        encode(
            &Header::new(Algorithm::HS256),
            claims,
            &EncodingKey::from_secret(SECRET),
        )
        .unwrap_or_default()
    }

    #[test]
    fn a_token_not_valid_before_a_future_time_is_refused() {
        let now = Utc::now().timestamp();
        let claims = |nbf: i64| {
            serde_json::json!({
                "sub": "42", "iat": now, "exp": now + 900, "iss": ISSUER, "aud": AUDIENCE,
                "jti": "x", "nbf": nbf,
            })
        };
        let later = signed(&claims(now + 3600));
        assert!(matches!(
            keys().verify(&later, Utc::now()),
            Err(TokenError::NotYetValid)
        ));
        let already = signed(&claims(now - 60));
        assert_eq!(
            keys().verify(&already, Utc::now()).ok().map(|t| t.user_id),
            Some(42)
        );
    }

    #[test]
    fn tokens_of_another_key_are_refused() -> Result<(), AppError> {
        let other = TokenKeys::new(
            b"another secret of thirty-two bytes!",
            Duration::from_secs(900),
        );
        let token = other.issue(42, None, Utc::now())?;
        assert!(keys().verify(&token.token, Utc::now()).is_err());
        Ok(())
    }
}
