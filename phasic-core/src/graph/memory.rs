//! Fallible growth of the vectors a graph is built in: a failed
//! allocation becomes [`Error::OutOfMemory`] (through [`AllocFailure`])
//! instead of aborting the process.

use std::alloc::Layout;

use crate::error::Error;

/// An allocation that could not be made: what was growing and the layout
/// asked for.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AllocFailure {
    what: &'static str,
    layout: Layout,
}

impl AllocFailure {
    fn of<T>(what: &'static str, len: usize) -> Self {
        AllocFailure {
            what,
            // a length past isize::MAX bytes has no layout; any layout says
            // as much as the failure itself then
            layout: Layout::array::<T>(len).unwrap_or(Layout::new::<T>()),
        }
    }

    /// The error, for a graph of `vertices` vertices so far.
    pub(crate) fn at(self, vertices: usize) -> Error {
        Error::OutOfMemory {
            what: self.what,
            bytes: self.layout.size(),
            vertices,
        }
    }

    /// Ends the process as a failed `Vec` growth does (for the infallible
    /// [`GraphBuilder::build`](crate::GraphBuilder::build)).
    pub(crate) fn abort(self) -> ! {
        std::alloc::handle_alloc_error(self.layout)
    }
}

/// Room for `additional` more elements in `v` (amortised growth, as `push`).
pub(crate) fn reserve<T>(
    v: &mut Vec<T>,
    additional: usize,
    what: &'static str,
) -> Result<(), AllocFailure> {
    v.try_reserve(additional).map_err(|_| {
        let wanted = v
            .len()
            .saturating_add(additional)
            .max(v.capacity().saturating_mul(2));
        AllocFailure::of::<T>(what, wanted)
    })
}

/// An empty vector with room for exactly `n` elements.
pub(crate) fn with_capacity<T>(n: usize, what: &'static str) -> Result<Vec<T>, AllocFailure> {
    let mut v = Vec::new();
    v.try_reserve_exact(n)
        .map_err(|_| AllocFailure::of::<T>(what, n))?;
    Ok(v)
}

/// `n` copies of `value`.
pub(crate) fn filled<T: Clone>(
    n: usize,
    value: T,
    what: &'static str,
) -> Result<Vec<T>, AllocFailure> {
    let mut v = with_capacity(n, what)?;
    v.resize(n, value);
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_impossible_request_is_an_error_naming_what_and_how_much() {
        let mut v: Vec<u64> = vec![1, 2, 3];
        let e = reserve(&mut v, usize::MAX / 32, "the edge list").unwrap_err();
        assert_eq!(v, [1, 2, 3], "the vector is unchanged");
        match e.at(7) {
            Error::OutOfMemory {
                what,
                bytes,
                vertices,
            } => {
                assert_eq!(what, "the edge list");
                assert_eq!(bytes, (usize::MAX / 32 + 3) * 8);
                assert_eq!(vertices, 7);
            }
            other => panic!("{other:?}"),
        }
        assert!(with_capacity::<u8>(usize::MAX, "x").is_err());
        assert_eq!(filled(3, 7u32, "x").unwrap(), [7, 7, 7]);
    }
}
