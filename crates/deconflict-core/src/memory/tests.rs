//! The memory store runs the shared conformance suite.

use super::MemoryStore;

crate::store_conformance!(Box::new(MemoryStore::new()));
