//! Capturing `tracing` warnings in tests.
//!
//! One global subscriber (installed once) writes into a buffer owned by the
//! calling thread. A per-test `with_default` subscriber is not enough: when
//! tests run in parallel, a callsite first reached on a thread with no
//! subscriber can have its interest cached as "never", and its warnings are
//! then lost for every later test (flaky failures).

use std::cell::RefCell;
use std::io::Write;
use std::sync::Once;

thread_local! {
    static CAPTURE: RefCell<Option<Vec<u8>>> = const { RefCell::new(None) };
}

/// Writes into the calling thread's capture buffer (drops text outside `logged`).
struct ThreadLogs;

impl Write for ThreadLogs {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        CAPTURE.with(|c| {
            if let Some(buf) = c.borrow_mut().as_mut() {
                buf.extend_from_slice(b);
            }
        });
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs `f`; returns its result and the warnings it logged on this thread.
pub fn logged<T>(f: impl FnOnce() -> T) -> (T, String) {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let subscriber = tracing_subscriber::fmt()
            .with_writer(|| ThreadLogs)
            .with_ansi(false)
            .with_max_level(tracing::Level::WARN)
            .finish();
        tracing::subscriber::set_global_default(subscriber)
            .expect("no other global subscriber in this test binary");
    });
    CAPTURE.with(|c| *c.borrow_mut() = Some(Vec::new()));
    let out = f();
    let bytes = CAPTURE.with(|c| c.borrow_mut().take()).unwrap_or_default();
    (out, String::from_utf8(bytes).expect("logs are UTF-8"))
}
