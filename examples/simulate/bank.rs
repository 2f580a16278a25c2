//! A small bank: accounts are actors, and a teller moves money between them with
//! `ctx.ask` exchanges. [`Teller`] has a check-then-act race: it asks the balance, then
//! withdraws in a second message, so two transfers from one account can both see enough
//! money and overdraw it. [`SafeTeller`] asks the account to withdraw only if it can, in
//! one message. The scenario is the same for both.

use std::time::Duration;

use actor_core::prelude::*;
use actor_core::sim::Simulation;

const ASK: Duration = Duration::from_secs(1);

#[derive(Message)]
#[message(reply = i64)]
pub struct Balance;

#[derive(Message)]
pub struct Deposit(pub i64);

/// Takes the money unconditionally.
#[derive(Message)]
pub struct Debit(pub i64);

/// Takes the money only if it is there.
#[derive(Message)]
#[message(reply = bool)]
pub struct Withdraw(pub i64);

pub struct Account(pub i64);

#[actor]
impl Account {
    #[handles(Balance)]
    fn balance(&self, _: Balance) -> i64 {
        self.0
    }

    #[handles(Deposit)]
    fn deposit(&mut self, Deposit(n): Deposit) {
        self.0 += n;
    }

    #[handles(Debit)]
    fn debit(&mut self, Debit(n): Debit) {
        self.0 -= n;
    }

    #[handles(Withdraw)]
    fn withdraw(&mut self, Withdraw(n): Withdraw) -> bool {
        let enough = self.0 >= n;
        if enough {
            self.0 -= n;
        }
        enough
    }
}

/// Answered once the transfer is done (or refused).
#[derive(Message)]
pub struct Transfer {
    pub from: Addr<Account>,
    pub to: Addr<Account>,
    pub amount: i64,
}

/// Checks the balance, then debits: racy.
pub struct Teller;

#[actor]
impl Teller {
    #[handles(Transfer)]
    fn transfer(&mut self, t: Transfer, ctx: &mut Context<Self>) -> Deferred<()> {
        let (later, reply) = ctx.defer();
        let Transfer { from, to, amount } = t;
        ctx.ask(&from.clone(), Balance, ASK, move |_, balance, _| {
            if balance.is_ok_and(|balance| balance >= amount) {
                from.tell(Debit(amount)).ok();
                to.tell(Deposit(amount)).ok();
            }
            reply.send(());
        });
        later
    }
}

/// Withdraws if it can, in one message: correct.
pub struct SafeTeller;

#[actor]
impl SafeTeller {
    #[handles(Transfer)]
    fn transfer(&mut self, t: Transfer, ctx: &mut Context<Self>) -> Deferred<()> {
        let (later, reply) = ctx.defer();
        let Transfer { from, to, amount } = t;
        ctx.ask(&from, Withdraw(amount), ASK, move |_, done, _| {
            if done.unwrap_or(false) {
                to.tell(Deposit(amount)).ok();
            }
            reply.send(());
        });
        later
    }
}

/// Four accounts of 100; four tellers each making one transfer. Two of them take 60 from
/// the same account: only one may succeed.
pub const TRANSFERS: [(usize, usize, i64); 4] = [(0, 1, 60), (2, 3, 30), (0, 2, 60), (3, 1, 10)];

/// The bank's invariant after a run: no account overdrawn, no money made or lost.
pub fn check(balances: &[i64]) -> Result<(), String> {
    let total: i64 = balances.iter().sum();
    if balances.iter().any(|&b| b < 0) || total != 400 {
        return Err(format!("balances {balances:?} (total {total})"));
    }
    Ok(())
}

/// The scenario in a simulation, with the racy tellers or the safe ones.
pub fn scenario(sim: &Simulation, safe: bool) -> Result<(), String> {
    let accounts: Vec<Addr<Account>> = (0..4).map(|_| Account(100).spawn_in(sim)).collect();
    // Held to the end: a teller whose last handle goes stops, its asks unfinished.
    let mut tellers = Vec::new();
    for &(from, to, amount) in &TRANSFERS {
        let transfer = Transfer {
            from: accounts[from].clone(),
            to: accounts[to].clone(),
            amount,
        };
        let teller = match safe {
            true => SafeTeller.spawn_in(sim).recipient::<Transfer>(),
            false => Teller.spawn_in(sim).recipient::<Transfer>(),
        };
        teller.tell(transfer).map_err(|e| e.to_string())?;
        tellers.push(teller);
    }
    sim.run_until_idle().map_err(|e| e.to_string())?;
    let balances = accounts
        .iter()
        .map(|account| sim.call(account, Balance, ASK).map_err(|e| e.to_string()))
        .collect::<Result<Vec<i64>, String>>()?;
    check(&balances)
}

/// The same scenario as a plain test writes it: real threads (a driver), the four
/// transfers at once.
pub fn plain(driver: &Driver) -> Result<(), String> {
    let bridge = Bridge::new();
    let accounts: Vec<Addr<Account>> = (0..4).map(|_| Account(100).spawn_on(driver)).collect();
    let tellers: Vec<Addr<Teller>> = (0..4).map(|_| Teller.spawn_on(driver)).collect();
    let transfers = tellers
        .iter()
        .zip(&TRANSFERS)
        .map(|(teller, &(from, to, amount))| {
            let transfer = Transfer {
                from: accounts[from].clone(),
                to: accounts[to].clone(),
                amount,
            };
            (teller, transfer)
        });
    for (_, done) in bridge.multi_call(transfers, ASK) {
        done.map_err(|e| e.to_string())?;
    }
    // Each account has handled the debits and deposits told before these calls.
    let balances = accounts
        .iter()
        .map(|account| {
            bridge
                .call(account, Balance, ASK)
                .map_err(|e| e.to_string())
        })
        .collect::<Result<Vec<i64>, String>>()?;
    check(&balances)
}
