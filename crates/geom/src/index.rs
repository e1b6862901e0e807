//! An in-memory R-tree of 4D boxes.

use std::fmt;

use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, Envelope, RTree, RTreeObject, SelectionFunction};

use crate::Box4;

type Entry<K> = GeomWithData<Rectangle<[f64; 4]>, K>;

/// Box corners in the tree's units: degrees, kilometres and hours, so that a
/// typical operation measures about the same along every axis. The R*-tree
/// chooses its splits by edge lengths; in metres and microseconds the time
/// axis would dwarf the others and the tree would split on time alone, making
/// an area query over a long time window visit most of it. Dividing by a
/// positive constant keeps every comparison (and so closed intersection)
/// exactly as it was.
fn scaled(p: [f64; 4]) -> [f64; 4] {
    const M_PER_KM: f64 = 1_000.0;
    const US_PER_HOUR: f64 = 3_600_000_000.0;
    [p[0], p[1], p[2] / M_PER_KM, p[3] / US_PER_HOUR]
}

fn rect(b: &Box4) -> Rectangle<[f64; 4]> {
    Rectangle::from_corners(scaled(b.min), scaled(b.max))
}

fn aabb(b: &Box4) -> AABB<[f64; 4]> {
    AABB::from_corners(scaled(b.min), scaled(b.max))
}

/// Keys indexed by [`Box4`] (an `rstar` R-tree).
///
/// `K` needs no bounds to insert and query; [`Index::remove`] needs
/// `K: PartialEq`. A key may be inserted several times (with the same or
/// different boxes); each insertion is a separate entry.
#[derive(Clone)]
pub struct Index<K> {
    tree: RTree<Entry<K>>,
}

impl<K> fmt::Debug for Index<K> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Index").field("len", &self.len()).finish()
    }
}

impl<K> Default for Index<K> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K> Index<K> {
    /// An empty index.
    #[must_use]
    pub fn new() -> Self {
        Self { tree: RTree::new() }
    }

    /// Builds a well-balanced index from all items at once (much faster
    /// than repeated inserts).
    #[must_use]
    pub fn bulk_load(items: Vec<(K, Box4)>) -> Self {
        let entries = items.into_iter().map(|(k, b)| GeomWithData::new(rect(&b), k)).collect();
        Self { tree: RTree::bulk_load(entries) }
    }

    /// Adds `key` with its box.
    pub fn insert(&mut self, key: K, bbox: Box4) {
        self.tree.insert(GeomWithData::new(rect(&bbox), key));
    }

    /// Every key whose box intersects `area` (closed boxes: touching counts).
    pub fn query<'a>(&'a self, area: &Box4) -> impl Iterator<Item = &'a K> + 'a {
        self.tree.locate_in_envelope_intersecting(&aabb(area)).map(|e| &e.data)
    }

    /// Number of entries.
    #[must_use]
    pub fn len(&self) -> usize {
        self.tree.size()
    }

    /// Whether there are no entries.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.tree.size() == 0
    }
}

impl<K: PartialEq> Index<K> {
    /// Removes one entry equal to `(key, bbox)` (the box must be the one it
    /// was inserted with). Returns whether an entry was removed.
    pub fn remove(&mut self, key: &K, bbox: &Box4) -> bool {
        self.tree.remove_with_selection_function(SelectExact { key, env: aabb(bbox) }).is_some()
    }
}

struct SelectExact<'k, K> {
    key: &'k K,
    env: AABB<[f64; 4]>,
}

impl<K: PartialEq> SelectionFunction<Entry<K>> for SelectExact<'_, K> {
    fn should_unpack_parent(&self, envelope: &AABB<[f64; 4]>) -> bool {
        envelope.contains_envelope(&self.env)
    }

    fn should_unpack_leaf(&self, leaf: &Entry<K>) -> bool {
        leaf.data == *self.key && leaf.envelope() == self.env
    }
}
