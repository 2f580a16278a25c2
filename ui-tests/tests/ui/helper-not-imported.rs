mod counter {
    use actor_core::prelude::*;

    #[derive(Default)]
    pub struct Counter {
        n: u64,
    }

    #[actor]
    impl Counter {
        #[message]
        pub fn inc(&mut self, by: u64) -> u64 {
            self.n += by;
            self.n
        }
    }
}

fn main() {
    use actor_core::Actor as _;
    let counter = counter::Counter::default().spawn();
    counter.inc(1).tell().unwrap();
}
