//! Who is asking: the viewer of a request.

mod viewer;

pub use viewer::{Role, Viewer};
