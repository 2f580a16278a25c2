use actor_core::prelude::*;

struct Cache<T> {
    value: Option<T>,
}

#[actor]
impl<T: Send + 'static> Cache<T> {
    #[message]
    fn put(&mut self, value: T) {
        self.value = Some(value);
    }
}

fn main() {}
