use actor_core::prelude::*;
use std::rc::Rc;

#[derive(Message)]
struct Put<T>(T);

struct Cache<T> {
    values: Vec<T>,
}

// `#[actor]` adds `T: Send + 'static`, which an actor needs: the block compiles without
// it, and `Cache<T>` is an actor for each such `T`.
#[actor]
impl<T: Clone> Cache<T> {
    #[handles(Put<T>)]
    fn on_put(&mut self, Put(value): Put<T>) {
        self.values.push(value);
    }
}

fn main() {
    let _ = Cache { values: vec![Rc::new(1_u8)] }.spawn();
}
