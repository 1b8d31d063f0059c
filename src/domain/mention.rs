//! `@username` mentions in a comment's Markdown.

/// The most users one comment can notify by mentioning them.
pub const MAX_MENTIONS: usize = 10;

const MIN_NAME: usize = 3;
const MAX_NAME: usize = 32;

fn name_char(ch: char) -> bool {
    ch.is_ascii_alphanumeric() || ch == '_' || ch == '-'
}

/// The usernames mentioned in `markdown`, lower-cased, each once, in order of first
/// mention, at most [`MAX_MENTIONS`]. A mention is `@` not preceded by a name character or
/// a dot (so `ada@example.org` mentions nobody) and followed by 3–32 name characters.
pub fn mentioned(markdown: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut previous: Option<char> = None;
    for (index, ch) in markdown.char_indices() {
        let starts_mention = ch == '@' && !previous.is_some_and(|p| name_char(p) || p == '.');
        previous = Some(ch);
        if !starts_mention {
            continue;
        }
        let rest = &markdown[index + 1..];
        let length = rest.find(|c: char| !name_char(c)).unwrap_or(rest.len());
        if !(MIN_NAME..=MAX_NAME).contains(&length) {
            continue;
        }
        let name = rest[..length].to_ascii_lowercase();
        if !names.contains(&name) {
            names.push(name);
            if names.len() == MAX_MENTIONS {
                break;
            }
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mentions_are_at_names_not_email_addresses() {
        assert_eq!(
            mentioned("@Ada thanks, and @bob_2: see ada@example.org or x.@eve"),
            vec!["ada", "bob_2"]
        );
    }

    #[test]
    fn names_outside_the_username_rules_mention_nobody() {
        assert!(mentioned("@ab @ @@").is_empty());
        assert!(mentioned(&format!("@{}", "x".repeat(33))).is_empty());
    }

    #[test]
    fn each_user_once_and_at_most_ten() {
        assert_eq!(mentioned("@ada @ADA @ada"), vec!["ada"]);
        let many: String = (0..20).map(|i| format!("@user{i} ")).collect();
        assert_eq!(mentioned(&many).len(), MAX_MENTIONS);
    }
}
