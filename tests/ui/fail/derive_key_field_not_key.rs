//! `#[derive(phasic::Key)]` on a struct with a field whose type is not `Key`.

struct Opaque;

#[derive(phasic::Key)]
struct Params {
    theta: f64,
    extra: Opaque,
}

fn main() {
    let _ = Params {
        theta: 1.0,
        extra: Opaque,
    };
}
