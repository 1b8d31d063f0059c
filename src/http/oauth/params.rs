//! Form and query parameters as OAuth reads them: each at most once (RFC 6749 §3.1).

use std::collections::HashMap;

/// Parameters by name; a repeated one is an error.
pub struct Params(HashMap<String, String>);

/// A parameter was sent twice.
#[derive(Debug)]
pub struct Repeated(pub String);

impl Params {
    /// Collects `pairs`, refusing repeats. Empty values count as absent (§3.1).
    ///
    /// # Errors
    /// [`Repeated`] naming the first repeated parameter.
    pub fn new(pairs: Vec<(String, String)>) -> Result<Self, Repeated> {
        let mut map = HashMap::with_capacity(pairs.len());
        for (name, value) in pairs {
            if value.is_empty() {
                continue;
            }
            if map.insert(name.clone(), value).is_some() {
                return Err(Repeated(name));
            }
        }
        Ok(Self(map))
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}
