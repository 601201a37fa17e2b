//! Malformed config, as a careless edit or a broken deploy would write it: the shipped
//! conf/mxgate.toml (and the bench's every-check config) mutated thousands of times —
//! lines dropped, doubled and swapped, values replaced by other types, bytes flipped,
//! the file cut — through `config::parse`. Never a panic; every refusal names the file,
//! and one that is about a place in the text names its line.
//!
//! `MXGATE_CONFIG_MUTATIONS` sets how many (default 2200), `MXGATE_CONFIG_SEED` the seed.

mod support;

use std::path::Path;
use support::rng::Rng;

const VALUES: &[&str] = &[
    "0",
    "-1",
    "18446744073709551616",
    "2305843009213693952",
    "\"\"",
    "\"0s\"",
    "\"1d\"",
    "\"999999999h\"",
    "true",
    "[]",
    "[1, \"a\"]",
    "{}",
    "{ code = 250 }",
    "\"unix:\"",
    "\"inet:[::1]:99999\"",
    "\"/dev/zero\"",
    "\"ü\u{202e}\"",
    "1e400",
    "nan",
    "'''",
];

fn mutate(rng: &mut Rng, text: &str) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    for _ in 0..1 + rng.below(3) {
        let n = lines.len();
        let i = rng.below(n);
        match rng.below(7) {
            0 if n > 1 => {
                lines.remove(i);
            }
            1 => {
                let l = lines[i].clone();
                lines.insert(i, l);
            }
            2 => {
                let j = rng.below(n);
                lines.swap(i, j);
            }
            // A value of another type (uncommenting the line first, often).
            3 | 4 => {
                let l = lines[i].trim_start_matches("# ").to_owned();
                if let Some((k, _)) = l.split_once('=') {
                    lines[i] = format!("{k}= {}", VALUES[rng.below(VALUES.len())]);
                }
            }
            5 => {
                let mut b = lines[i].clone().into_bytes();
                if !b.is_empty() {
                    let at = rng.below(b.len());
                    b[at] = (rng.next() as u8) & 0x7f;
                }
                lines[i] = String::from_utf8_lossy(&b).into_owned();
            }
            _ => lines.truncate(i.max(1)),
        }
    }
    let mut out = lines.join("\n");
    if rng.below(4) == 0 {
        let cut = rng.below(out.len());
        let cut = (0..=cut)
            .rev()
            .find(|&c| out.is_char_boundary(c))
            .unwrap_or(0);
        out.truncate(cut);
    }
    out
}

#[test]
fn mutated_configs_are_refused_with_a_place_never_a_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bases: Vec<String> = ["conf/mxgate.toml", "bench/all-checks.toml"]
        .iter()
        .map(|f| std::fs::read_to_string(root.join(f)).expect("base config"))
        // The bench config names a directory to fill in; any path parses.
        .map(|t| t.replace("@DIR@", "/nonexistent"))
        .collect();
    let n: usize = support::rng::env_or("MXGATE_CONFIG_MUTATIONS", 2200);
    let seed: u64 = support::rng::env_or("MXGATE_CONFIG_SEED", 0xC0_F1_6E);
    let mut rng = Rng::new(seed);
    let (mut refused, mut with_line) = (0, 0);
    for i in 0..n {
        let text = mutate(&mut rng, &bases[i % bases.len()]);
        let result = std::panic::catch_unwind(|| {
            mxgate::config::parse(&text, Path::new("m.toml")).map(|_| ())
        });
        let Ok(result) = result else {
            panic!("config::parse panicked on mutation {i} (seed {seed}):\n{text}");
        };
        if let Err(e) = result {
            refused += 1;
            let shown = e.to_string();
            assert!(shown.starts_with("m.toml"), "{shown}");
            assert!(
                !shown.trim_end().ends_with(':'),
                "an error without words: {shown:?}"
            );
            if shown.starts_with("m.toml:") && shown[7..].starts_with(|c: char| c.is_ascii_digit())
            {
                with_line += 1;
            }
        }
    }
    eprintln!("{n} mutated configs: {refused} refused ({with_line} naming a line), no panic");
    assert!(
        refused > n / 4,
        "the mutations are too gentle: {refused} of {n} refused"
    );
    // Errors about the whole (no socket at all, a check without its map) have no line;
    // the rest point at one.
    assert!(
        with_line * 10 >= refused * 8,
        "{with_line} of {refused} refusals name a line"
    );
}
