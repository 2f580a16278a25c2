//! The bounds of a generic actor in a `where` clause, one of them on `Self`.

#![deny(warnings)]

use actor_core::prelude::*;
use std::fmt::Display;
use std::time::Duration;

#[derive(Message)]
#[message(reply = String)]
struct Show<T>(T);

struct Printer<P> {
    prefix: P,
}

#[actor]
impl<P> Printer<P>
where
    P: Display + Send + 'static,
    Self: Send,
{
    #[handles(Show<u32>)]
    fn on_show(&mut self, Show(n): Show<u32>) -> String {
        format!("{}{n}", self.prefix)
    }
}

fn main() {
    let printer = Printer { prefix: '#' }.spawn();
    let shown = Bridge::new()
        .call(&printer, Show(7_u32), Duration::from_secs(5))
        .unwrap();
    assert_eq!(shown, "#7");
}
