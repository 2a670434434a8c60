//! `verify` as (good, bad), for tests whose entries are all readable.

/// What `verify` found, as (good, bad); no entry here is unreadable.
pub fn verified<K: phasic::cache::Kind>(
    store: &phasic::cache::Store<K>,
) -> (u64, Vec<(std::path::PathBuf, phasic::cache::Rejection)>) {
    let v = store.verify().unwrap();
    assert!(v.denied.is_empty(), "{:?}", v.denied);
    (v.good, v.bad)
}
