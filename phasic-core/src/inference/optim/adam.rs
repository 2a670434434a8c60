//! Adam steps (Kingma & Ba), for ascent on a log-likelihood or a log
//! posterior.

/// The state of Adam for one parameter vector.
#[derive(Debug, Clone)]
pub struct Adam {
    /// Step size.
    pub rate: f64,
    beta1: f64,
    beta2: f64,
    m: Vec<f64>,
    v: Vec<f64>,
    t: i32,
}

impl Adam {
    /// Adam with step size `rate` for `dim` parameters (β₁ = 0.9, β₂ = 0.999).
    pub fn new(rate: f64, dim: usize) -> Adam {
        Adam {
            rate,
            beta1: 0.9,
            beta2: 0.999,
            m: vec![0.0; dim],
            v: vec![0.0; dim],
            t: 0,
        }
    }

    /// Moves `x` up along `gradient`.
    ///
    /// ```
    /// use phasic_core::inference::Adam;
    /// // maximise −(x − 3)²
    /// let mut x = [0.0];
    /// let mut adam = Adam::new(0.1, 1);
    /// for _ in 0..2000 { let g = [-2.0 * (x[0] - 3.0)]; adam.ascend(&mut x, &g); }
    /// assert!((x[0] - 3.0).abs() < 1e-3);
    /// ```
    pub fn ascend(&mut self, x: &mut [f64], gradient: &[f64]) {
        self.t += 1;
        let (c1, c2) = (1.0 - self.beta1.powi(self.t), 1.0 - self.beta2.powi(self.t));
        for (((x, g), m), v) in x.iter_mut().zip(gradient).zip(&mut self.m).zip(&mut self.v) {
            *m = self.beta1 * *m + (1.0 - self.beta1) * g;
            *v = self.beta2 * *v + (1.0 - self.beta2) * g * g;
            *x += self.rate * (*m / c1) / ((*v / c2).sqrt() + 1e-8);
        }
    }
}
