struct Counter;

impl Counter {
    #[message]
    fn reset(&mut self) {}
}

fn main() {}
