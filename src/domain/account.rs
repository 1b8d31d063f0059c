//! Account fields and the rules they follow. Each check returns the normalised value or a
//! message for the client; the caller names the field.

use super::text::single_line;

/// Fewest characters in a password.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Most bytes in a password (longer ones are refused, never truncated).
pub const MAX_PASSWORD_BYTES: usize = 1_024;
/// Longest display name, in characters.
pub const MAX_DISPLAY_NAME_CHARS: usize = 100;

/// A username: 3–32 of `A–Z a–z 0–9 _ -`.
pub fn username(value: &str) -> Result<String, String> {
    let valid_length = (3..=32).contains(&value.len());
    let valid_chars = value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if valid_length && valid_chars {
        Ok(value.to_owned())
    } else {
        Err("username must be 3 to 32 letters, digits, `_` or `-`".to_owned())
    }
}

/// An email address: `local@domain`, ASCII, with a dotted domain of valid labels.
pub fn email(value: &str) -> Result<String, String> {
    let invalid = || "email must be a valid address such as ada@example.org".to_owned();
    let value = value.trim();
    if value.len() > 254 {
        return Err(invalid());
    }
    let (local, domain) = value.rsplit_once('@').ok_or_else(invalid)?;
    let local_ok = (1..=64).contains(&local.len())
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._%+-!#$&'*/=?^`{|}~".contains(&b));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|label| {
            (1..=63).contains(&label.len())
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        && labels
            .last()
            .is_some_and(|tld| tld.len() >= 2 && !tld.bytes().all(|b| b.is_ascii_digit()));
    if local_ok && domain_ok {
        Ok(value.to_owned())
    } else {
        Err(invalid())
    }
}

/// A new password: at least 12 characters, at most 1,024 bytes, used exactly as given.
pub fn new_password(value: &str) -> Result<(), String> {
    if value.chars().count() < MIN_PASSWORD_CHARS {
        return Err(format!(
            "password must be at least {MIN_PASSWORD_CHARS} characters"
        ));
    }
    if value.len() > MAX_PASSWORD_BYTES {
        return Err(format!(
            "password must be at most {MAX_PASSWORD_BYTES} bytes"
        ));
    }
    Ok(())
}

/// An optional display name: trimmed, at most 100 characters; blank means none.
pub fn display_name(value: Option<&str>) -> Result<Option<String>, String> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(name) => single_line(name, "display name", MAX_DISPLAY_NAME_CHARS).map(Some),
    }
}

/// The form usernames and emails are compared in: ASCII lower case, or `None` for a
/// spelling that holds any other character. Both are ASCII by rule, so such a spelling names
/// no account; Unicode case folding would turn U+212A KELVIN SIGN into `k` and let a
/// look-alike reach a real account.
pub fn lookup_key(value: &str) -> Option<String> {
    value.is_ascii().then(|| value.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_three_to_thirty_two_safe_characters() {
        for good in ["ada", "Ada_Lovelace-1815", &"x".repeat(32)] {
            assert!(username(good).is_ok(), "{good}");
        }
        for bad in [
            "ad",
            &"x".repeat(33),
            "ada lovelace",
            "ada@home",
            "ädä",
            "",
            "ada\n",
        ] {
            assert!(username(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn emails_need_a_local_part_and_a_dotted_domain() {
        for good in [
            "ada@example.org",
            "a.b+tag@sub.example.co",
            "x@xn--bcher-kva.example",
        ] {
            assert!(email(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.org",
            "ada@example",
            "ada@@example.org",
            "a b@example.org",
            "ada@example..org",
            ".ada@example.org",
            "ada@-example.org",
            "ada@example.123",
            "ada@exämple.org",
        ] {
            assert!(email(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn passwords_are_bounded_in_characters_and_bytes() {
        assert!(new_password("elevenchars").is_err());
        assert!(new_password("twelve chars").is_ok());
        assert!(
            new_password(&"é".repeat(12)).is_ok(),
            "characters, not bytes, for the minimum"
        );
        assert!(new_password(&"x".repeat(1_024)).is_ok());
        assert!(new_password(&"x".repeat(1_025)).is_err());
    }

    #[test]
    fn lookup_keys_fold_ascii_case_only() {
        assert_eq!(lookup_key("Ada").as_deref(), Some("ada"));
        assert_eq!(lookup_key("\u{212A}elvin"), None);
    }
}
