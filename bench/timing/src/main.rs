//! A dudect-style timing check of signature verification (a benchmark, not a test).
//!
//! Two classes of wrong signatures are verified against the same body, in a random
//! interleaved order: class A differs from the right signature in its first hex digit (0
//! leading digits match), class B in its last two (62 leading digits match); changed digits
//! stay decimal or letter as they were, so decoding the hex costs the same in both classes. If comparing
//! stopped at the first differing byte, class B would take longer. Welch's t-test over the
//! per-call times (raw, and cropped at several percentiles to drop interrupts, as dudect
//! does) must stay below 4.5 in absolute value: no leak detected.
//!
//! A control runs the same harness on a deliberately leaky comparison (the right signature
//! in hex, compared byte by byte with an early exit) to show that the harness can see a
//! difference of a few nanoseconds.
//!
//! Usage: `digivault-webhooks-timing [SAMPLES_PER_CLASS]` (default 1,000,000).

use std::hint::black_box;
use std::time::Instant;

use digivault_webhooks::{sign, Verifier};

const SECRET: &str = "whsec_7f3a9c1e5b2d4f6a8c0e";
const BODY: &str = r#"{"id":"webhook_test_123","type":"conversation.message.created","created_at":1640995200,"data":{"object":{"id":"xgQQXg3hrtjh7AvZ","conversation_id":"WAz8eIbvDR60rouK","message":"Hello, world!","created_at":1640995200}}}"#;

/// xorshift64*: a fast deterministic generator, enough to shuffle the classes.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// The right signature with the hex digits in `range` replaced by other ones of the same
/// kind (a decimal digit by a decimal digit, a letter by a letter), so that both classes
/// take the same branches while the hex is decoded: only the comparison differs.
fn differing(right: &str, range: std::ops::Range<usize>) -> String {
    right
        .char_indices()
        .map(|(i, c)| match c {
            _ if !range.contains(&i) => c,
            '9' => '0',
            'f' => 'a',
            _ => char::from(c as u8 + 1),
        })
        .collect()
}

/// Running mean and variance (Welford).
#[derive(Default, Clone, Copy)]
struct Stats {
    n: f64,
    mean: f64,
    m2: f64,
}

impl Stats {
    fn push(&mut self, x: f64) {
        self.n += 1.0;
        let delta = x - self.mean;
        self.mean += delta / self.n;
        self.m2 += delta * (x - self.mean);
    }

    fn variance(&self) -> f64 {
        if self.n < 2.0 {
            0.0
        } else {
            self.m2 / (self.n - 1.0)
        }
    }
}

/// Welch's t statistic of two samples.
fn welch_t(a: &Stats, b: &Stats) -> f64 {
    let se = (a.variance() / a.n + b.variance() / b.n).sqrt();
    if se == 0.0 {
        0.0
    } else {
        (a.mean - b.mean) / se
    }
}

struct Outcome {
    /// (label, t, mean A ns, mean B ns, samples per class)
    rows: Vec<(String, f64, f64, f64, f64)>,
}

impl Outcome {
    fn max_abs_t(&self) -> f64 {
        self.rows.iter().map(|r| r.1.abs()).fold(0.0, f64::max)
    }
}

/// Measures `call(class)` `samples` times per class in a random interleaved order, then
/// runs Welch's t-test on all samples and on the samples under several percentiles.
///
/// `prepare(class)` runs before the clock starts (to copy the class's input into the one
/// buffer both classes share, so that they differ in content, not in memory address).
fn measure(
    samples: usize,
    seed: u64,
    mut prepare: impl FnMut(usize),
    mut call: impl FnMut() -> bool,
) -> Outcome {
    let mut rng = Rng(seed);
    let mut times: Vec<(usize, u64)> = Vec::with_capacity(samples * 2);
    let mut left = [samples, samples];
    // Warm up caches and the branch predictor.
    for i in 0..10_000 {
        prepare(i % 2);
        black_box(call());
    }
    while left[0] + left[1] > 0 {
        let class = if left[0] == 0 {
            1
        } else if left[1] == 0 {
            0
        } else {
            (rng.next() >> 63) as usize
        };
        left[class] -= 1;
        prepare(class);
        let start = Instant::now();
        let result = call();
        let elapsed = start.elapsed();
        black_box(result);
        times.push((class, elapsed.as_nanos() as u64));
    }
    let mut sorted: Vec<u64> = times.iter().map(|(_, t)| *t).collect();
    sorted.sort_unstable();
    let percentile = |p: f64| sorted[((sorted.len() - 1) as f64 * p) as usize];
    let mut rows = Vec::new();
    for (label, cutoff) in [
        ("all samples".to_owned(), u64::MAX),
        ("under p50".to_owned(), percentile(0.50)),
        ("under p90".to_owned(), percentile(0.90)),
        ("under p99".to_owned(), percentile(0.99)),
    ] {
        let mut stats = [Stats::default(); 2];
        for (class, t) in &times {
            if *t <= cutoff {
                stats[*class].push(*t as f64);
            }
        }
        rows.push((
            label,
            welch_t(&stats[0], &stats[1]),
            stats[0].mean,
            stats[1].mean,
            stats[0].n.min(stats[1].n),
        ));
    }
    Outcome { rows }
}

fn report(title: &str, outcome: &Outcome) {
    println!("{title}");
    for (label, t, mean_a, mean_b, n) in &outcome.rows {
        println!(
            "  {label:<12} t = {t:>8.2}   mean A {mean_a:>8.1} ns   mean B {mean_b:>8.1} ns   n >= {n:.0} per class"
        );
    }
    let max = outcome.max_abs_t();
    let verdict = if max < 4.5 {
        "no leak detected (|t| < 4.5)"
    } else {
        "LEAK: verification time depends on the matching prefix (|t| >= 4.5)"
    };
    println!("  max |t| = {max:.2}: {verdict}");
}

fn main() {
    let samples = std::env::args()
        .nth(1)
        .and_then(|arg| arg.replace('_', "").parse::<usize>().ok())
        .unwrap_or(1_000_000);
    let right = sign(SECRET.as_bytes(), BODY.as_bytes());
    // Class A: 0 leading hex digits match; class B: 62 match.
    let signatures = [differing(&right, 0..1), differing(&right, 62..64)];
    assert_eq!(signatures[1][..62], right[..62]);
    let verifier = match Verifier::new(&[SECRET]) {
        Ok(verifier) => verifier,
        Err(err) => panic!("verifier: {err}"),
    };
    println!(
        "Verifier::verify on a {}-byte body, {samples} samples per class, interleaved at random.\n\
         Class A: the signature differs from the right one in its first hex digit; class B: in its last two.\n",
        BODY.len()
    );
    // One buffer for both classes, refilled before each measured call.
    let input = std::cell::RefCell::new(String::with_capacity(64));
    let fill = |class: usize| {
        let mut buffer = input.borrow_mut();
        buffer.clear();
        buffer.push_str(&signatures[class]);
    };
    let core = measure(samples, 0x9E37_79B9_7F4A_7C15, fill, || {
        let signature = input.borrow();
        verifier
            .verify(
                black_box(BODY.as_bytes()),
                Some(black_box(signature.as_str())),
            )
            .is_ok()
    });
    report("digivault-webhooks Verifier::verify:", &core);

    // Control: the same harness on an early-exit comparison of the hex strings (HMAC
    // included), which leaks by construction.
    let leaky = measure(samples, 0x2545_F491_4F6C_DD1D, fill, || {
        let expected = sign(SECRET.as_bytes(), black_box(BODY.as_bytes()));
        let signature = input.borrow();
        let given = black_box(signature.as_bytes());
        let mut equal = expected.len() == given.len();
        for (a, b) in expected.bytes().zip(given) {
            if a != *b {
                equal = false;
                break;
            }
        }
        equal
    });
    println!();
    report("control, early-exit comparison (must show a leak):", &leaky);

    if core.max_abs_t() >= 4.5 {
        std::process::exit(1);
    }
}
