//! Page arguments (`first`/`after`, `last`/`before`) and pages.

use crate::error::AppError;

use super::cursor::{KeyPart, Keyset, ListKind};

/// Page size when neither `first` nor `last` is given.
pub const DEFAULT_PAGE_SIZE: u64 = 20;
/// Largest allowed `first` or `last`.
pub const MAX_PAGE_SIZE: u64 = 100;

/// Raw Relay page arguments as a client sent them.
#[derive(Debug, Clone, Default)]
pub struct PageArgs {
    pub first: Option<i32>,
    pub after: Option<String>,
    pub last: Option<i32>,
    pub before: Option<String>,
}

impl PageArgs {
    /// Forward-only arguments, as nested lists take them.
    pub fn forward(first: Option<i32>, after: Option<String>) -> Self {
        Self {
            first,
            after,
            ..Self::default()
        }
    }

    /// Validates the arguments and decodes their cursors for `list`.
    ///
    /// # Errors
    /// `BAD_USER_INPUT` for sizes outside 1–100, both `first` and `last`, or bad cursors.
    pub fn parse(&self, list: ListKind, shape: &[KeyPart]) -> Result<PageRequest, AppError> {
        let size = |value: i32, field: &str| {
            u64::try_from(value)
                .ok()
                .filter(|size| (1..=MAX_PAGE_SIZE).contains(size))
                .ok_or_else(|| {
                    AppError::bad_input(
                        field,
                        format!("`{field}` must be between 1 and {MAX_PAGE_SIZE}"),
                    )
                })
        };
        let (size, backward) = match (self.first, self.last) {
            (Some(_), Some(_)) => {
                return Err(AppError::bad_input(
                    "last",
                    "pass either `first` or `last`, not both",
                ));
            }
            (Some(first), None) => (size(first, "first")?, false),
            (None, Some(last)) => (size(last, "last")?, true),
            (None, None) => (DEFAULT_PAGE_SIZE, false),
        };
        let decode = |raw: &Option<String>, field: &str| {
            raw.as_deref()
                .map(|raw| Keyset::decode(raw, list, shape, field))
                .transpose()
        };
        Ok(PageRequest {
            size,
            backward,
            after: decode(&self.after, "after")?,
            before: decode(&self.before, "before")?,
        })
    }
}

/// Validated page arguments.
#[derive(Debug, Clone)]
pub struct PageRequest {
    pub size: u64,
    /// `last`/`before` paging: fetch from the end of the range.
    pub backward: bool,
    pub after: Option<Keyset>,
    pub before: Option<Keyset>,
}

impl PageRequest {
    /// The first `size` rows of a list.
    pub fn first(size: u64) -> Self {
        Self {
            size,
            backward: false,
            after: None,
            before: None,
        }
    }

    /// Rows to fetch: one more than the page, to learn whether more exist.
    pub fn fetch_limit(&self) -> u64 {
        self.size + 1
    }

    /// Builds the page from rows fetched in query order (reversed order when backward).
    pub fn into_page<T>(&self, mut rows: Vec<T>) -> Page<T> {
        let has_more = rows.len() as u64 > self.size;
        rows.truncate(usize::try_from(self.size).unwrap_or(usize::MAX));
        if self.backward {
            rows.reverse();
            Page {
                items: rows,
                has_next_page: self.before.is_some(),
                has_previous_page: has_more,
            }
        } else {
            Page {
                items: rows,
                has_next_page: has_more,
                has_previous_page: self.after.is_some(),
            }
        }
    }
}

/// One page of a list, in list order.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub has_next_page: bool,
    pub has_previous_page: bool,
}

impl<T> Page<T> {
    /// Transforms the items, keeping the page flags.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            has_next_page: self.has_next_page,
            has_previous_page: self.has_previous_page,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(first: Option<i32>, last: Option<i32>) -> Result<PageRequest, AppError> {
        PageArgs {
            first,
            last,
            ..PageArgs::default()
        }
        .parse(ListKind::PapersBySubmitted, &[KeyPart::Time(0)])
    }

    #[test]
    fn sizes_outside_one_to_a_hundred_are_rejected() {
        for bad in [0, -1, 101, i32::MAX, i32::MIN] {
            assert!(parse(Some(bad), None).is_err(), "first: {bad}");
            assert!(parse(None, Some(bad)).is_err(), "last: {bad}");
        }
        assert!(parse(Some(1), Some(1)).is_err());
    }

    #[test]
    fn default_size_is_twenty_forward() -> Result<(), AppError> {
        let request = parse(None, None)?;
        assert_eq!((request.size, request.backward), (20, false));
        Ok(())
    }

    #[test]
    fn backward_pages_come_back_in_list_order() -> Result<(), AppError> {
        let request = parse(None, Some(2))?;
        let page = request.into_page(vec![5, 4, 3]);
        assert_eq!(page.items, vec![4, 5]);
        assert!(page.has_previous_page);
        assert!(!page.has_next_page);
        Ok(())
    }
}
