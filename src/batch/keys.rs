//! Rows that share an account, month and billing item, counted in bounded
//! memory.
//!
//! Rows that share such a key were each billed as a whole month, and the user
//! is told how many (RULES §8). Each row's key is a 64-bit fingerprint. The
//! fingerprints are appended to 256 partitions picked by their top byte,
//! each in a place of its own ([`HELD`] keys); once the places are nearly
//! full, the partitions are written to an anonymous temporary file (8 bytes a
//! row), so memory stays the same whatever the input's size. At the end
//! each partition is counted on its own in a small table, the rows of every
//! key found more than once summed: groups of partitions are read back in
//! turn, and on a machine with more than one core every core takes the next
//! group, reads it and counts it, while another reads. A partition too big
//! to count at once is sorted by its next byte in memory, or, bigger still,
//! split again by it through a temporary file of its own (or, when all its
//! keys are one, counted whole).
//!
//! When no temporary file can be made (no writable temporary directory), the
//! fingerprints stay in memory: the count is the same, memory grows with the
//! rows.
//!
//! Two different keys count as one only if their fingerprints collide: for n
//! distinct keys the chance is about n² / 2⁶⁵ (one in ten million at 2,000,000
//! keys).

use std::fs::File;
use std::io::{self, Write};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Partitions, picked by one byte of the fingerprint.
const PARTS: usize = 256;
/// Fingerprints of one partition held in its place (4 KiB).
const HELD: usize = 1 << 9;
/// Fingerprints held in the partitions' places (1 MiB), written out once
/// three quarters of that are held: a partition whose place fills before
/// (hashed keys spread evenly, so one that many rows share) moves its keys
/// aside.
const BUFFERED: usize = PARTS * HELD;
/// Fingerprints of neighbouring partitions read back at once (256 KiB on
/// each counting thread, each partition counted in a table of two to four
/// slots a key); a bigger partition is sorted or split by its next byte.
const COUNTED: usize = 1 << 15;

/// The fingerprints of a run's rows, partitioned by the byte at `shift`.
pub(super) struct KeyLog {
    shift: u32,
    /// Partition `p`'s last fingerprints, at `places[p * HELD..][..lens[p]]`,
    /// each as its little-endian bytes (the file's form): a place of fixed
    /// size each, so that adding a key is a store and a count.
    places: Box<[[u8; 8]; BUFFERED]>,
    lens: [u32; PARTS],
    /// Keys of partitions whose place filled before the others', moved aside.
    aside: Vec<Vec<[u8; 8]>>,
    aside_keys: usize,
    /// Runs written out, if any.
    spill: Option<Spill>,
}

/// The runs written out: each holds the partitions end to end.
struct Spill {
    store: Store,
    /// Each run's partition lengths.
    runs: Vec<[u32; PARTS]>,
}

/// Where runs are written.
enum Store {
    File(File),
    /// No temporary file could be made: everything stays in memory.
    Memory(Vec<[u8; 8]>),
}

impl KeyLog {
    pub(super) fn new() -> KeyLog {
        KeyLog::at(56)
    }

    fn at(shift: u32) -> KeyLog {
        let places = vec![[0; 8]; BUFFERED].into_boxed_slice().try_into();
        KeyLog {
            shift,
            places: places.unwrap_or_else(|_| unreachable!("BUFFERED keys")),
            lens: [0; PARTS],
            aside: vec![Vec::new(); PARTS],
            aside_keys: 0,
            spill: None,
        }
    }

    /// A log whose runs stay in memory (as when no temporary file can be
    /// made).
    #[cfg(test)]
    fn in_memory() -> KeyLog {
        let mut log = KeyLog::new();
        log.spill = Some(Spill {
            store: Store::Memory(Vec::new()),
            runs: Vec::new(),
        });
        log
    }

    fn part_of(&self, key: u64) -> usize {
        ((key >> self.shift) & 0xFF) as usize
    }

    /// Adds the fingerprints of some rows.
    pub(super) fn add_all(&mut self, keys: &[u64]) -> io::Result<()> {
        self.push(keys).map_err(spill_error)
    }

    fn push(&mut self, keys: &[u64]) -> io::Result<()> {
        for &key in keys {
            self.put(key.to_le_bytes())?;
        }
        Ok(())
    }

    /// Adds fingerprints read back from a file.
    fn push_bytes(&mut self, keys: &[[u8; 8]]) -> io::Result<()> {
        for &key in keys {
            self.put(key)?;
        }
        Ok(())
    }

    /// Adds one fingerprint to its partition's place.
    #[inline(always)]
    fn put(&mut self, key: [u8; 8]) -> io::Result<()> {
        let p = self.part_of(u64::from_le_bytes(key));
        let n = self.lens[p] as usize;
        // (`n` is below HELD: a full place is emptied at once.)
        self.places[p * HELD + n % HELD] = key;
        self.lens[p] = n as u32 + 1;
        if n + 1 == HELD {
            self.filled(p)?;
        }
        Ok(())
    }

    /// Partition `p`'s place is full: the partitions are written out when
    /// three quarters of all places are held, else its keys move aside.
    #[cold]
    fn filled(&mut self, p: usize) -> io::Result<()> {
        if self.held_keys() >= BUFFERED / 4 * 3 {
            return self.write_run();
        }
        let place = p * HELD..(p + 1) * HELD;
        self.aside[p].extend_from_slice(&self.places[place]);
        self.aside_keys += HELD;
        self.lens[p] = 0;
        Ok(())
    }

    /// The partitions' lengths in each run written out.
    fn runs(&self) -> &[[u32; PARTS]] {
        self.spill.as_ref().map_or(&[][..], |spill| &spill.runs)
    }

    /// The keys held in memory.
    fn held_keys(&self) -> usize {
        keys_in(&self.lens) as usize + self.aside_keys
    }

    /// Partition `p`'s keys held in memory: those moved aside, then those in
    /// its place.
    fn held(&self, p: usize) -> [&[[u8; 8]]; 2] {
        let place = &self.places[p * HELD..p * HELD + self.lens[p] as usize];
        [&self.aside[p], place]
    }

    /// Writes the partitions held out as one run: to the temporary file, or
    /// kept in memory when none can be made.
    fn write_run(&mut self) -> io::Result<()> {
        let mut spill = self.spill.take().unwrap_or_else(|| Spill {
            store: tempfile::tempfile().map_or_else(|_| Store::Memory(Vec::new()), Store::File),
            runs: Vec::new(),
        });
        let written = self.write_held(&mut spill.store);
        if written.is_ok() {
            spill.runs.push(std::array::from_fn(|p| {
                self.held(p).iter().map(|keys| keys.len() as u32).sum()
            }));
            for part in &mut self.aside {
                part.clear();
            }
            self.aside_keys = 0;
            self.lens = [0; PARTS];
        }
        self.spill = Some(spill);
        written
    }

    /// The partitions held, end to end, written to `store` from where they
    /// are (no copy into one buffer first).
    fn write_held(&self, store: &mut Store) -> io::Result<()> {
        let parts = (0..PARTS).flat_map(|p| self.held(p));
        match store {
            Store::File(file) => {
                let mut slices: Vec<io::IoSlice<'_>> = parts
                    .filter(|keys| !keys.is_empty())
                    .map(|keys| io::IoSlice::new(keys.as_flattened()))
                    .collect();
                let mut left = &mut slices[..];
                while !left.is_empty() {
                    match file.write_vectored(left) {
                        Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                        Ok(n) => io::IoSlice::advance_slices(&mut left, n),
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => return Err(e),
                    }
                }
            }
            Store::Memory(keys) => {
                for part in parts {
                    keys.extend_from_slice(part);
                }
            }
        }
        Ok(())
    }

    /// Rows whose fingerprint another row has too.
    pub(super) fn shared(self) -> io::Result<u64> {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        self.count(threads.min(MAX_COUNTERS)).map_err(spill_error)
    }

    /// The count, on up to `threads` threads.
    fn count(self, threads: usize) -> io::Result<u64> {
        let lengths: Vec<u64> = (0..PARTS)
            .map(|p| {
                let held: usize = self.held(p).iter().map(|keys| keys.len()).sum();
                let spilled: u64 = self.runs().iter().map(|r| u64::from(r[p])).sum();
                held as u64 + spilled
            })
            .collect();
        if self.shift == 0 {
            // Every byte agrees: a partition is one fingerprint, `len` rows.
            return Ok(lengths.iter().filter(|&&len| len >= 2).sum());
        }
        // Neighbouring partitions are counted together, as many as fit: keys
        // of two partitions are never equal, and each run holds them end to
        // end, so a group is read back with one read per run. A partition too
        // big for a group is sorted by its next byte in memory, or split by it
        // through a log of its own when too big for that.
        let mut tasks = Vec::new();
        let mut p = 0;
        while p < PARTS {
            if lengths[p] as usize > COUNTED {
                tasks.push(if lengths[p] as usize <= SORTED {
                    Task::Sort(p)
                } else {
                    Task::Split(p)
                });
                p += 1;
                continue;
            }
            let mut end = p + 1;
            let mut held = lengths[p];
            while end < PARTS && (held + lengths[end]) as usize <= COUNTED {
                held += lengths[end];
                end += 1;
            }
            if held >= 2 {
                tasks.push(Task::Group(p..end));
            }
            p = end;
        }
        let threads = if lengths.iter().sum::<u64>() > COUNTED as u64 {
            threads.clamp(1, tasks.len().max(1))
        } else {
            1
        };
        // Each thread takes the next task, reads its keys (reads at a place
        // of their own: no thread waits on another's) and counts them.
        let next = AtomicUsize::new(0);
        let splitting = std::sync::Mutex::new(());
        let work = || -> io::Result<u64> {
            let mut tally = Tally::default();
            let (mut keys, mut sorted) = (Vec::new(), Vec::new());
            let mut total = 0;
            while let Some(task) = tasks.get(next.fetch_add(1, Ordering::Relaxed)) {
                match task {
                    Task::Group(group) => {
                        self.read(group.clone(), &mut keys)?;
                        // Each partition on its own (its keys never meet
                        // the others'), in a table of its own size: smaller
                        // than the group's, nearer the core.
                        for p in group.clone() {
                            total += tally.shared(self.partition(group.clone(), p, &keys));
                        }
                    }
                    Task::Sort(p) => {
                        self.read(*p..*p + 1, &mut keys)?;
                        for held in self.held(*p) {
                            keys.extend_from_slice(held);
                        }
                        total += by_next_byte(&keys, self.shift - 8, &mut sorted, &mut tally);
                    }
                    Task::Split(p) => {
                        // One split at a time (each holds a log of its own),
                        // counted on as many threads.
                        let _one = splitting.lock().unwrap_or_else(|e| e.into_inner());
                        let mut split = KeyLog::at(self.shift - 8);
                        // (One key on every row, as a file of one account's
                        // rows repeated: all of them counted, with no split
                        // within a split down to the last byte.)
                        let mut first = None;
                        let mut one_key = true;
                        self.each_chunk(*p, &mut keys, |chunk| {
                            if let Some(&head) = chunk.first() {
                                let first = *first.get_or_insert(head);
                                one_key &= chunk.iter().all(|&k| k == first);
                            }
                            split.push_bytes(chunk)
                        })?;
                        total += if one_key {
                            lengths[*p]
                        } else {
                            split.count(threads)?
                        };
                    }
                }
            }
            Ok(total)
        };
        std::thread::scope(|scope| {
            let helpers: Vec<_> = (1..threads).map(|_| scope.spawn(work)).collect();
            let mut total = work()?;
            for h in helpers {
                total += h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))?;
            }
            Ok(total)
        })
    }
}

/// Keys of one partition sorted in memory at most (1 MiB, and as much to sort
/// them into, on each counting thread); a bigger partition is split through a
/// temporary file.
const SORTED: usize = 1 << 17;

/// Slots of a counting table of four slots a key at most (256 KiB).
const ROOMY_SLOTS: usize = 1 << 15;

/// Threads counting at most (each with a table of up to 512 KiB and the
/// keys of a group, or the 2 MiB that sorting a partition takes): two, so
/// that the peak stays within 16 MiB on a machine of any size (four took
/// 17.4 MB at 10,000,000 flat rows).
const MAX_COUNTERS: usize = 2;

/// What a thread counting the keys does next.
enum Task {
    /// Counts these partitions together.
    Group(std::ops::Range<usize>),
    /// Sorts this partition's keys by their next byte in memory and counts
    /// each byte's keys.
    Sort(usize),
    /// Splits this partition by the next byte through a log of its own (a
    /// temporary file) and counts its parts.
    Split(usize),
}

/// Rows of `keys` whose fingerprint is there more than once, counted apart
/// for each value of the byte at `shift` (keys are sorted by it into
/// `sorted`): small tables, each near the core.
fn by_next_byte(keys: &[[u8; 8]], shift: u32, sorted: &mut Vec<[u8; 8]>, tally: &mut Tally) -> u64 {
    let byte = |k: &[u8; 8]| ((u64::from_le_bytes(*k) >> shift) & 0xFF) as usize;
    let mut starts = [0usize; PARTS + 1];
    for k in keys {
        starts[byte(k) + 1] += 1;
    }
    for b in 1..=PARTS {
        starts[b] += starts[b - 1];
    }
    let mut at = starts;
    sorted.clear();
    sorted.resize(keys.len(), [0; 8]);
    for k in keys {
        let b = byte(k);
        sorted[at[b]] = *k;
        at[b] += 1;
    }
    (0..PARTS)
        .map(|b| tally.shared(std::iter::once(&sorted[starts[b]..starts[b + 1]])))
        .sum()
}

/// Reading back the keys of a log whose writing is over (the counting
/// threads share it).
impl KeyLog {
    /// Where the keys of partitions `group` lie in the file: per run, the
    /// first key's place and their count.
    fn spans(&self, group: std::ops::Range<usize>) -> impl Iterator<Item = (u64, usize)> + '_ {
        self.runs()
            .iter()
            .scan(0, move |start, lengths| {
                let at = *start + keys_in(&lengths[..group.start]);
                *start += keys_in(lengths);
                Some((at, keys_in(&lengths[group.clone()]) as usize))
            })
            .filter(|&(_, n)| n > 0)
    }

    /// Reads the keys written out from place `at` on into `keys`.
    fn read_at(&self, at: u64, keys: &mut [[u8; 8]]) -> io::Result<()> {
        match self.spill.as_ref().map(|spill| &spill.store) {
            Some(Store::File(file)) => read_exact_at(file, keys.as_flattened_mut(), 8 * at),
            Some(Store::Memory(written)) => {
                let at = usize::try_from(at).map_err(io::Error::other)?;
                keys.copy_from_slice(&written[at..at + keys.len()]);
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// The keys of partitions `group` written out, into `keys`: per run, the
    /// partitions end to end.
    fn read(&self, group: std::ops::Range<usize>, keys: &mut Vec<[u8; 8]>) -> io::Result<()> {
        // (Shortened, not cleared: the reads overwrite the keys a buffer
        // already holds, and only bytes beyond them are zeroed first.)
        let total = self.spans(group.clone()).map(|(_, n)| n).sum();
        keys.truncate(total);
        keys.resize(total, [0; 8]);
        let mut from = 0;
        for (at, n) in self.spans(group) {
            self.read_at(at, &mut keys[from..from + n])?;
            from += n;
        }
        Ok(())
    }

    /// The keys of partition `p`: its part of each run in `keys` (as
    /// [`KeyLog::read`] read partitions `group`), then those held.
    fn partition<'k>(
        &'k self,
        group: std::ops::Range<usize>,
        p: usize,
        keys: &'k [[u8; 8]],
    ) -> impl Iterator<Item = &'k [[u8; 8]]> + Clone {
        self.runs()
            .iter()
            .scan(0, move |from, lengths| {
                // (A group's keys are in memory: their count fits.)
                let at = *from + keys_in(&lengths[group.start..p]) as usize;
                *from += keys_in(&lengths[group.clone()]) as usize;
                Some(&keys[at..at + lengths[p] as usize])
            })
            .chain(self.held(p))
    }

    /// Calls `f` with the keys of partition `p`, a chunk at a time, read
    /// into `buffer`.
    fn each_chunk(
        &self,
        p: usize,
        buffer: &mut Vec<[u8; 8]>,
        mut f: impl FnMut(&[[u8; 8]]) -> io::Result<()>,
    ) -> io::Result<()> {
        for (at, n) in self.spans(p..p + 1) {
            let mut done = 0;
            while done < n {
                let chunk = (n - done).min(CHUNK);
                buffer.resize(chunk, [0; 8]);
                self.read_at(at + done as u64, buffer)?;
                f(buffer)?;
                done += chunk;
            }
        }
        for held in self.held(p) {
            f(held)?;
        }
        Ok(())
    }
}

/// Reads `buf.len()` bytes of `file` from `offset` on, with reads at a place
/// of their own: the counting threads share the file, and no seek or lock
/// comes between them.
fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    #[cfg(unix)]
    {
        std::os::unix::fs::FileExt::read_exact_at(file, buf, offset)
    }
    #[cfg(windows)]
    {
        let (mut buf, mut offset) = (buf, offset);
        while !buf.is_empty() {
            match std::os::windows::fs::FileExt::seek_read(file, buf, offset) {
                Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
                Ok(n) => {
                    buf = &mut buf[n..];
                    offset += n as u64;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

/// The keys of partitions of these lengths.
fn keys_in(lengths: &[u32]) -> u64 {
    lengths.iter().map(|&l| u64::from(l)).sum()
}

/// Keys read back at a time when a partition is split.
const CHUNK: usize = 8192;

/// A failure of the temporary file, named as such (not the output's).
fn spill_error(e: io::Error) -> io::Error {
    io::Error::new(
        e.kind(),
        format!(
            "the temporary file counting rows that share a month (in {}, about 8 bytes a \
             row): {e}; set TMPDIR to a directory with room",
            std::env::temp_dir().display()
        ),
    )
}

/// A counting table reused from partition to partition: open addressing by
/// the fingerprint's low bits (which are as mixed as the rest), one word a
/// slot, so that a key costs one cache miss; a slot's bit in `again` says its
/// key was met more than once.
#[derive(Default)]
struct Tally {
    keys: Vec<u64>,
    again: Vec<u64>,
}

impl Tally {
    /// Rows of `keys` whose fingerprint is there more than once. Between
    /// calls the table is empty (it is cleared after counting).
    fn shared<'k>(&mut self, keys: impl Iterator<Item = &'k [[u8; 8]]> + Clone) -> u64 {
        let len: usize = keys.clone().map(<[_]>::len).sum();
        // Four slots a key (fewer probes) while that is at most 256 KiB, two
        // beyond.
        let size = match (4 * len).next_power_of_two().max(64) {
            size if size <= ROOMY_SLOTS => size,
            _ => (2 * len).next_power_of_two(),
        };
        // The table grows to the largest count met, and a smaller one uses
        // its start.
        if self.keys.len() < size {
            self.keys = vec![0; size];
            self.again = vec![0; size / 64];
        }
        let (table, again) = (&mut self.keys[..size], &mut self.again[..size / 64]);
        let mask = size - 1;
        let mut total = 0u64;
        // A fingerprint of 0 marks an empty slot: such rows are counted apart.
        let mut zeros = 0u64;
        for part in keys {
            for &key in part {
                let key = u64::from_le_bytes(key);
                if key == 0 {
                    zeros += 1;
                    continue;
                }
                let mut slot = key as usize & mask;
                loop {
                    let k = table[slot];
                    if k == 0 {
                        table[slot] = key;
                        break;
                    }
                    if k == key {
                        let (word, bit) = (slot / 64, slot % 64);
                        // The first row of the key is counted with its second.
                        total += 2 - (again[word] >> bit & 1);
                        again[word] |= 1 << bit;
                        break;
                    }
                    slot = (slot + 1) & mask;
                }
            }
        }
        table.fill(0);
        again.fill(0);
        total + if zeros > 1 { zeros } else { 0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(keys: &[u64]) -> Vec<[u8; 8]> {
        keys.iter().map(|k| k.to_le_bytes()).collect()
    }

    /// [`spread`], every fingerprint in partition `top` (its top byte).
    fn in_partition(n: usize, distinct: u64, top: u64) -> Vec<u64> {
        spread(n, distinct)
            .into_iter()
            .map(|k| k >> 8 | top << 56)
            .collect()
    }

    /// The count a hash map gives.
    fn expected(keys: &[u64]) -> u64 {
        let mut counts = std::collections::HashMap::new();
        for &k in keys {
            *counts.entry(k).or_insert(0u64) += 1;
        }
        counts.values().filter(|&&c| c > 1).sum()
    }

    fn shared(keys: &[u64]) -> u64 {
        let mut log = KeyLog::new();
        for chunk in keys.chunks(5000) {
            log.add_all(chunk).unwrap();
        }
        log.shared().unwrap()
    }

    /// A deterministic spread of fingerprints (splitmix64).
    fn spread(n: usize, distinct: u64) -> Vec<u64> {
        (0..n as u64)
            .map(|i| {
                let mut z = (i % distinct).wrapping_add(0x9E37_79B9_7F4A_7C15);
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                z ^ (z >> 31)
            })
            .collect()
    }

    #[test]
    fn counts_rows_whose_key_repeats_in_memory() {
        let keys = [5, 7, 5, 9, 7, 7, 1u64 << 60, 3];
        assert_eq!(shared(&keys), 5);
        assert_eq!(shared(&[]), 0);
        assert_eq!(shared(&[1, 2, 3]), 0);
        // A fingerprint of 0 (the table's empty slot) is a key like any other.
        assert_eq!(shared(&[0, 0, 5]), 2);
        assert_eq!(shared(&[0, 5, 5, 5]), 3);
    }

    /// One table counts group after group: what one group left behind is
    /// never counted in the next, whatever the groups' sizes.
    #[test]
    fn a_reused_table_counts_each_group_alone() {
        let mut tally = Tally::default();
        for (n, distinct) in [
            (5000, 3000),
            (5000, 5000),
            (300, 100),
            (5000, 2500),
            (20, 20),
        ] {
            let keys = spread(n, distinct);
            assert_eq!(
                tally.shared(std::iter::once(&bytes(&keys)[..])),
                expected(&keys),
                "{n} {distinct}"
            );
        }
        // The same keys twice in a row: each time alone.
        let keys = spread(4000, 4000);
        assert_eq!(tally.shared(std::iter::once(&bytes(&keys)[..])), 0);
        assert_eq!(tally.shared(std::iter::once(&bytes(&keys)[..])), 0);
    }

    #[test]
    fn counts_across_runs_written_out() {
        // 400,000 rows over 300,000 keys: three runs written out.
        let keys = spread(400_000, 300_000);
        assert_eq!(shared(&keys), expected(&keys));
        assert_eq!(shared(&keys), 200_000);
    }

    /// Without a temporary file, runs stay in memory: the same count, with
    /// keys spread evenly, one partition ahead of the rest (its keys moved
    /// aside), and one key on many rows.
    #[test]
    fn runs_kept_in_memory_count_as_runs_written_out() {
        let mut keys = spread(400_000, 300_000);
        keys.extend(in_partition(60_000, 20_000, 0x17));
        keys.extend(std::iter::repeat_n(7u64 << 56 | 3, 5_000));
        for log in [KeyLog::new(), KeyLog::in_memory()] {
            let mut log = log;
            for chunk in keys.chunks(3000) {
                log.add_all(chunk).unwrap();
            }
            assert!(log.runs().len() >= 3, "{} runs", log.runs().len());
            assert_eq!(log.count(2).unwrap(), expected(&keys));
        }
    }

    /// Keys that all fall in one partition fill its place again and again:
    /// moved aside each time, written out only once the memory held is as
    /// much as a run of keys spread evenly (so runs stay few).
    #[test]
    fn a_partition_ahead_of_the_rest_moves_aside() {
        let keys = in_partition(200_000, 150_000, 0x33);
        let mut log = KeyLog::new();
        log.add_all(&keys).unwrap();
        let runs = log.runs().len();
        assert!(runs <= 200_000 / (BUFFERED / 4 * 3), "{runs} runs");
        assert!(log.held_keys() <= BUFFERED);
        assert_eq!(log.count(1).unwrap(), expected(&keys));
    }

    /// Partitions counted in groups around one too big for a group, across
    /// runs written out: the count a hash map gives.
    #[test]
    fn counts_groups_of_partitions_beside_a_big_one() {
        let mut keys = spread(300_000, 180_000);
        keys.extend(in_partition(90_000, 60_000, 0x80));
        keys.extend(spread(50_000, 50_000).into_iter().map(|k| k | 1));
        assert_eq!(shared(&keys), expected(&keys));
    }

    /// One thread or several, taking groups and splits in any order: the
    /// same count.
    #[test]
    fn every_number_of_threads_counts_the_same() {
        let mut keys = spread(300_000, 200_000);
        keys.extend(in_partition(80_000, 50_000, 0x42));
        keys.extend(in_partition(70_000, 60_000, 0x43));
        // Those two sorted in memory, this one split through a file of its own.
        keys.extend(in_partition(140_000, 90_000, 0x44));
        const { assert!(70_000 > COUNTED && 70_000 <= SORTED && 140_000 > SORTED) };
        let want = expected(&keys);
        for threads in 1..=4 {
            let mut log = KeyLog::new();
            for chunk in keys.chunks(7000) {
                log.add_all(chunk).unwrap();
            }
            assert_eq!(log.count(threads).unwrap(), want, "{threads} threads");
        }
    }

    /// A partition too big to sort whose keys are all one (a file of one
    /// account's rows) is counted whole, with no split within a split.
    #[test]
    fn a_partition_of_one_key_is_counted_without_splitting() {
        let mut keys = vec![0xAB00_0000_0000_0001u64; 150_000];
        keys.extend(
            spread(50_000, 40_000)
                .into_iter()
                .filter(|k| k >> 56 != 0xAB),
        );
        assert_eq!(shared(&keys), expected(&keys));
        // One key different in the middle: split, and counted apart.
        keys[75_000] = 0xAB00_0000_0000_0002;
        assert_eq!(shared(&keys), expected(&keys));
    }

    #[test]
    fn splits_a_partition_too_big_to_count_at_once() {
        // Every key in one top-byte partition, beyond SORTED rows, and one key
        // repeated more than SORTED times (split down to its last byte).
        let mut keys = in_partition(150_000, 100_000, 0xAB);
        keys.extend(std::iter::repeat_n(42u64, 140_000));
        const { assert!(140_000 > SORTED) };
        assert_eq!(shared(&keys), expected(&keys));
        assert_eq!(shared(&keys), 100_000 + 140_000);
    }
}
