use actor_core::prelude::*;

struct Counter;

#[actor]
impl Counter {
    #[message]
    fn rename(&mut self, names: std::borrow::Cow<'_, str>) {
        let _ = names;
    }
}

fn main() {}
