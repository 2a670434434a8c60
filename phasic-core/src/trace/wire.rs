//! Portable little-endian encoding of trace data (subproblems and
//! component traces): the same bytes on every machine, so content keys and
//! files written on one cluster node are valid on another.
//!
//! Decoding never panics: every read is bounds-checked and a bad input is
//! an [`Error::Decode`] naming what was being read.

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// Bytes of the integrity seal at the end of an encoding.
const SEAL: usize = 8;

/// The first [`SEAL`] bytes of SHA-256 of `bytes`.
fn digest(bytes: &[u8]) -> [u8; SEAL] {
    let full: [u8; 32] = Sha256::digest(bytes).into();
    let mut out = [0u8; SEAL];
    out.copy_from_slice(&full[..SEAL]);
    out
}

/// Appends little-endian values to a byte vector.
#[derive(Default)]
pub(crate) struct Writer {
    pub bytes: Vec<u8>,
}

impl Writer {
    /// A writer whose bytes start with a format version.
    pub fn versioned(version: u32) -> Writer {
        let mut w = Writer::default();
        w.u32(version);
        w
    }
    pub fn u8(&mut self, x: u8) {
        self.bytes.push(x);
    }
    pub fn u32(&mut self, x: u32) {
        self.bytes.extend_from_slice(&x.to_le_bytes());
    }
    pub fn u64(&mut self, x: u64) {
        self.bytes.extend_from_slice(&x.to_le_bytes());
    }
    pub fn f64(&mut self, x: f64) {
        self.bytes.extend_from_slice(&x.to_le_bytes());
    }
    /// An unsigned LEB128 varint: 7 bits a byte, low first (small
    /// indices and index differences take one to three bytes).
    pub fn var(&mut self, mut x: u64) {
        while x >= 0x80 {
            self.bytes.push((x as u8 & 0x7f) | 0x80);
            x >>= 7;
        }
        self.bytes.push(x as u8);
    }
    /// A length-prefixed `u32` slice of varints.
    pub fn vars(&mut self, xs: &[u32]) {
        self.u64(xs.len() as u64);
        xs.iter().for_each(|&x| self.var(u64::from(x)));
    }
    /// A length-prefixed `u32` slice.
    pub fn u32s(&mut self, xs: &[u32]) {
        self.u64(xs.len() as u64);
        xs.iter().for_each(|&x| self.u32(x));
    }
    /// A length-prefixed `f64` slice.
    pub fn f64s(&mut self, xs: &[f64]) {
        self.u64(xs.len() as u64);
        xs.iter().for_each(|&x| self.f64(x));
    }
    /// The bytes followed by their integrity seal (a truncated SHA-256),
    /// so that any damage is detected on decoding, not only damage that
    /// breaks the structure.
    pub fn seal(mut self) -> Vec<u8> {
        let d = digest(&self.bytes);
        self.bytes.extend_from_slice(&d);
        self.bytes
    }
}

/// Reads what [`Writer`] wrote.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    what: &'static str,
}

impl<'a> Reader<'a> {
    /// A reader of unsealed bytes (tests of the bounds checks).
    #[cfg(test)]
    pub fn new(bytes: &'a [u8], what: &'static str) -> Self {
        Reader { bytes, what }
    }

    /// A reader of sealed bytes that start with a format version
    /// ([`Writer::versioned`]), after checking the seal and the version.
    pub fn unseal_versioned(bytes: &'a [u8], what: &'static str, version: u32) -> Result<Self> {
        let mut r = Self::unseal(bytes, what)?;
        let v = r.u32()?;
        if v != version {
            return Err(r.error(format!("format version {v}, expected {version}")));
        }
        Ok(r)
    }

    /// A reader of sealed bytes ([`Writer::seal`]), after checking the seal.
    pub fn unseal(bytes: &'a [u8], what: &'static str) -> Result<Self> {
        let r = Reader { bytes, what };
        let Some((body, seal)) = bytes.split_last_chunk::<SEAL>() else {
            return Err(r.error("truncated"));
        };
        if digest(body) != *seal {
            return Err(r.error("integrity seal mismatch (damaged bytes)"));
        }
        Ok(Reader { bytes: body, what })
    }

    /// An error naming the data being read.
    pub fn error(&self, reason: impl Into<String>) -> Error {
        Error::Decode {
            what: self.what,
            reason: reason.into(),
        }
    }

    fn take<const N: usize>(&mut self) -> Result<[u8; N]> {
        if self.bytes.len() < N {
            return Err(self.error("truncated"));
        }
        let (head, rest) = self.bytes.split_at(N);
        self.bytes = rest;
        let mut out = [0u8; N];
        out.copy_from_slice(head);
        Ok(out)
    }
    pub fn u8(&mut self) -> Result<u8> {
        Ok(self.take::<1>()?[0])
    }
    pub fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.take()?))
    }
    pub fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.take()?))
    }
    pub fn f64(&mut self) -> Result<f64> {
        Ok(f64::from_le_bytes(self.take()?))
    }
    /// A varint ([`Writer::var`]) of at most 64 bits.
    pub fn var(&mut self) -> Result<u64> {
        let mut x = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.u8()?;
            x |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(x);
            }
        }
        Err(self.error("a varint longer than 64 bits"))
    }
    /// A varint that must fit a `u32`.
    pub fn var32(&mut self) -> Result<u32> {
        let x = self.var()?;
        u32::try_from(x).map_err(|_| self.error(format!("{x} does not fit 32 bits")))
    }
    /// A length-prefixed slice of `u32` varints ([`Writer::vars`]).
    pub fn vars(&mut self) -> Result<Vec<u32>> {
        let n = self.len(1)?;
        (0..n).map(|_| self.var32()).collect()
    }
    /// A length prefix for items of `size` bytes, checked against the bytes left.
    fn len(&mut self, size: usize) -> Result<usize> {
        let n = self.u64()?;
        match usize::try_from(n) {
            Ok(n) if n.checked_mul(size).is_some_and(|b| b <= self.bytes.len()) => Ok(n),
            _ => Err(self.error(format!("length {n} exceeds the data"))),
        }
    }
    pub fn u32s(&mut self) -> Result<Vec<u32>> {
        let n = self.len(4)?;
        (0..n).map(|_| self.u32()).collect()
    }
    pub fn f64s(&mut self) -> Result<Vec<f64>> {
        let n = self.len(8)?;
        (0..n).map(|_| self.f64()).collect()
    }
    /// Fails unless everything was read.
    pub fn finish(self) -> Result<()> {
        if self.bytes.is_empty() {
            Ok(())
        } else {
            Err(self.error(format!("{} trailing bytes", self.bytes.len())))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip_in_few_bytes_and_refuse_overlong_ones() {
        let values = [0u64, 1, 127, 128, 16_383, 16_384, u32::MAX as u64, u64::MAX];
        let mut w = Writer::default();
        for &v in &values {
            w.var(v);
        }
        // 1 + 1 + 1 + 2 + 2 + 3 + 5 + 10 bytes
        assert_eq!(w.bytes.len(), 25);
        let mut r = Reader::new(&w.bytes, "test");
        for &v in &values {
            assert_eq!(r.var().unwrap(), v);
        }
        r.finish().unwrap();
        let mut w = Writer::default();
        w.var(u64::from(u32::MAX) + 1);
        assert!(Reader::new(&w.bytes, "test").var32().is_err());
        assert!(Reader::new(&[0x80; 11], "test").var().is_err());
        assert!(Reader::new(&[0x80], "test").var().is_err());
    }

    #[test]
    fn round_trip_and_truncation() {
        let mut w = Writer::default();
        w.u8(7);
        w.u32s(&[1, 2, 3]);
        w.f64s(&[-0.5, f64::INFINITY]);
        let b = w.bytes;
        assert_eq!(&b[1..9], &3u64.to_le_bytes());
        let mut r = Reader::new(&b, "test data");
        assert_eq!(r.u8().unwrap(), 7);
        assert_eq!(r.u32s().unwrap(), vec![1, 2, 3]);
        assert_eq!(r.f64s().unwrap(), vec![-0.5, f64::INFINITY]);
        r.finish().unwrap();
        for cut in 0..b.len() {
            let mut r = Reader::new(&b[..cut], "test data");
            let ok = r.u8().and_then(|_| r.u32s()).and_then(|_| r.f64s());
            assert!(ok.is_err(), "cut at {cut} accepted");
        }
        // sealed bytes: any single-bit flip is detected
        let mut w = Writer::default();
        w.u32s(&[5, 6]);
        let sealed = w.seal();
        let mut r = Reader::unseal(&sealed, "test data").unwrap();
        assert_eq!(r.u32s().unwrap(), vec![5, 6]);
        r.finish().unwrap();
        for bit in 0..sealed.len() * 8 {
            let mut bad = sealed.clone();
            bad[bit / 8] ^= 1 << (bit % 8);
            let e = Reader::unseal(&bad, "test data")
                .err()
                .expect("flip detected");
            assert!(e.to_string().contains("seal"), "{e}");
        }
        assert!(Reader::unseal(&sealed[..7], "test data").is_err());
        // a huge length prefix is rejected before allocating
        let mut huge = vec![0u8];
        huge.extend_from_slice(&u64::MAX.to_le_bytes());
        let mut r = Reader::new(&huge, "test data");
        r.u8().unwrap();
        let e = r.u32s().unwrap_err().to_string();
        assert!(e.contains("test data") && e.contains("exceeds"), "{e}");
    }
}
