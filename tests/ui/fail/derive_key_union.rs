//! `#[derive(phasic::Key)]` on a union.

#[derive(phasic::Key)]
union Bits {
    int: u64,
    float: f64,
}

fn main() {
    let _ = Bits { int: 0 };
}
