//! Site-frequency spectra in the layout of moments' and dadi's `Spectrum`.

/// An expected SFS over sample groups of sizes `n_1 … n_P`: shape
/// `(n_1+1) × … × (n_P+1)`, indexed `[i_1]…[i_P]`, values in row-major order
/// (the last index fastest). Entry `i` is the expected total length, in
/// generations, of branches subtending exactly `i_p` samples of each group
/// `p`; the all-zero and all-full corners are 0. A folded spectrum masks
/// the entries it folded away.
///
/// ```
/// use phasic::demes::Spectrum;
/// // one group of 4: entries 0..=4
/// let s = Spectrum::new(vec![5], vec![0.0, 4.0, 2.0, 4.0 / 3.0, 0.0]).unwrap();
/// let f = s.fold();
/// assert_eq!(f.get(&[1]), Some(4.0 + 4.0 / 3.0));
/// assert_eq!(f.get(&[2]), Some(2.0)); // the middle, counted once
/// assert_eq!(f.get(&[3]), None);      // folded away
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Spectrum {
    shape: Vec<usize>,
    values: Vec<f64>,
    masked: Vec<bool>,
}

impl Spectrum {
    /// A spectrum of `shape` from its row-major `values` (none masked);
    /// `None` if the lengths disagree.
    pub fn new(shape: Vec<usize>, values: Vec<f64>) -> Option<Spectrum> {
        (shape.iter().product::<usize>() == values.len()).then(|| Spectrum {
            masked: vec![false; values.len()],
            shape,
            values,
        })
    }

    /// `(n_1+1, …, n_P+1)`.
    pub fn shape(&self) -> &[usize] {
        &self.shape
    }

    /// The values, row-major (masked entries hold 0).
    pub fn values(&self) -> &[f64] {
        &self.values
    }

    /// Whether each entry is masked, row-major.
    pub fn masked(&self) -> &[bool] {
        &self.masked
    }

    /// Whether the spectrum is folded (some entry is masked).
    pub fn is_folded(&self) -> bool {
        self.masked.iter().any(|&m| m)
    }

    /// The entry at `index` (`None` if out of range or masked).
    pub fn get(&self, index: &[usize]) -> Option<f64> {
        let i = self.offset(index)?;
        (!self.masked[i]).then(|| self.values[i])
    }

    fn offset(&self, index: &[usize]) -> Option<usize> {
        if index.len() != self.shape.len() || index.iter().zip(&self.shape).any(|(i, s)| i >= s) {
            return None;
        }
        Some(index.iter().zip(&self.shape).fold(0, |o, (i, s)| o * s + i))
    }

    /// The multi-index of row-major offset `o`.
    fn index(&self, o: usize) -> Vec<usize> {
        multi_index(&self.shape, o)
    }

    /// The folded spectrum, as moments and dadi fold: with `k` the derived
    /// count of an entry and `N` the total sample size, an entry with
    /// `k < N/2` gets itself plus its complement `n − i`, one with `k = N/2`
    /// the mean of the two, and one with `k > N/2` is masked.
    pub fn fold(&self) -> Spectrum {
        let total: usize = self.shape.iter().map(|s| s - 1).sum();
        let mut values = vec![0.0; self.values.len()];
        let mut masked = vec![false; self.values.len()];
        for o in 0..self.values.len() {
            let index = self.index(o);
            let k: usize = index.iter().sum();
            let complement: Vec<usize> = index
                .iter()
                .zip(&self.shape)
                .map(|(i, s)| s - 1 - i)
                .collect();
            let c = self.offset(&complement).unwrap_or(o);
            match (2 * k).cmp(&total) {
                std::cmp::Ordering::Less => values[o] = self.values[o] + self.values[c],
                std::cmp::Ordering::Equal => values[o] = 0.5 * (self.values[o] + self.values[c]),
                std::cmp::Ordering::Greater => masked[o] = true,
            }
        }
        Spectrum {
            shape: self.shape.clone(),
            values,
            masked,
        }
    }
}

/// The multi-index of row-major offset `o` in `shape`.
pub(crate) fn multi_index(shape: &[usize], mut o: usize) -> Vec<usize> {
    let mut index = vec![0; shape.len()];
    for (i, s) in index.iter_mut().zip(shape).rev() {
        *i = o % s;
        o /= s;
    }
    index
}
