//! On-disk stores of `phasic`.
//!
//! Every byte `phasic` reads from or writes to a disk goes through this
//! crate: graph and trace caches (rkyv archives, memory-mapped, written
//! atomically) and the work units of sharded trace computation. It builds
//! on `phasic-core`, which does no I/O.
