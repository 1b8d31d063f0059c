//! Keyset pagination: page arguments, opaque cursors, and turning fetched rows into pages.
//!
//! Every list is ordered by a tuple of sort columns ending in the row id, and a cursor is
//! that tuple for one row. A page is "the next N rows after (or before) this tuple", which
//! an index answers without counting or skipping rows, however deep the page.

mod cursor;
mod page;

pub use cursor::{KeyPart, Keyset, ListKind};
pub use page::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, Page, PageArgs, PageRequest};
