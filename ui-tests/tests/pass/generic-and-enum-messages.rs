//! Generic messages, enums, const generics and messages from another module.

use actor_core::prelude::*;
use std::time::Duration;

mod wire {
    use actor_core::prelude::*;

    #[derive(Message)]
    #[message(reply = Vec<T>)]
    pub struct Repeat<T: Clone> {
        pub value: T,
        pub times: usize,
    }
}

#[derive(Message)]
#[message(reply = [u8; N])]
struct Fill<const N: usize>(u8);

#[derive(Message)]
#[message(reply = Result<u32, String>)]
enum Parse {
    Decimal(String),
    Hex(String),
}

struct Tools;

#[actor]
impl Tools {
    #[handles(wire::Repeat<char>)]
    fn on_repeat(&mut self, wire::Repeat { value, times }: wire::Repeat<char>) -> Vec<char> {
        vec![value; times]
    }

    #[handles(Fill<4>)]
    fn on_fill(&mut self, Fill(byte): Fill<4>) -> [u8; 4] {
        [byte; 4]
    }

    #[handles(Parse)]
    fn on_parse(&mut self, parse: Parse) -> Result<u32, String> {
        let (text, radix) = match &parse {
            Parse::Decimal(text) => (text, 10),
            Parse::Hex(text) => (text, 16),
        };
        u32::from_str_radix(text, radix).map_err(|e| e.to_string())
    }
}

fn main() {
    let tools = Tools.spawn();
    let bridge = Bridge::new();
    let timeout = Duration::from_secs(5);
    let repeat = wire::Repeat {
        value: 'a',
        times: 3,
    };
    assert_eq!(bridge.call(&tools, repeat, timeout).unwrap(), ['a'; 3]);
    assert_eq!(bridge.call(&tools, Fill::<4>(9), timeout).unwrap(), [9; 4]);
    let hex = bridge
        .call(&tools, Parse::Hex("ff".into()), timeout)
        .unwrap();
    assert_eq!(hex, Ok(255));
    assert!(bridge
        .call(&tools, Parse::Decimal("x".into()), timeout)
        .unwrap()
        .is_err());
    assert_eq!(Tools::HANDLES, ["wire::Repeat<char>", "Fill<4>", "Parse"]);
}
