//! store + detect + alerts
