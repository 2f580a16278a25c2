//! What a process holds, read from `/proc/<pid>` alone: threads, file descriptors and
//! resident memory. A child serving an attack is measured this way, and so is the test
//! process itself (`Me`), since nothing inside the process is trusted to count.
#![allow(dead_code)]

/// A process whose resources a test reads: implement [`Resources::pid`], the rest
/// follows.
pub trait Resources {
    /// The process's id.
    fn pid(&self) -> u32;

    /// A number from `/proc/<pid>/status`: the first word after `field` (`Threads:`).
    fn status(&self, field: &str) -> u64 {
        let path = format!("/proc/{}/status", self.pid());
        let status = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let line = status
            .lines()
            .find(|l| l.starts_with(field))
            .unwrap_or_else(|| panic!("no {field} in {path}"));
        line[field.len()..]
            .split_whitespace()
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{path}: not a number: {line}"))
    }

    /// How many threads the process has.
    fn threads(&self) -> u64 {
        self.status("Threads:")
    }

    /// Its resident memory, in KiB.
    fn rss_kib(&self) -> u64 {
        self.status("VmRSS:")
    }

    /// How many file descriptors it has open.
    fn fds(&self) -> usize {
        let path = format!("/proc/{}/fd", self.pid());
        std::fs::read_dir(&path)
            .unwrap_or_else(|e| panic!("{path}: {e}"))
            .count()
    }

    /// Threads, fds and RSS, for the figures.
    fn resources(&self) -> String {
        format!(
            "threads {}, fds {}, RSS {} KiB",
            self.threads(),
            self.fds(),
            self.rss_kib()
        )
    }
}

/// The test process itself.
pub struct Me;

impl Resources for Me {
    fn pid(&self) -> u32 {
        std::process::id()
    }
}
