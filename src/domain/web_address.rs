//! Web addresses users and apps give us: profile links and OAuth redirect URIs.

use url::{Host, Url};

/// Longest address kept, in bytes.
pub const MAX_URL_BYTES: usize = 2_000;

/// A link shown on a page (a website, an avatar, an app's homepage): an absolute `http` or
/// `https` URL with a host and no credentials; normalised by the URL parser.
pub fn link(value: &str, what: &str) -> Result<String, String> {
    let invalid = || format!("{what} must be an http or https address such as https://example.org");
    let value = value.trim();
    if value.len() > MAX_URL_BYTES {
        return Err(format!("{what} must be at most {MAX_URL_BYTES} bytes"));
    }
    let url = Url::parse(value).map_err(|_| invalid())?;
    let web = matches!(url.scheme(), "http" | "https") && url.host().is_some();
    if !web || !url.username().is_empty() || url.password().is_some() {
        return Err(invalid());
    }
    Ok(url.to_string())
}

/// A redirect URI an OAuth app registers (RFC 6749 §3.1.2, OAuth 2.1 and RFC 8252): an
/// absolute URL without a fragment or credentials; `https`, or `http` only to a loopback
/// host (native apps on the user's machine), or a private-use scheme with a dot
/// (`com.example.app:/callback`). Kept exactly as written: redirects are compared to it
/// byte for byte.
pub fn redirect_uri(value: &str) -> Result<String, String> {
    let invalid = |why: &str| format!("redirect URI `{value}` {why}");
    if value.len() > MAX_URL_BYTES || value.trim() != value || value.is_empty() {
        return Err(invalid("must be an absolute URL without spaces"));
    }
    let url = Url::parse(value).map_err(|_| invalid("is not an absolute URL"))?;
    if url.fragment().is_some() || value.contains('#') {
        return Err(invalid("must not have a fragment"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(invalid("must not carry credentials"));
    }
    match url.scheme() {
        "https" if url.host().is_some() => Ok(value.to_owned()),
        "http" if url.host().is_some_and(|host| is_loopback(&host)) => Ok(value.to_owned()),
        "http" | "https" => Err(invalid("must use https (http only to a loopback address)")),
        scheme if scheme.contains('.') => Ok(value.to_owned()),
        _ => Err(invalid(
            "must use https, http to loopback, or a reverse-domain private scheme",
        )),
    }
}

fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
        Host::Ipv4(address) => address.is_loopback(),
        Host::Ipv6(address) => address.is_loopback(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_web_addresses_without_credentials() {
        assert_eq!(
            link(" https://example.org ", "websiteUrl").as_deref(),
            Ok("https://example.org/")
        );
        assert!(link("javascript:alert(1)", "websiteUrl").is_err());
        assert!(link("https://user:pw@example.org", "websiteUrl").is_err());
        assert!(link("ftp://example.org", "websiteUrl").is_err());
        assert!(link("example.org", "websiteUrl").is_err());
    }

    #[test]
    fn redirect_uris_follow_oauth_2_1() {
        for good in [
            "https://app.example.org/callback",
            "http://127.0.0.1:8080/cb",
            "http://localhost/cb",
            "http://[::1]:9000/cb",
            "com.example.app:/oauth",
        ] {
            assert_eq!(redirect_uri(good).as_deref(), Ok(good), "{good}");
        }
        for bad in [
            "http://app.example.org/callback",
            "https://app.example.org/cb#frag",
            "https://user@app.example.org/cb",
            "javascript:alert(1)",
            "/relative",
            " https://app.example.org/cb",
            "",
        ] {
            assert!(redirect_uri(bad).is_err(), "{bad}");
        }
    }
}
