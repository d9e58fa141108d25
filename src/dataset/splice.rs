//! In-place edits of the dataset's flat, sorted vectors, for
//! [`Dataset::apply`](super::Dataset::apply): a vector is rewritten as a sequence of
//! [`Piece`]s (ranges of its old contents and ranges of fresh rows) with `memmove`s,
//! touching only what lies after the first change.
//!
//! A leaf module: it imports nothing from the rest of the dataset, so the indexes
//! (`deal_index.rs`, `social_index.rs`, `engagement.rs`) and `apply.rs` can all use it.

use std::ops::Range;

/// One stretch of a vector's new contents: a range of its old contents (old ranges
/// appear in increasing order and never overlap), or a range of a buffer of fresh rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Piece {
    /// Old rows, moved as one block.
    Old(Range<usize>),
    /// Fresh rows, copied in.
    Fresh(Range<usize>),
}

impl Piece {
    pub(crate) fn len(&self) -> usize {
        match self {
            Piece::Old(r) | Piece::Fresh(r) => r.len(),
        }
    }
}

/// Rewrites `v` as `pieces` (old ranges of `v`, fresh ranges of `fresh`), in place.
///
/// Cost: one `memmove` per old piece that moves, so the bytes after the first change,
/// plus the fresh rows; no allocation besides growing `v` (by at least 1/32, so that
/// the next batches need not) when it gets longer. Old blocks moving left are moved first, front to back, then blocks moving
/// right, back to front: no block is overwritten before it has moved (old pieces are in
/// increasing order, and so are their destinations).
pub(crate) fn splice<T: Copy>(v: &mut Vec<T>, pieces: &[Piece], fresh: &[T]) {
    let new_len: usize = pieces.iter().map(Piece::len).sum();
    if !grow_for(v, new_len, fresh) {
        return;
    }
    let destinations = destinations(pieces);
    for (piece, &to) in pieces.iter().zip(&destinations) {
        if let Piece::Old(r) = piece
            && to < r.start
        {
            v.copy_within(r.clone(), to);
        }
    }
    for (piece, &to) in pieces.iter().zip(&destinations).rev() {
        if let Piece::Old(r) = piece
            && to > r.start
        {
            v.copy_within(r.clone(), to);
        }
    }
    for (piece, &to) in pieces.iter().zip(&destinations) {
        if let Piece::Fresh(r) = piece
            && let (Some(target), Some(source)) =
                (v.get_mut(to..to + r.len()), fresh.get(r.clone()))
        {
            target.copy_from_slice(source);
        }
    }
    v.truncate(new_len);
}

/// Rows per block of [`splice_visit`]: about 32 KiB, so that a block just moved is
/// still in the cache when it is visited.
fn block_rows<T>() -> usize {
    (32 * 1024 / size_of::<T>().max(1)).max(1)
}

/// [`splice`], calling `visit(piece, to, rows)` on the rows of each piece once they are
/// in place (`rows` is `v[to..to + rows.len()]`, a block of piece number `piece`): for
/// the pieces that move, block by block right after each block moved, while it is
/// still in the cache; for the others (fresh pieces, and old pieces left where they
/// were) once. A visitor that fixes up moved rows (positions, offsets) then costs no
/// second pass over memory. `visit` may change the rows it is given: no later move
/// reads them.
pub(crate) fn splice_visit<T: Copy>(
    v: &mut Vec<T>,
    pieces: &[Piece],
    fresh: &[T],
    mut visit: impl FnMut(usize, usize, &mut [T]),
) {
    let new_len: usize = pieces.iter().map(Piece::len).sum();
    if !grow_for(v, new_len, fresh) {
        return;
    }
    let destinations = destinations(pieces);
    let block = block_rows::<T>();
    // Left moves front to back, each in blocks front to back; right moves back to
    // front, in blocks back to front. A block's destination is never a later source
    // (sources left of a right move end before its destination, and sources right of
    // a left move start after its destination), so a visited block stays as visited.
    for (i, (piece, &to)) in pieces.iter().zip(&destinations).enumerate() {
        if let Piece::Old(r) = piece
            && to < r.start
        {
            let mut s = 0;
            while s < r.len() {
                let e = (s + block).min(r.len());
                v.copy_within(r.start + s..r.start + e, to + s);
                if let Some(rows) = v.get_mut(to + s..to + e) {
                    visit(i, to + s, rows);
                }
                s = e;
            }
        }
    }
    for (i, (piece, &to)) in pieces.iter().zip(&destinations).enumerate().rev() {
        if let Piece::Old(r) = piece
            && to > r.start
        {
            let mut e = r.len();
            while e > 0 {
                let s = e.saturating_sub(block);
                v.copy_within(r.start + s..r.start + e, to + s);
                if let Some(rows) = v.get_mut(to + s..to + e) {
                    visit(i, to + s, rows);
                }
                e = s;
            }
        }
    }
    for (i, (piece, &to)) in pieces.iter().zip(&destinations).enumerate() {
        match piece {
            Piece::Fresh(r) => {
                if let (Some(target), Some(source)) =
                    (v.get_mut(to..to + r.len()), fresh.get(r.clone()))
                {
                    target.copy_from_slice(source);
                    visit(i, to, target);
                }
            }
            Piece::Old(r) if to == r.start => {
                if let Some(rows) = v.get_mut(to..to + r.len()) {
                    visit(i, to, rows);
                }
            }
            Piece::Old(_) => {}
        }
    }
    v.truncate(new_len);
}

/// Where each piece starts in the spliced vector.
fn destinations(pieces: &[Piece]) -> Vec<usize> {
    let mut destinations = Vec::with_capacity(pieces.len());
    let mut at = 0;
    for piece in pieces {
        destinations.push(at);
        at += piece.len();
    }
    destinations
}

/// Makes `v` at least `new_len` long for a splice (growing it with headroom, the new
/// room filled with fresh rows until written); `false` when the pieces are malformed.
fn grow_for<T: Copy>(v: &mut Vec<T>, new_len: usize, fresh: &[T]) -> bool {
    let old_len = v.len();
    if new_len > old_len {
        // Old pieces never repeat a row, so the fresh rows are at least the growth;
        // they only fill the new room until it is written below.
        let grow = new_len - old_len;
        // Headroom of 1/32 when the vector must move: a later batch then grows it in
        // place, instead of paying a reallocation and the page faults of fresh memory
        // (which cost as much as the move itself).
        if v.capacity() < new_len {
            v.reserve_exact(grow.max(old_len / 32));
        }
        let filler = fresh.get(..grow).unwrap_or(fresh);
        v.extend_from_slice(filler);
        if v.len() < new_len {
            // Not reachable with well-formed pieces; stay in bounds regardless.
            return false;
        }
    }
    true
}

/// The pieces that insert `fresh` rows at positions `at` of a vector of `len` rows:
/// fresh row `i` goes before old row `at[i]` (`at` ascending; equal positions keep the
/// fresh rows' order).
pub(crate) fn insertions(len: usize, at: &[usize]) -> Vec<Piece> {
    let mut pieces = Vec::with_capacity(2 * at.len() + 1);
    let mut cursor = 0;
    for (i, &position) in at.iter().enumerate() {
        let position = position.min(len);
        if position > cursor {
            pieces.push(Piece::Old(cursor..position));
            cursor = position;
        }
        match pieces.last_mut() {
            Some(Piece::Fresh(r)) if r.end == i => r.end = i + 1,
            _ => pieces.push(Piece::Fresh(i..i + 1)),
        }
    }
    if cursor < len {
        pieces.push(Piece::Old(cursor..len));
    }
    pieces
}

/// Inserts `added` (sorted by `key`) into `v` (sorted by `key`), each after the
/// entries with an equal key. Cost: the `memmove`s of [`splice`] from the first
/// insertion on.
pub(crate) fn insert_sorted<T: Copy, K: Ord>(v: &mut Vec<T>, added: &[T], key: impl Fn(&T) -> K) {
    if added.is_empty() {
        return;
    }
    let at: Vec<usize> = added
        .iter()
        .map(|a| {
            let k = key(a);
            v.partition_point(|e| key(e) <= k)
        })
        .collect();
    splice(v, &insertions(v.len(), &at), added);
}

/// Removes one entry equal to each of `removed` and inserts `added` into `v` (all three
/// sorted), keeping `v` sorted: an added entry goes after the entries equal to it, and
/// entries of `removed` not in `v` are ignored. Cost: a binary search per changed entry
/// and the `memmove`s of [`splice`] from the first change on (nothing before it is read).
pub(crate) fn replace_sorted<T: Copy + Ord>(v: &mut Vec<T>, removed: &[T], added: &[T]) {
    if removed.is_empty() && added.is_empty() {
        return;
    }
    let pieces = replacement_pieces(v, removed, added, |e| *e);
    splice(v, &pieces, added);
}

/// The pieces that remove from `v` (sorted by `key`) one entry of each key of `removed`
/// and insert fresh entry `k` (of key `added[k]`) after the entries of an equal key
/// (`removed` and `added` sorted; a removed key not in `v` is ignored), for [`splice`]
/// with the added entries as its fresh rows. Cost: a binary search per changed entry;
/// nothing else of `v` is read.
pub(crate) fn replacement_pieces<T, K: Ord>(
    v: &[T],
    removed: &[K],
    added: &[K],
    key: impl Fn(&T) -> K,
) -> Vec<Piece> {
    let mut gone = Vec::with_capacity(removed.len());
    let mut floor = 0;
    for r in removed {
        let p = floor
            + v.get(floor..)
                .unwrap_or_default()
                .partition_point(|e| key(e) < *r);
        if v.get(p).is_some_and(|e| key(e) == *r) {
            gone.push(p);
            floor = p + 1;
        }
    }
    let len = v.len();
    let mut pieces: Vec<Piece> = Vec::with_capacity(2 * (gone.len() + added.len()) + 1);
    let mut cursor = 0;
    let mut gone = gone.into_iter().peekable();
    let mut old = |pieces: &mut Vec<Piece>, cursor: &mut usize, to: usize| {
        while let Some(p) = gone.next_if(|&p| p < to) {
            if p > *cursor {
                pieces.push(Piece::Old(*cursor..p));
            }
            *cursor = p + 1;
        }
        if to > *cursor {
            pieces.push(Piece::Old(*cursor..to));
            *cursor = to;
        }
    };
    for (k, a) in added.iter().enumerate() {
        let at = v.partition_point(|e| key(e) <= *a).max(cursor);
        old(&mut pieces, &mut cursor, at);
        match pieces.last_mut() {
            Some(Piece::Fresh(r)) if r.end == k => r.end = k + 1,
            _ => pieces.push(Piece::Fresh(k..k + 1)),
        }
    }
    old(&mut pieces, &mut cursor, len);
    pieces
}

/// Cancels the entries common to two sorted multisets (an entry removed and added
/// again need not move).
pub(crate) fn cancel_common<T: Ord + Copy>(removed: &mut Vec<T>, added: &mut Vec<T>) {
    let (mut i, mut j) = (0, 0);
    let (mut keep_removed, mut keep_added) = (Vec::new(), Vec::new());
    while i < removed.len() && j < added.len() {
        match removed[i].cmp(&added[j]) {
            std::cmp::Ordering::Less => {
                keep_removed.push(removed[i]);
                i += 1;
            }
            std::cmp::Ordering::Greater => {
                keep_added.push(added[j]);
                j += 1;
            }
            std::cmp::Ordering::Equal => {
                i += 1;
                j += 1;
            }
        }
    }
    keep_removed.extend_from_slice(&removed[i..]);
    keep_added.extend_from_slice(&added[j..]);
    *removed = keep_removed;
    *added = keep_added;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The naive splice: a new vector.
    fn naive(v: &[u32], pieces: &[Piece], fresh: &[u32]) -> Vec<u32> {
        let mut out = Vec::new();
        for p in pieces {
            match p {
                Piece::Old(r) => out.extend_from_slice(&v[r.clone()]),
                Piece::Fresh(r) => out.extend_from_slice(&fresh[r.clone()]),
            }
        }
        out
    }

    #[test]
    fn splices_with_gaps_and_insertions_in_both_directions() {
        let v: Vec<u32> = (0..20).collect();
        let fresh: Vec<u32> = (100..110).collect();
        let cases = [
            // insert at the front: everything moves right
            vec![Piece::Fresh(0..3), Piece::Old(0..20)],
            // a gap, then an insertion: left then right moves
            vec![
                Piece::Old(0..4),
                Piece::Old(7..12),
                Piece::Fresh(0..5),
                Piece::Old(12..20),
            ],
            // insertion, then a larger gap
            vec![
                Piece::Old(0..2),
                Piece::Fresh(0..2),
                Piece::Old(2..5),
                Piece::Old(15..20),
                Piece::Fresh(2..4),
            ],
            // a row moved far to the right (removed, re-inserted as fresh)
            vec![
                Piece::Old(0..3),
                Piece::Old(4..18),
                Piece::Fresh(0..1),
                Piece::Old(18..20),
            ],
            vec![],
        ];
        for pieces in cases {
            let mut w = v.clone();
            splice(&mut w, &pieces, &fresh);
            assert_eq!(w, naive(&v, &pieces, &fresh), "{pieces:?}");
        }
        let mut empty: Vec<u32> = Vec::new();
        splice(&mut empty, &[Piece::Fresh(0..2)], &fresh);
        assert_eq!(empty, [100, 101]);
    }

    #[test]
    fn splice_visit_visits_every_row_once_in_place_across_blocks() {
        // 4 KiB rows: 8 rows per block, so pieces span several blocks.
        type Row = [u32; 1024];
        let row = |x: u32| -> Row {
            let mut r = [0; 1024];
            r[0] = x;
            r
        };
        let v: Vec<Row> = (0..40).map(row).collect();
        let fresh: Vec<Row> = (100..120).map(row).collect();
        let cases = [
            vec![Piece::Fresh(0..3), Piece::Old(0..40)],
            vec![
                Piece::Old(0..4),
                Piece::Old(27..31),
                Piece::Fresh(0..13),
                Piece::Old(31..40),
            ],
            vec![
                Piece::Old(0..2),
                Piece::Fresh(0..2),
                Piece::Old(2..25),
                Piece::Old(35..40),
                Piece::Fresh(2..20),
            ],
            vec![Piece::Old(0..10), Piece::Old(11..40), Piece::Fresh(0..1)],
        ];
        for pieces in cases {
            let mut w = v.clone();
            let mut seen = vec![0; pieces.iter().map(Piece::len).sum()];
            splice_visit(&mut w, &pieces, &fresh, |_, to, rows| {
                for (k, r) in rows.iter_mut().enumerate() {
                    seen[to + k] += 1;
                    r[0] += 1000;
                }
            });
            let firsts: Vec<u32> = w.iter().map(|r| r[0]).collect();
            let mut expected = Vec::new();
            for p in &pieces {
                match p {
                    Piece::Old(r) => expected.extend(r.clone().map(|x| x as u32 + 1000)),
                    Piece::Fresh(r) => expected.extend(r.clone().map(|x| x as u32 + 1100)),
                }
            }
            assert_eq!(firsts, expected, "{pieces:?}");
            assert!(seen.iter().all(|&n| n == 1), "{pieces:?}");
        }
    }

    #[test]
    fn sorted_insertions_and_removals() {
        let mut v = vec![1, 3, 3, 5, 9];
        insert_sorted(&mut v, &[0, 3, 4, 10], |x| *x);
        assert_eq!(v, [0, 1, 3, 3, 3, 4, 5, 9, 10]);
        replace_sorted(&mut v, &[3, 3, 7, 10], &[]);
        assert_eq!(v, [0, 1, 3, 4, 5, 9]);
        let (mut r, mut a) = (vec![1, 2, 2, 5], vec![2, 3, 5]);
        cancel_common(&mut r, &mut a);
        assert_eq!((r, a), (vec![1, 2], vec![3]));
        let mut v = vec![1, 3, 3, 5, 9];
        replace_sorted(&mut v, &[0, 3, 9, 9], &[2, 3, 4, 10, 11]);
        assert_eq!(v, [1, 2, 3, 3, 4, 5, 10, 11]);
        let mut v = vec![1, 2];
        replace_sorted(&mut v, &[1, 2], &[]);
        assert!(v.is_empty());
        replace_sorted(&mut v, &[], &[4, 4]);
        assert_eq!(v, [4, 4]);
        assert_eq!(
            insertions(4, &[0, 0, 2, 9]),
            [
                Piece::Fresh(0..2),
                Piece::Old(0..2),
                Piece::Fresh(2..3),
                Piece::Old(2..4),
                Piece::Fresh(3..4)
            ]
        );
    }
}
