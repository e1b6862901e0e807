//! sbs (todo)
