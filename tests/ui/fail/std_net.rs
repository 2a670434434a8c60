//! Opens a connection with `std::net::TcpStream`.

use phasic::prelude::*;

#[phasic::callback(initial = [3])]
fn model(state: &[i32], out: &mut Transitions) {
    let n = state[0];
    if n > 1 {
        out.add(
            &[n - 1],
            std::net::TcpStream::connect("127.0.0.1:80").map_or(1.0, |_| 2.0),
        );
    }
}

fn main() {
    let _ = Graph::from_callback(model, ());
}
