use actor_core::prelude::*;

struct Counter;

#[actor]
impl Counter {
    #[message]
    fn rename(&mut self, name: &str) {
        let _ = name;
    }
}

fn main() {}
