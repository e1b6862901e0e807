//! Party keys, sealed line keys, rotation and revocation.
#![allow(clippy::unwrap_used)]

mod common;

use blind::keys::{
    Envelope, EnvelopeContext, KeyError, Member, PartyPublicKey, PartySecretKey, open, rotate, seal,
};
use blind::{BlindOperation, Epoch, LineKey, LinePolicy, matches};
use proptest::prelude::*;
use rand::SeedableRng;
use rand::rngs::StdRng;

fn party(seed: u64) -> PartySecretKey {
    PartySecretKey::generate(&mut StdRng::seed_from_u64(seed))
}

fn ctx<'a>(line: &'a str, epoch: u64, sender: &'a str, recipient: &'a str) -> EnvelopeContext<'a> {
    EnvelopeContext { line, epoch: Epoch(epoch), sender, recipient, policy: None }
}

/// The context of a line key's envelope under `policy`.
fn keyed<'a>(
    line: &'a str,
    epoch: u64,
    sender: &'a str,
    recipient: &'a str,
    policy: &'a LinePolicy,
) -> EnvelopeContext<'a> {
    EnvelopeContext { policy: Some(policy), ..ctx(line, epoch, sender, recipient) }
}

fn same(a: &LineKey, b: &LineKey) -> bool {
    *a.to_bytes() == *b.to_bytes()
}

fn op(key: &LineKey, epoch: u64) -> BlindOperation {
    let v = common::volume(
        common::circle(geom::LatLng::new(46.5, 6.6).unwrap(), 300.0),
        0.0,
        120.0,
        0,
        600_000_000,
    );
    BlindOperation::new(key, Epoch(epoch), &LinePolicy::default(), &[v], &mut StdRng::seed_from_u64(9))
        .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// The recipient opens what the sender sealed, and gets the same key.
    #[test]
    fn the_recipient_opens_its_envelope(s in any::<u64>(), r in any::<u64>(), k in any::<[u8; 32]>(), epoch in any::<u64>()) {
        prop_assume!(s != r);
        let (alpha, bravo) = (party(s), party(r));
        let key = LineKey::new(k);
        let c = ctx("alpha-bravo", epoch, "alpha", "bravo");
        let env = seal(&key, &c, &alpha, &bravo.public(), &mut StdRng::seed_from_u64(s ^ r)).unwrap();
        let back = Envelope::from_bytes(&env.to_bytes()).unwrap();
        prop_assert!(same(&open(&back, &c, &bravo, &alpha.public()).unwrap(), &key));
    }

    /// Flipping any bit of an envelope makes it refused.
    #[test]
    fn tampered_envelopes_are_refused(byte in 0..Envelope::LEN, bit in 0..8_u8) {
        let (alpha, bravo) = (party(1), party(2));
        let c = ctx("alpha-bravo", 3, "alpha", "bravo");
        let env = seal(&LineKey::new([5; 32]), &c, &alpha, &bravo.public(), &mut StdRng::seed_from_u64(4)).unwrap();
        let mut bytes = env.to_bytes();
        bytes[byte] ^= 1 << bit;
        let tampered = Envelope::from_bytes(&bytes).unwrap();
        prop_assert!(open(&tampered, &c, &bravo, &alpha.public()).is_err());
    }
}

#[test]
fn envelopes_open_only_for_their_recipient_sender_line_and_epoch() {
    let (alpha, bravo, charlie) = (party(1), party(2), party(3));
    let key = LineKey::new([7; 32]);
    let c = ctx("alpha-bravo", 1, "alpha", "bravo");
    let env = seal(&key, &c, &alpha, &bravo.public(), &mut StdRng::seed_from_u64(8)).unwrap();
    // Another party's private key (even claiming to be the recipient).
    let refused = open(&env, &c, &charlie, &alpha.public()).unwrap_err();
    assert_eq!(
        refused.to_string(),
        "envelope for bravo on line alpha-bravo epoch 1 does not open with these keys"
    );
    // Another claimed sender: an envelope a relay made with its own key is refused.
    assert!(matches!(open(&env, &c, &bravo, &charlie.public()), Err(KeyError::Refused { .. })));
    let forged = seal(&key, &c, &charlie, &bravo.public(), &mut StdRng::seed_from_u64(9)).unwrap();
    assert!(open(&forged, &c, &bravo, &alpha.public()).is_err());
    // The same bytes under another context.
    for other in [
        ctx("alpha-charlie", 1, "alpha", "bravo"),
        ctx("alpha-bravo", 2, "alpha", "bravo"),
        ctx("alpha-bravo", 1, "bravo", "bravo"),
        ctx("alpha-bravo", 1, "alpha", "charlie"),
    ] {
        assert!(open(&env, &other, &bravo, &alpha.public()).is_err(), "{other:?}");
    }
    assert!(same(&open(&env, &c, &bravo, &alpha.public()).unwrap(), &key));
}

#[test]
fn malformed_bytes_and_weak_keys_are_refused() {
    assert_eq!(Envelope::from_bytes(&[0; 10]).unwrap_err().to_string(), "envelope must be 80 bytes, not 10");
    assert!(matches!(PartyPublicKey::from_bytes(&[1; 31]), Err(KeyError::Length { got: 31, .. })));
    // The all-zero point is of small order: sealing to it would give a known key.
    let zero = PartyPublicKey::from_bytes(&[0; 32]).unwrap();
    let c = ctx("l", 1, "alpha", "bravo");
    assert_eq!(
        seal(&LineKey::new([1; 32]), &c, &party(1), &zero, &mut StdRng::seed_from_u64(1)).unwrap_err(),
        KeyError::WeakKey("bravo".into())
    );
}

#[test]
fn secret_keys_round_trip_and_fingerprints_are_stable() {
    let a = party(11);
    let back = PartySecretKey::from_bytes(&a.to_bytes()[..]).unwrap();
    assert_eq!(back.public(), a.public());
    let f = a.public().fingerprint();
    assert_eq!(f.len(), 39, "{f}");
    assert_ne!(f, party(12).public().fingerprint());
    let hex: String = a.to_bytes().iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(format!("{a:?}"), format!("PartySecretKey(public {f})"));
    assert!(!format!("{a:?}").contains(&hex[..8]));
}

#[test]
fn rotation_seals_a_fresh_key_to_each_current_member_only() {
    let (alpha, bravo, charlie) = (party(1), party(2), party(3));
    let members = |ps: &[(&str, &PartySecretKey)]| -> Vec<Member> {
        ps.iter().map(|(n, k)| Member { name: (*n).to_owned(), key: k.public() }).collect()
    };
    let mut rng = StdRng::seed_from_u64(5);
    let p = LinePolicy::default();
    let all = members(&[("alpha", &alpha), ("bravo", &bravo), ("charlie", &charlie)]);
    let e1 = rotate("l", Epoch(1), &p, "alpha", &alpha, &all, &mut rng).unwrap();
    for (name, secret) in [("alpha", &alpha), ("bravo", &bravo), ("charlie", &charlie)] {
        let env = &e1.envelopes.iter().find(|(n, _)| n == name).unwrap().1;
        assert!(same(
            &open(env, &keyed("l", 1, "alpha", name, &p), secret, &alpha.public()).unwrap(),
            &e1.key
        ));
    }
    // Charlie is removed: epoch 2 has no envelope for it, and none of the
    // others' envelopes opens with its key.
    let kept = members(&[("alpha", &alpha), ("bravo", &bravo)]);
    let e2 = rotate("l", Epoch(2), &p, "bravo", &bravo, &kept, &mut rng).unwrap();
    assert_eq!(e2.envelopes.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["alpha", "bravo"]);
    assert!(!same(&e1.key, &e2.key));
    for (name, env) in &e2.envelopes {
        assert!(open(env, &keyed("l", 2, "bravo", name, &p), &charlie, &bravo.public()).is_err());
        assert!(open(env, &keyed("l", 2, "bravo", "charlie", &p), &charlie, &bravo.public()).is_err());
    }
    // What charlie can still compute (epoch-1 tokens, or old-key tokens
    // labelled epoch 2) never matches the members' epoch-2 tokens for the
    // very same volume; the members' own epoch-2 tokens do match each other.
    let members_e2 = op(&e2.key, 2);
    assert!(matches(op(&e1.key, 1).tokens(), members_e2.tokens()).is_empty());
    assert!(matches(op(&e1.key, 2).tokens(), members_e2.tokens()).is_empty());
    assert_eq!(matches(op(&e2.key, 2).tokens(), members_e2.tokens()).len(), members_e2.real_count());
}

/// A relay that shows a member another policy than the one the key was
/// sealed with (a coarser grid, a larger maximum area, no padding) gets the
/// envelope refused, so no member makes tokens under a policy the others
/// did not agree to.
#[test]
fn a_key_opens_only_under_the_policy_it_was_sealed_with() {
    let (alpha, bravo) = (party(1), party(2));
    let sealed_with = LinePolicy::default();
    let members = [Member { name: "bravo".into(), key: bravo.public() }];
    let r = rotate("l", Epoch(1), &sealed_with, "alpha", &alpha, &members, &mut StdRng::seed_from_u64(6))
        .unwrap();
    let env = &r.envelopes[0].1;
    let base = sealed_with.params();
    for other in [
        blind::PolicyParams { cell_resolution: 7, ..base },
        blind::PolicyParams { max_area_m2: base.max_area_m2 * 2.0, ..base },
        blind::PolicyParams { min_tokens: 1, ..base },
        blind::PolicyParams { buffer_h_m: base.buffer_h_m + 1.0, ..base },
    ] {
        let other = LinePolicy::new(other).unwrap();
        assert_ne!(other.digest(), sealed_with.digest());
        assert!(open(env, &keyed("l", 1, "alpha", "bravo", &other), &bravo, &alpha.public()).is_err());
    }
    assert!(open(env, &ctx("l", 1, "alpha", "bravo"), &bravo, &alpha.public()).is_err(), "no policy");
    let opened = open(env, &keyed("l", 1, "alpha", "bravo", &sealed_with), &bravo, &alpha.public()).unwrap();
    assert!(same(&opened, &r.key));
}

#[test]
fn rotation_refuses_empty_and_repeated_members() {
    let a = party(1);
    let mut rng = StdRng::seed_from_u64(1);
    let p = LinePolicy::default();
    assert_eq!(rotate("l", Epoch(1), &p, "a", &a, &[], &mut rng).unwrap_err(), KeyError::NoMembers);
    let m = Member { name: "a".into(), key: a.public() };
    assert_eq!(
        rotate("l", Epoch(1), &p, "a", &a, &[m.clone(), m], &mut rng).unwrap_err(),
        KeyError::DuplicateMember("a".into())
    );
}

#[test]
fn sealed_geometry_opens_for_its_recipient_and_never_as_a_line_key() {
    let (alpha, bravo, charlie) = (party(1), party(2), party(3));
    let c = ctx("ab", 0, "bravo", "alpha");
    let text = br#"{"type":"Polygon","coordinates":[[[6.6,46.5],[6.7,46.5],[6.7,46.6],[6.6,46.5]]]}"#;
    let sealed =
        blind::keys::seal_message(text, &c, &bravo, &alpha.public(), &mut StdRng::seed_from_u64(3)).unwrap();
    assert!(!sealed.windows(5).any(|w| w == b"46.5,"), "no plaintext in the sealed bytes");
    assert_eq!(&blind::keys::open_message(&sealed, &c, &alpha, &bravo.public()).unwrap()[..], &text[..]);
    assert!(blind::keys::open_message(&sealed, &c, &charlie, &bravo.public()).is_err());
    // A 32-byte message sealed as geometry does not open as a line key envelope.
    let short =
        blind::keys::seal_message(&[9; 32], &c, &bravo, &alpha.public(), &mut StdRng::seed_from_u64(4))
            .unwrap();
    let as_envelope = Envelope::from_bytes(&short).unwrap();
    assert!(open(&as_envelope, &c, &alpha, &bravo.public()).is_err());
}
