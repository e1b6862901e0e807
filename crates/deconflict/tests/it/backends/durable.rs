//! What only a real database shows: an entry altered in the stored log
//! breaks verification exactly there.

use super::common::audit_log::*;
use super::common::*;

#[tokio::test]
async fn altering_one_stored_entry_breaks_verification_exactly_there() {
    let s = TestServer::start_with(super::on_sqlite(), tempfile::tempdir().unwrap()).await;
    scenario(&s).await;
    seal(&s).await;
    let key = service_key(&s).await;
    let admin = s.token("auditor", &[AUDIT_ALL]);
    let full = audit::export::parse_export(&export(&s, &admin).await).unwrap();
    audit::verify_slice(&full.slice, &[key]).unwrap();

    // Someone with access to the database rewrites history in entry 3.
    let db = super::sqlite_file(s.dir.path());
    tokio::task::spawn_blocking(move || {
        let conn = rusqlite::Connection::open(db).unwrap();
        let n = conn
            .execute(
                "UPDATE events SET payload = replace(payload, 'alice', 'mallory') WHERE audit_seq = 3",
                [],
            )
            .unwrap();
        assert_eq!(n, 1);
    })
    .await
    .unwrap();
    let tampered = audit::export::parse_export(&export(&s, &admin).await).unwrap();
    let err = audit::verify_slice(&tampered.slice, &[key]).unwrap_err();
    assert_eq!(err, audit::VerifyError::BadHash { seq: 3 }, "{err}");
}
