use geom::{Box4, Index};

fn b(x: f64, y: f64) -> Box4 {
    Box4 { min: [x, y, 0.0, 0.0], max: [x + 1.0, y + 1.0, 10.0, 10.0] }
}

#[test]
fn insert_query_remove() {
    let mut idx: Index<u32> = Index::new();
    assert!(idx.is_empty());
    idx.insert(1, b(0.0, 0.0));
    idx.insert(2, b(5.0, 5.0));
    idx.insert(3, b(1.0, 1.0)); // touches box 1 at a corner
    assert_eq!(idx.len(), 3);
    let mut hits: Vec<u32> = idx.query(&b(0.0, 0.0)).copied().collect();
    hits.sort_unstable();
    assert_eq!(hits, vec![1, 3]);
    assert!(!idx.remove(&1, &b(5.0, 5.0)), "wrong box");
    assert!(!idx.remove(&9, &b(0.0, 0.0)), "wrong key");
    assert!(idx.remove(&1, &b(0.0, 0.0)));
    assert!(!idx.remove(&1, &b(0.0, 0.0)));
    assert_eq!(idx.len(), 2);
    let hits: Vec<u32> = idx.query(&Box4::everything()).copied().collect();
    assert_eq!(hits.len(), 2);
}

#[test]
fn bulk_load_and_time_axis() {
    let items = (0..1000)
        .map(|i| {
            let t = f64::from(i) * 100.0;
            (i, Box4 { min: [0.0, 0.0, 0.0, t], max: [1.0, 1.0, 1.0, t + 100.0] })
        })
        .collect();
    let idx = Index::bulk_load(items);
    let q = Box4 { min: [0.5, 0.5, 0.5, 250.0], max: [0.5, 0.5, 0.5, 300.0] };
    let mut hits: Vec<i32> = idx.query(&q).copied().collect();
    hits.sort_unstable();
    assert_eq!(hits, vec![2, 3]);
}
