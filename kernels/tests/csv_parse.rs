//! CSV and .npy loading: round trips, chunk boundaries anywhere, accepted variants.

mod common;

use kernels::data::{self, csv, csv::load_csv_chunked, map_file, Source};
use kernels::exec::Exec;
use proptest::prelude::*;
use std::io::Write;

fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = dir.path().join(name);
    std::fs::File::create(&p).unwrap().write_all(bytes).unwrap();
    p
}

fn csv_text(rows: &[Vec<f64>]) -> String {
    let d = rows[0].len();
    let mut s = String::from("ID");
    for j in 1..=d {
        s += &format!(",feature_{j}");
    }
    s.push('\n');
    let mut b = ryu::Buffer::new();
    for (i, r) in rows.iter().enumerate() {
        s += &format!("row{i}");
        for v in r {
            s.push(',');
            s += b.format(*v);
        }
        s.push('\n');
    }
    s
}

fn finite() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>().prop_filter("finite", |v| v.is_finite()),
        -1e6f64..1e6,
        Just(0.0),
        Just(-0.0),
        Just(5e-324),
        Just(f64::MAX),
        Just(f64::MIN_POSITIVE),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Written with shortest round-trip formatting, read back bit for bit, whatever
    /// the chunk size and thread count.
    #[test]
    fn round_trip_bit_exact(
        rows in (1usize..6).prop_flat_map(|d| prop::collection::vec(prop::collection::vec(finite(), d), 1..40)),
        chunk in 1usize..200,
        threads in 1usize..4,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let p = write(&dir, "x.csv", csv_text(&rows).as_bytes());
        let exec = Exec::new(threads).unwrap();
        let ds = load_csv_chunked(&p, map_file(&p).unwrap(), &exec, chunk).unwrap();
        prop_assert_eq!(ds.n(), rows.len());
        // The values start on a cache line (the SIMD kernels' 64-byte loads).
        prop_assert_eq!(ds.matrix.as_slice().as_ptr() as usize % 64, 0);
        for (i, r) in rows.iter().enumerate() {
            for (a, b) in ds.matrix.row(i).iter().zip(r) {
                prop_assert_eq!(a.to_bits(), b.to_bits());
            }
        }
        if let Source::Csv(src) = &ds.source {
            for i in 0..rows.len() {
                let want = format!("row{i}");
                prop_assert_eq!(src.id_bytes(i), want.as_bytes());
            }
        } else {
            prop_assert!(false, "expected a CSV source");
        }
    }

    /// Variants (CRLF, BOM, quotes, blank lines, no final newline, spaces) parse to
    /// the same matrix at every chunk size.
    #[test]
    fn variants_parse_identically(
        rows in prop::collection::vec(prop::collection::vec(-1e3f64..1e3, 3), 1..30),
        crlf in any::<bool>(), bom in any::<bool>(), quote in any::<bool>(),
        blank in any::<bool>(), final_nl in any::<bool>(), chunk in 1usize..120,
    ) {
        let nl = if crlf { "\r\n" } else { "\n" };
        let mut s = String::new();
        if bom { s.push('\u{feff}'); }
        s += "\"ID\",feature_1,feature_2,feature_3";
        let mut b = ryu::Buffer::new();
        for (i, r) in rows.iter().enumerate() {
            s += nl;
            if blank && i == 1 { s += nl; }
            if quote { s += &format!("\"id, {i}\""); } else { s += &format!("id{i}"); }
            for (j, v) in r.iter().enumerate() {
                let t = b.format(*v).to_string();
                if quote && j == 1 { s += &format!(",\"{t}\""); } else if j == 2 { s += &format!(", {t} "); } else { s += &format!(",{t}"); }
            }
        }
        if final_nl { s += nl; }
        let dir = tempfile::tempdir().unwrap();
        let p = write(&dir, "x.csv", s.as_bytes());
        let ds = load_csv_chunked(&p, map_file(&p).unwrap(), &Exec::serial(), chunk).unwrap();
        prop_assert_eq!(ds.n(), rows.len());
        prop_assert_eq!(ds.d(), 3);
        for (i, r) in rows.iter().enumerate() {
            prop_assert_eq!(ds.matrix.row(i), &r[..]);
        }
    }
}

#[test]
fn npy_f64_is_zero_copy_and_f32_widens() {
    let dir = tempfile::tempdir().unwrap();
    let vals: Vec<f64> = (0..12).map(|i| i as f64 * 0.5 - 1.0).collect();
    let mut bytes = kernels::data::npy::header_bytes("<f8", &[4, 3]);
    for v in &vals {
        bytes.extend_from_slice(&v.to_le_bytes());
    }
    let p = write(&dir, "x.npy", &bytes);
    let ds = data::load(&p, &Exec::serial()).unwrap();
    assert!(ds.matrix.is_zero_copy());
    assert_eq!((ds.n(), ds.d()), (4, 3));
    assert_eq!(ds.matrix.as_slice(), &vals[..]);

    let mut bytes = kernels::data::npy::header_bytes("<f4", &[4, 3]);
    for v in &vals {
        bytes.extend_from_slice(&(*v as f32).to_le_bytes());
    }
    let p = write(&dir, "y.npy", &bytes);
    let ds = data::load(&p, &Exec::serial()).unwrap();
    assert!(!ds.matrix.is_zero_copy());
    assert_eq!(ds.matrix.as_slice(), &vals[..]);
}

#[test]
fn parse_errors_name_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let cases: &[(&str, &str, &str)] = &[
        (
            "ID,a,b\nx,1,2\ny,1\n",
            ":3:",
            "row has 2 fields, the header has 3",
        ),
        ("ID,a,b\nx,1,2\ny,1,2,3\n", ":3:", "row has 4 fields"),
        ("ID,a,b\nx,1,abc\n", ":2:3:", "not a number: 'abc'"),
        ("ID,a,b\nx,nan,1\n", ":2:2:", "NaN or infinite"),
        ("ID,a,b\nx,1,-inf\n", ":2:3:", "NaN or infinite"),
        ("ID,a,b\nx,1e400,1\n", ":2:2:", "out of the f64 range"),
        ("ID,a,b\nx,,1\n", ":2:2:", "empty value"),
        ("ID,a,b\n\"x,1,2\n", ":2:1:", "unterminated quoted field"),
        ("ID\nx\n", ":1:1:", "no feature columns"),
    ];
    for (i, (text, place, msg)) in cases.iter().enumerate() {
        let p = write(&dir, &format!("bad{i}.csv"), text.as_bytes());
        // every chunk size must report the same first error
        for chunk in [1, 3, 1 << 20] {
            let err = load_csv_chunked(&p, map_file(&p).unwrap(), &Exec::new(2).unwrap(), chunk)
                .err()
                .unwrap_or_else(|| panic!("{text:?} should fail"))
                .to_string();
            assert!(
                err.contains(place) && err.contains(msg),
                "{text:?}: got {err}"
            );
            assert!(!err.contains('\n'));
        }
    }
}

#[test]
fn error_line_is_exact_deep_in_a_large_file() {
    let dir = tempfile::tempdir().unwrap();
    let rows = common::uniform(50_000, 2, 1);
    let mut text = csv_text(&rows);
    // corrupt the row on line 40,002
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    lines[40_001] = "bad,1,zz".into();
    text = lines.join("\n");
    let p = write(&dir, "big.csv", text.as_bytes());
    let err = data::load(&p, &Exec::new(2).unwrap())
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains(":40002:3:"), "{err}");
}

/// Matrices built from any vector hold the same values, starting on a cache line
/// (moved within the buffer when the allocation was not aligned: a heap allocation
/// is usually only 16-byte aligned, so most of these must be moved).
#[test]
fn owned_matrices_start_on_a_cache_line() {
    let mut moved = 0;
    for len in [1usize, 2, 3, 7, 8, 9, 31, 33, 100, 1000, 100_003] {
        for _ in 0..8 {
            let v: Vec<f64> = (0..len).map(|i| i as f64 * 0.5 + 1.0).collect();
            moved += !(v.as_ptr() as usize).is_multiple_of(64) as usize;
            let want = v.clone();
            let m = data::Matrix::from_vec(len, 1, v);
            assert_eq!(m.as_slice(), &want[..], "len {len}");
            assert_eq!(m.as_slice().as_ptr() as usize % 64, 0, "len {len}");
            assert_eq!(m.row(len - 1), &want[len - 1..]);
        }
    }
    assert!(
        moved > 0,
        "no allocation needed moving: the test tests nothing"
    );
    let m = data::Matrix::from_vec(0, 3, Vec::new());
    assert!(m.as_slice().is_empty());
}

/// The per-chunk sums buffer starts on a cache line, for every length, and so does
/// its clone (a fresh allocation), which holds the same values.
#[test]
fn partial_sums_start_on_a_cache_line() {
    for len in [0usize, 1, 7, 8, 9, 64, 100, 1000, 4096] {
        let mut a = kernels::accum::Lines::zeros(len);
        assert_eq!(a.len(), len);
        assert!(a.iter().all(|&v| v == 0.0));
        assert_eq!(a.as_ptr() as usize % 64, 0, "len {len}");
        for (i, v) in a.iter_mut().enumerate() {
            *v = i as f64 - 0.5;
        }
        let b = a.clone();
        assert_eq!(b.as_ptr() as usize % 64, 0, "clone, len {len}");
        assert_eq!(&a[..], &b[..]);
    }
}

/// A decimal string `-?int.frac` from the digits of `w` with `frac` of them after the
/// point and `zeros` extra leading zeros.
fn decimal(neg: bool, w: u64, frac: usize, zeros: usize) -> String {
    let digits = format!("{}{w}", "0".repeat(zeros));
    let digits = if digits.len() <= frac {
        format!("{}{digits}", "0".repeat(frac + 1 - digits.len()))
    } else {
        digits
    };
    let (i, f) = digits.split_at(digits.len() - frac);
    let sign = if neg { "-" } else { "" };
    if frac == 0 {
        format!("{sign}{i}")
    } else {
        format!("{sign}{i}.{f}")
    }
}

/// Checks one field: the fast path, when it takes the field, gives the general
/// parser's (fast-float2's) value bit for bit, and so does the standard library.
fn check_fast(s: &str) {
    let general = csv::general_value(s.as_bytes());
    if let Some(v) = csv::fast_value(s.as_bytes()) {
        let g = general.unwrap_or_else(|e| panic!("{s}: fast path {v:e}, general: {e}"));
        assert_eq!(v.to_bits(), g.to_bits(), "{s}: fast {v:e}, general {g:e}");
        let std: f64 = s.parse().unwrap();
        assert_eq!(v.to_bits(), std.to_bits(), "{s}: fast {v:e}, std {std:e}");
    }
}

/// The exact decimal expansion of `a + b` for two non-negative f64s, from their
/// exact expansions (Rust prints all digits of an f64 when asked for enough).
fn exact_sum(a: f64, b: f64) -> String {
    const P: usize = 1100;
    let (x, y) = (format!("{a:.P$}"), format!("{b:.P$}"));
    let (xi, xf) = x.split_once('.').unwrap();
    let (yi, yf) = y.split_once('.').unwrap();
    let w = xi.len().max(yi.len()) + 1;
    let pad = |s: &str| format!("{}{s}", "0".repeat(w - s.len()));
    let (xs, ys) = (pad(xi) + xf, pad(yi) + yf);
    let mut out = vec![0u8; xs.len()];
    let mut carry = 0;
    for (i, (p, q)) in xs.bytes().zip(ys.bytes()).enumerate().rev() {
        let t = (p - b'0') + (q - b'0') + carry;
        out[i] = b'0' + t % 10;
        carry = t / 10;
    }
    let s = String::from_utf8(out).unwrap();
    let (i, f) = s.split_at(w);
    let i = i.trim_start_matches('0');
    format!(
        "{}.{}",
        if i.is_empty() { "0" } else { i },
        f.trim_end_matches('0')
    )
}

/// `s` (a positive decimal `i.f`) cut to `sig` significant digits, plus `bump` in the
/// last kept digit (±1 gives the neighbours of a halfway point).
fn cut_digits(s: &str, sig: usize, bump: i64) -> Option<String> {
    let (i, f) = s.split_once('.').unwrap();
    let all: String = format!("{i}{f}");
    let lead = all.bytes().take_while(|&c| c == b'0').count();
    let keep = (lead + sig).min(all.len());
    let frac = keep.checked_sub(i.len())?;
    let w: u64 = all[..keep].parse().ok()?;
    let w = w.checked_add_signed(bump)?;
    Some(decimal(false, w, frac, 0))
}

#[test]
fn fast_number_edge_cases() {
    // The common case is taken by the fast path at all.
    for s in ["3.329173949444873", "-12.5", "0.1", "7", "-0.0", "0.000"] {
        assert!(csv::fast_value(s.as_bytes()).is_some(), "{s}");
    }
    assert_eq!(
        csv::fast_value(b"-0.0").unwrap().to_bits(),
        (-0.0f64).to_bits()
    );
    // Forms left to the general parser.
    for s in [
        "1e5",
        "1.5E-3",
        "+1",
        ".5",
        "1.",
        "-",
        "",
        " 1",
        "1 ",
        "inf",
        "nan",
        "0x10",
        "12345678901234567890.5",
        "1.2345678901234567890",
        "0.000000000000000000000000000001",
    ] {
        assert!(csv::fast_value(s.as_bytes()).is_none(), "{s}");
        check_fast(s);
    }
    let mut cases: Vec<String> = vec![
        "9999999999999999999".into(),
        "18446744073709551615".into(),
        "10000000000000000000".into(),
        "0.9999999999999999999".into(),
        "000000000000000000000001.5".into(),
        "0.00000000000000000000000012345".into(),
        "9007199254740993".into(),
        "9007199254740992.5".into(),
        "1.7976931348623157".into(),
        "2.2250738585072014".into(),
        "0.1000000000000000055511151231257827".into(),
        "4.35".into(),
        "123456789012345678.9".into(),
        format!("0.{}1", "0".repeat(319)),
        format!("0.{}5", "0".repeat(323)),
        "-0.000".into(),
        "0".into(),
    ];
    // 17 to 19 significant digits around halfway points between neighbouring f64s.
    let mut x = 1.0e-6f64;
    while x < 1.0e19 {
        for m in [1.0, 1.1, 3.7, 7.3, 9.9] {
            let a = x * m;
            let half = exact_sum(a, (a.next_up() - a) / 2.0);
            for sig in [16, 17, 18, 19, 20] {
                for bump in [-1, 0, 1] {
                    cases.extend(cut_digits(&half, sig, bump));
                }
            }
        }
        x *= 10.0;
    }
    for s in &cases {
        check_fast(s);
        check_fast(&format!("-{s}"));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    /// Random decimals of up to 21 digits, up to 30 after the point, with leading
    /// zeros and signs: the fast path agrees with the general parser bit for bit.
    #[test]
    fn fast_number_equals_general(
        neg in any::<bool>(),
        w in prop_oneof![0u64..1000, 0u64..(1 << 53), (1u64 << 53)..u64::MAX, any::<u64>()],
        frac in 0usize..31,
        zeros in prop_oneof![Just(0usize), 0usize..4],
    ) {
        let s = decimal(neg, w, frac, zeros);
        check_fast(&s);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// A stream (any block size, any bytes read ahead) gives the same rows, IDs,
    /// values and errors as the mapped file, at every chunk size and thread count.
    #[test]
    fn stream_equals_file(
        rows in prop::collection::vec(prop::collection::vec(-1e3f64..1e3, 3), 1..30),
        crlf in any::<bool>(), bom in any::<bool>(), quote in any::<bool>(),
        bad in prop::option::of((0usize..30, 0usize..4)),
        chunk in 1usize..120, block in 1usize..200, first in 0usize..10, threads in 1usize..4,
    ) {
        let nl = if crlf { "\r\n" } else { "\n" };
        let mut s = String::new();
        if bom { s.push('\u{feff}'); }
        s += "ID,feature_1,feature_2,feature_3";
        let mut b = ryu::Buffer::new();
        for (i, r) in rows.iter().enumerate() {
            s += nl;
            if quote && i % 3 == 1 { s += &format!("\"id, {i}\""); } else { s += &format!("id{i}"); }
            for (j, v) in r.iter().enumerate() {
                match bad {
                    Some((bi, bj)) if bi == i && bj == j + 1 => s += ",1x",
                    _ => { s.push(','); s += b.format(*v); }
                }
            }
            if matches!(bad, Some((bi, 0)) if bi == i) { s += ",7"; }
        }
        s += nl;
        let dir = tempfile::tempdir().unwrap();
        let p = write(&dir, "x.csv", s.as_bytes());
        let exec = Exec::new(threads).unwrap();
        let file = load_csv_chunked(&p, map_file(&p).unwrap(), &exec, chunk);
        let bytes = s.as_bytes();
        let first = first.min(bytes.len());
        let stream = csv::load_csv_stream(
            &p, bytes[..first].to_vec(), std::io::Cursor::new(bytes[first..].to_vec()),
            &exec, chunk, block,
        );
        match (file, stream) {
            (Ok(f), Ok(st)) => {
                prop_assert_eq!(f.n(), st.n());
                prop_assert_eq!(st.matrix.as_slice().as_ptr() as usize % 64, 0);
                let (fv, sv) = (f.matrix.as_slice(), st.matrix.as_slice());
                prop_assert!(fv.iter().zip(sv).all(|(a, b)| a.to_bits() == b.to_bits()));
                let (Source::Csv(fr), Source::Csv(sr)) = (&f.source, &st.source) else {
                    panic!("expected CSV sources");
                };
                prop_assert_eq!(fr.header(), sr.header());
                for i in 0..f.n() {
                    prop_assert_eq!(fr.row_bytes(i), sr.row_bytes(i));
                    prop_assert_eq!(fr.id_bytes(i), sr.id_bytes(i));
                }
            }
            (Err(a), Err(b)) => prop_assert_eq!(a.to_string(), b.to_string()),
            (a, b) => prop_assert!(false, "file {:?} vs stream {:?}", a.map(|d| d.n()), b.map(|d| d.n())),
        }
    }
}

#[test]
fn empty_stream_and_header_only_stream() {
    let p = std::path::Path::new("-");
    let e = csv::load_csv_stream(p, Vec::new(), std::io::empty(), &Exec::serial(), 64, 64)
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("is empty"), "{e}");
    let e = csv::load_csv_stream(
        p,
        b"ID,a\n".to_vec(),
        std::io::empty(),
        &Exec::serial(),
        64,
        64,
    )
    .err()
    .unwrap()
    .to_string();
    assert!(e.contains("no data rows"), "{e}");
}
