//! `Spawn::named`: a name registered atomically with the start, on a thread and on a
//! driver (issue 16).

mod common;

use actor_core::prelude::*;
use actor_core::Error;
use common::WAIT;
use std::sync::Barrier;

#[derive(Message)]
#[message(reply = bool)]
struct SawItself;

/// Looks its own name up in `#[on_start]`: the name must already be its.
struct Room {
    name: String,
    n: u32,
    saw_itself: bool,
}

impl Room {
    fn new(name: &str, n: u32) -> Room {
        Room {
            name: name.to_owned(),
            n,
            saw_itself: false,
        }
    }
}

#[actor]
impl Room {
    #[on_start]
    fn look(&mut self, ctx: &mut Context<Self>) {
        self.saw_itself = Registry::lookup::<Room>(&self.name) == Some(ctx.myself());
    }

    #[handles(SawItself)]
    fn saw(&self, _: SawItself) -> bool {
        self.saw_itself
    }
}

fn spawn_named(
    driver: Option<&Driver>,
    name: &str,
    n: u32,
) -> Result<Addr<Room>, actor_core::SpawnError<Room>> {
    let named = Spawn::new(Room::new(name, n)).named(name);
    match driver {
        None => named.spawn(),
        Some(driver) => named.spawn_on(driver),
    }
}

#[test]
fn a_named_spawn_is_registered_before_the_actor_runs_and_a_taken_name_gives_the_actor_back() {
    let driver = Driver::new(2);
    for (hosting, driver) in [("thread", None), ("driver", Some(&driver))] {
        let name = format!("room/lobby-{hosting}");
        let lobby = spawn_named(driver, &name, 1).unwrap();
        let bridge = Bridge::new();
        assert!(bridge.call(&lobby, SawItself, WAIT).unwrap(), "{hosting}");
        assert_eq!(Registry::lookup::<Room>(&name), Some(lobby.clone()));

        let taken = spawn_named(driver, &name, 2).unwrap_err();
        assert_eq!(
            taken.error(),
            &Error::NameTaken {
                name: name.clone(),
                holder: lobby.info()
            }
        );
        assert_eq!(taken.into_actor().map(|room| room.n), Some(2));
        assert_eq!(Registry::lookup::<Room>(&name), Some(lobby.clone()));

        // Freed when its actor stops, and then free to take again.
        assert_eq!(bridge.stop(&[lobby.any()], WAIT), [Some(Stopped)]);
        assert!(Registry::lookup::<Room>(&name).is_none());
        let again = spawn_named(driver, &name, 3).unwrap();
        assert!(bridge.call(&again, SawItself, WAIT).unwrap());
        bridge.stop(&[again.any()], WAIT);
    }
}

#[test]
fn of_many_spawns_racing_for_one_name_exactly_one_wins_and_the_others_get_their_actor_back() {
    const RACERS: u32 = 8;
    let driver = Driver::new(2);
    for round in 0..50 {
        for (hosting, driver) in [("thread", None), ("driver", Some(&driver))] {
            let name = format!("room/raced-{hosting}-{round}");
            let start = Barrier::new(RACERS as usize);
            let results: Vec<_> = std::thread::scope(|scope| {
                let racers: Vec<_> = (0..RACERS)
                    .map(|n| {
                        let (start, name) = (&start, &name);
                        scope.spawn(move || {
                            start.wait();
                            spawn_named(driver, name, n)
                        })
                    })
                    .collect();
                racers.into_iter().map(|r| r.join().unwrap()).collect()
            });
            let mut winners = Vec::new();
            let mut given_back = Vec::new();
            for result in results {
                match result {
                    Ok(addr) => winners.push(addr),
                    Err(e) => {
                        assert!(matches!(e.error(), Error::NameTaken { .. }), "{e}");
                        given_back.push(e.into_actor().expect("the actor back").n);
                    }
                }
            }
            assert_eq!(winners.len(), 1, "{hosting}");
            assert_eq!(given_back.len() as u32, RACERS - 1);
            let winner = winners.pop().unwrap();
            assert_eq!(Registry::lookup::<Room>(&name), Some(winner.clone()));
            let bridge = Bridge::new();
            assert!(bridge.call(&winner, SawItself, WAIT).unwrap(), "{hosting}");
            bridge.stop(&[winner.any()], WAIT);
        }
    }
}
