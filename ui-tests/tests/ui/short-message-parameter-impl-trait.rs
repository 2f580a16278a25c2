use actor_core::prelude::*;

struct Counter;

#[actor]
impl Counter {
    #[message]
    fn run(&mut self, job: impl FnOnce() + Send + 'static) {
        job()
    }
}

fn main() {}
