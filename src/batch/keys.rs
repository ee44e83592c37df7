//! Rows that share an account, month and billing item, counted in bounded
//! memory.
//!
//! Rows that share such a key were each billed as a whole month, and the user
//! is told how many (RULES §8). Each row's key is a 64-bit fingerprint. The
//! fingerprints are appended to 256 partitions picked by their top byte;
//! beyond [`BUFFERED`] of them, the partitions are written to an anonymous
//! temporary file (8 bytes a row), so memory stays the same whatever the
//! input's size. At the end each partition is counted on its own in a small
//! table, the rows of every key found more than once summed: groups of
//! partitions are read back in turn, and a second thread (on a machine with
//! more than one core) tallies a group whenever it is free, while the next
//! is read. A partition too big to count at once is split again by its next
//! byte, through a temporary file of its own.
//!
//! When no temporary file can be made (no writable temporary directory), the
//! fingerprints stay in memory: the count is the same, memory grows with the
//! rows.
//!
//! Two different keys count as one only if their fingerprints collide: for n
//! distinct keys the chance is about n² / 2⁶⁵ (one in ten million at 2,000,000
//! keys).

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::sync::mpsc;

/// Partitions, picked by one byte of the fingerprint.
const PARTS: usize = 256;
/// Fingerprints held in memory before the partitions are written out (1 MiB).
const BUFFERED: usize = 1 << 17;
/// Fingerprints of one partition counted at once (256 KiB, and a table of
/// 512 KiB, on each of two threads); a bigger partition is split by its next
/// byte.
const COUNTED: usize = 1 << 15;

/// The fingerprints of a run's rows, partitioned by the byte at `shift`.
pub(super) struct KeyLog {
    shift: u32,
    parts: Vec<Vec<u64>>,
    buffered: usize,
    spill: Spill,
    /// A run's bytes, reused from run to run.
    run: Vec<u8>,
}

/// Where partitions go once [`BUFFERED`] fingerprints are held.
enum Spill {
    /// Nothing written yet.
    None,
    /// Runs written to the file: each holds the partitions end to end, and
    /// these are the partitions' lengths.
    File { file: File, runs: Vec<[u32; PARTS]> },
    /// No temporary file could be made: everything stays in memory.
    Memory,
}

impl KeyLog {
    pub(super) fn new() -> KeyLog {
        KeyLog::at(56)
    }

    fn at(shift: u32) -> KeyLog {
        KeyLog {
            shift,
            parts: vec![Vec::new(); PARTS],
            buffered: 0,
            spill: Spill::None,
            run: Vec::new(),
        }
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
            let p = self.part_of(key);
            self.parts[p].push(key);
        }
        self.buffered += keys.len();
        if self.buffered >= BUFFERED {
            self.write_run()?;
        }
        Ok(())
    }

    /// Writes the held partitions to the temporary file, as one run.
    fn write_run(&mut self) -> io::Result<()> {
        if let Spill::None = self.spill {
            self.spill = match tempfile::tempfile() {
                Ok(file) => Spill::File {
                    file,
                    runs: Vec::new(),
                },
                Err(_) => Spill::Memory,
            };
        }
        let Spill::File { file, runs } = &mut self.spill else {
            return Ok(());
        };
        let mut lengths = [0u32; PARTS];
        self.run.clear();
        for (part, length) in self.parts.iter_mut().zip(lengths.iter_mut()) {
            *length = part.len() as u32;
            self.run.extend(part.iter().flat_map(|k| k.to_le_bytes()));
            part.clear();
        }
        file.write_all(&self.run)?;
        runs.push(lengths);
        self.buffered = 0;
        Ok(())
    }

    /// Rows whose fingerprint another row has too.
    pub(super) fn shared(self) -> io::Result<u64> {
        self.count().map_err(spill_error)
    }

    fn count(mut self) -> io::Result<u64> {
        let lengths: Vec<u64> = (0..PARTS)
            .map(|p| {
                let spilled: u64 = match &self.spill {
                    Spill::File { runs, .. } => runs.iter().map(|r| u64::from(r[p])).sum(),
                    _ => 0,
                };
                self.parts[p].len() as u64 + spilled
            })
            .collect();
        if self.shift == 0 {
            // Every byte agrees: a partition is one fingerprint, `len` rows.
            return Ok(lengths.iter().filter(|&&len| len >= 2).sum());
        }
        let held_keys: u64 = lengths.iter().sum();
        std::thread::scope(|scope| {
            // A second thread tallies groups of partitions, one waiting for it
            // at most, while this one reads the next group back (or tallies it
            // itself when one is already waiting): the count takes both cores.
            let (to_helper, groups) = mpsc::sync_channel::<Vec<u64>>(1);
            let (give_back, spare) = mpsc::channel::<Vec<u64>>();
            let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
            let helper = (held_keys > COUNTED as u64 && cores > 1).then(|| {
                scope.spawn(move || {
                    let mut tally = Tally::default();
                    let mut total = 0;
                    for keys in groups {
                        total += tally.shared(&keys);
                        // (Returned for reuse, unless the reader is done.)
                        let _ = give_back.send(keys);
                    }
                    total
                })
            });
            let to_helper = helper.as_ref().map(|_| to_helper);
            let mut total = 0;
            let mut keys = Vec::new();
            let mut tally = Tally::default();
            let mut buffers = Buffers::default();
            let mut p = 0;
            while p < PARTS {
                if lengths[p] as usize > COUNTED {
                    let mut split = KeyLog::at(self.shift - 8);
                    self.each_chunk(p..p + 1, &mut buffers, |chunk| split.push(chunk))?;
                    total += split.count()?;
                    p += 1;
                    continue;
                }
                // Neighbouring partitions counted together, as many as fit:
                // keys of two partitions are never equal, and each run holds
                // them end to end, so they are read back with one seek per run.
                let mut end = p + 1;
                let mut held = lengths[p];
                while end < PARTS && (held + lengths[end]) as usize <= COUNTED {
                    held += lengths[end];
                    end += 1;
                }
                if held >= 2 {
                    keys.clear();
                    self.each_chunk(p..end, &mut buffers, |chunk| {
                        keys.extend_from_slice(chunk);
                        Ok(())
                    })?;
                    match offer(to_helper.as_ref(), std::mem::take(&mut keys)) {
                        None => keys = spare.try_recv().unwrap_or_default(),
                        Some(back) => {
                            keys = back;
                            total += tally.shared(&keys);
                        }
                    }
                }
                p = end;
            }
            drop(to_helper);
            if let Some(h) = helper {
                total += h.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
            }
            Ok(total)
        })
    }

    /// Calls `f` with the fingerprints of partitions `group`, a chunk at a
    /// time: those written out first (one seek per run, each run holding the
    /// partitions end to end), then those held, which it lets go.
    fn each_chunk(
        &mut self,
        group: std::ops::Range<usize>,
        buffers: &mut Buffers,
        mut f: impl FnMut(&[u64]) -> io::Result<()>,
    ) -> io::Result<()> {
        if let Spill::File { file, runs } = &mut self.spill {
            let sum = |parts: &[u32]| parts.iter().map(|&l| u64::from(l)).sum::<u64>();
            let mut start = 0u64;
            let Buffers { bytes, chunk } = buffers;
            bytes.resize(8 * 8192, 0);
            for lengths in runs.iter() {
                let mut left = sum(&lengths[group.clone()]) as usize;
                if left > 0 {
                    file.seek(SeekFrom::Start(8 * (start + sum(&lengths[..group.start]))))?;
                }
                while left > 0 {
                    let n = left.min(8192);
                    file.read_exact(&mut bytes[..8 * n])?;
                    chunk.clear();
                    chunk.extend(
                        bytes[..8 * n]
                            .chunks_exact(8)
                            .map(|b| u64::from_le_bytes(b.try_into().expect("8 bytes"))),
                    );
                    f(chunk)?;
                    left -= n;
                }
                start += sum(lengths);
            }
        }
        for part in &mut self.parts[group] {
            f(part)?;
            *part = Vec::new();
        }
        Ok(())
    }
}

/// Hands a group of fingerprints to the helper thread, if there is one and
/// no group is already waiting for it; gives the group back otherwise.
fn offer(helper: Option<&mpsc::SyncSender<Vec<u64>>>, keys: Vec<u64>) -> Option<Vec<u64>> {
    let Some(helper) = helper else {
        return Some(keys);
    };
    match helper.try_send(keys) {
        Ok(()) => None,
        Err(mpsc::TrySendError::Full(k) | mpsc::TrySendError::Disconnected(k)) => Some(k),
    }
}

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

/// Buffers for reading fingerprints back, reused from partition to partition.
#[derive(Default)]
struct Buffers {
    bytes: Vec<u8>,
    chunk: Vec<u64>,
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
    fn shared(&mut self, keys: &[u64]) -> u64 {
        let size = (2 * keys.len()).next_power_of_two().max(64);
        if self.keys.len() != size {
            self.keys = vec![0; size];
            self.again = vec![0; size / 64];
        }
        let mask = size - 1;
        let mut total = 0u64;
        // A fingerprint of 0 marks an empty slot: such rows are counted apart.
        let mut zeros = 0u64;
        for &key in keys {
            if key == 0 {
                zeros += 1;
                continue;
            }
            let mut slot = key as usize & mask;
            loop {
                let k = self.keys[slot];
                if k == 0 {
                    self.keys[slot] = key;
                    break;
                }
                if k == key {
                    let (word, bit) = (slot / 64, 1u64 << (slot % 64));
                    // The first row of the key is counted with its second.
                    total += if self.again[word] & bit == 0 { 2 } else { 1 };
                    self.again[word] |= bit;
                    break;
                }
                slot = (slot + 1) & mask;
            }
        }
        self.keys.fill(0);
        self.again.fill(0);
        total + if zeros > 1 { zeros } else { 0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            assert_eq!(tally.shared(&keys), expected(&keys), "{n} {distinct}");
        }
        // The same keys twice in a row: each time alone.
        let keys = spread(4000, 4000);
        assert_eq!(tally.shared(&keys), 0);
        assert_eq!(tally.shared(&keys), 0);
    }

    #[test]
    fn counts_across_runs_written_out() {
        // 400,000 rows over 300,000 keys: three runs written out.
        let keys = spread(400_000, 300_000);
        assert_eq!(shared(&keys), expected(&keys));
        assert_eq!(shared(&keys), 200_000);
    }

    /// Partitions counted in groups around one split on its own, across runs
    /// written out: the count a hash map gives.
    #[test]
    fn counts_groups_of_partitions_beside_a_split_one() {
        let mut keys = spread(300_000, 180_000);
        keys.extend(
            spread(90_000, 60_000)
                .into_iter()
                .map(|k| k >> 8 | 0x80 << 56),
        );
        keys.extend(spread(50_000, 50_000).into_iter().map(|k| k | 1));
        assert_eq!(shared(&keys), expected(&keys));
    }

    #[test]
    fn splits_a_partition_too_big_to_count_at_once() {
        // Every key in one top-byte partition, beyond COUNTED rows, and one key
        // repeated more than COUNTED times (split down to its last byte).
        let mut keys: Vec<u64> = spread(150_000, 100_000)
            .into_iter()
            .map(|k| k >> 8 | 0xAB << 56)
            .collect();
        keys.extend(std::iter::repeat_n(42u64, 70_000));
        assert_eq!(shared(&keys), expected(&keys));
        assert_eq!(shared(&keys), 100_000 + 70_000);
    }
}
