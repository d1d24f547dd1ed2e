//! What a run found (printed as a table, saved as JSON), and the comparison of fauxauth with a
//! peer against the targets.

use serde::{Deserialize, Serialize};

use crate::load::Throughput;

/// Everything one run measured. Absent values were not measured (a provider given by URL has
/// no cold start; a peer has no scenario library).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Report {
    pub label: String,
    pub issuer: String,
    /// The signing algorithm, where known.
    #[serde(default)]
    pub alg: Option<String>,
    pub concurrency: usize,
    /// Per measurement: at most this many operations...
    pub max_requests: u64,
    /// ...or this many seconds.
    pub max_seconds: f64,
    pub cores: usize,
    #[serde(default)]
    pub cold_start_ms: Vec<f64>,
    #[serde(default)]
    pub rss_idle_kib: Option<u64>,
    #[serde(default)]
    pub rss_after_load_kib: Option<u64>,
    /// After each soak round (code flows, then the clock moved past every lifetime).
    #[serde(default)]
    pub rss_soak_kib: Vec<u64>,
    #[serde(default)]
    pub discovery: Option<Throughput>,
    #[serde(default)]
    pub jwks: Option<Throughput>,
    #[serde(default)]
    pub client_credentials: Option<Throughput>,
    #[serde(default)]
    pub code_flow: Option<Throughput>,
    /// Device authorizations, each polled once (RFC 8628): fauxauth only.
    #[serde(default)]
    pub device_poll: Option<Throughput>,
    /// Token exchanges (RFC 8693): fauxauth only.
    #[serde(default)]
    pub token_exchange: Option<Throughput>,
    /// Code flows whose tokens are bound by DPoP (RFC 9449): fauxauth only.
    #[serde(default)]
    pub dpop_code_flow: Option<Throughput>,
    /// `fauxauth resource` calls with a Bearer token, and with a DPoP-bound one and a proof each
    /// (RFC 9449 §7): fauxauth only.
    #[serde(default)]
    pub resource_bearer: Option<Throughput>,
    #[serde(default)]
    pub resource_dpop: Option<Throughput>,
    #[serde(default)]
    pub scenarios_seconds: Option<f64>,
    #[serde(default)]
    pub scenarios_passed: Option<bool>,
    /// The hostile soak, when run.
    #[serde(default)]
    pub hostile: Option<crate::hostile::Hostile>,
    /// HTTPS beside HTTP on one server (`spawn --tls`), when run.
    #[serde(default)]
    pub https: Option<HttpsRun>,
    /// `fauxauth test` of an app file, start to end.
    #[serde(default)]
    pub app_checks_seconds: Option<f64>,
    #[serde(default)]
    pub app_checks_passed: Option<bool>,
    /// How many runs its throughputs are the median of (1 for a single run).
    #[serde(default = "one")]
    pub runs: usize,
}

/// Code flows over HTTPS (keep-alive) and over plain HTTP, measured in turn on one server, and
/// what a first connection costs.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct HttpsRun {
    pub plain: Vec<Throughput>,
    pub tls: Vec<Throughput>,
    /// TCP connect alone, per new connection.
    pub connect_ms: Vec<f64>,
    /// TCP connect and the whole TLS handshake (certificate verified), per new connection.
    pub handshake_ms: Vec<f64>,
}

impl HttpsRun {
    /// The median flows per second over plain HTTP and over HTTPS.
    pub fn medians(&self) -> (Option<f64>, Option<f64>) {
        let median = |runs: &[Throughput]| {
            let mut rates: Vec<f64> = runs.iter().map(|t| t.per_second).collect();
            rates.sort_by(f64::total_cmp);
            (!rates.is_empty()).then(|| rates[(rates.len() - 1) / 2])
        };
        (median(&self.plain), median(&self.tls))
    }
}

/// The median of `samples` (the lower middle), if any.
pub fn median_ms(samples: &[f64]) -> Option<f64> {
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    (!sorted.is_empty()).then(|| sorted[(sorted.len() - 1) / 2])
}

impl Report {
    pub fn cold_start_median_ms(&self) -> Option<f64> {
        let mut samples = self.cold_start_ms.clone();
        samples.sort_by(f64::total_cmp);
        // The lower middle, as `stats::median` picks.
        (!samples.is_empty()).then(|| samples[(samples.len() - 1) / 2])
    }

    /// The report as a table, for people.
    pub fn table(&self) -> String {
        let mut rows: Vec<[String; 2]> = Vec::new();
        if let Some(median) = self.cold_start_median_ms() {
            let min = self
                .cold_start_ms
                .iter()
                .copied()
                .fold(f64::INFINITY, f64::min);
            let max = self.cold_start_ms.iter().copied().fold(0.0, f64::max);
            rows.push([
                format!("cold start, median of {}", self.cold_start_ms.len()),
                format!("{median:.1} ms (min {min:.1}, max {max:.1})"),
            ]);
        }
        if let Some(kib) = self.rss_idle_kib {
            rows.push(["RSS idle after start".into(), mib(kib)]);
        }
        for (name, t) in [
            ("discovery", &self.discovery),
            ("JWKS", &self.jwks),
            ("client_credentials tokens", &self.client_credentials),
            ("code flows (authorize + token, PKCE)", &self.code_flow),
            ("device authorizations + a poll", &self.device_poll),
            ("token exchanges", &self.token_exchange),
            ("DPoP-bound code flows", &self.dpop_code_flow),
            ("resource calls, Bearer", &self.resource_bearer),
            ("resource calls, DPoP (a proof each)", &self.resource_dpop),
        ] {
            if let Some(t) = t {
                rows.push([name.into(), throughput(t)]);
            }
        }
        if let Some(kib) = self.rss_after_load_kib {
            rows.push(["RSS idle after the load".into(), mib(kib)]);
        }
        if !self.rss_soak_kib.is_empty() {
            let rounds: Vec<String> = self.rss_soak_kib.iter().map(|k| mib(*k)).collect();
            rows.push(["RSS after each soak round".into(), rounds.join(", ")]);
        }
        if let Some(h) = &self.hostile {
            let kib = |v: Option<u64>| v.map_or("-".into(), mib);
            rows.push([
                "hostile: junk requests".into(),
                format!(
                    "{} sent ({:.0} MiB), {} answered, {} with a 5xx",
                    h.junk_sent,
                    h.junk_bytes as f64 / (1024.0 * 1024.0),
                    h.junk_answered,
                    h.junk_server_errors
                ),
            ]);
            rows.push([
                "hostile: RSS before / after the junk".into(),
                format!("{} / {}", kib(h.rss_before_kib), kib(h.rss_after_junk_kib)),
            ]);
            if let Some(t) = &h.code_flow_under_attack {
                rows.push([
                    format!(
                        "hostile: code flows beside {} held connections",
                        h.idle_connections
                    ),
                    throughput(t),
                ]);
            }
            rows.push([
                "hostile: RSS after the attack".into(),
                kib(h.rss_after_attack_kib),
            ]);
        }
        if let Some(s) = self.scenarios_seconds {
            let verdict = match self.scenarios_passed {
                Some(false) => " (some FAILED)",
                _ => "",
            };
            rows.push([
                "scenario library (fauxauth run)".into(),
                format!("{s:.2} s{verdict}"),
            ]);
        }
        if let Some(s) = self.app_checks_seconds {
            let verdict = match self.app_checks_passed {
                Some(false) => " (some FAILED)",
                _ => "",
            };
            rows.push([
                "app checks (fauxauth test, reference client)".into(),
                format!("{s:.2} s{verdict}"),
            ]);
        }
        let mut out = format!(
            "{} ({}) at {}\n",
            self.label,
            self.alg.as_deref().unwrap_or("alg unknown"),
            self.issuer
        );
        out.push_str(&format!(
            "load: {} concurrent; each measurement at most {} operations or {} s, after a short \
             warm-up; load generator and server share this machine's {} cores\n",
            self.concurrency, self.max_requests, self.max_seconds, self.cores
        ));
        out.push_str(&table(&["measurement", "result"], &rows));
        out
    }
}

fn throughput(t: &Throughput) -> String {
    let mut s = format!(
        "{:>9.0} /s   p50 {:.2} ms   p99 {:.2} ms   ({} in {:.1} s)",
        t.per_second, t.p50_ms, t.p99_ms, t.ok, t.seconds
    );
    if let Some(us) = t.server_cpu_us {
        s.push_str(&format!("   server CPU {us:.0} µs/op"));
    }
    if let Some(us) = t.generator_cpu_us {
        s.push_str(&format!("   generator CPU {us:.0} µs/op"));
    }
    if t.errors > 0 {
        s.push_str(&format!(
            "   {} ERRORS, first: {}",
            t.errors,
            t.first_error.as_deref().unwrap_or("?")
        ));
    }
    s
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// Left-aligned columns, a rule under the header.
pub fn table<const N: usize>(header: &[&str; N], rows: &[[String; N]]) -> String {
    let mut widths = header.map(|h| h.chars().count());
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut s = String::new();
        for (i, (cell, w)) in cells.zip(widths).enumerate() {
            if i > 0 {
                s.push_str("  ");
            }
            s.push_str(cell);
            if i + 1 < N {
                s.push_str(&" ".repeat(w - cell.chars().count()));
            }
        }
        s.trim_end().to_owned() + "\n"
    };
    let mut out = line(&mut header.iter().copied());
    out.push_str(&line(
        &mut widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str),
    ));
    for row in rows {
        out.push_str(&line(&mut row.iter().map(String::as_str)));
    }
    out
}

/// The targets of the issue, checked against fauxauth's and the peer's reports.
#[derive(Debug)]
pub struct Comparison<'a> {
    pub fauxauth: &'a Report,
    pub peer: &'a Report,
    /// fauxauth with faster signatures (ES256, EdDSA).
    pub fast: &'a [Report],
    /// fauxauth built as the container image ships it (static, optimised for size), if measured.
    pub image: Option<&'a Report>,
    /// fauxauth serving HTTPS beside HTTP (`spawn --tls`), if measured.
    pub https: Option<&'a Report>,
    /// RSA-2048 signatures per second on one core (`openssl speed rsa2048`).
    pub rsa_sign_per_second: Option<f64>,
    pub cores: usize,
}

/// One line of the comparison.
#[derive(Debug, PartialEq)]
pub struct Verdict {
    pub what: String,
    pub fauxauth: String,
    pub peer: String,
    pub ratio: String,
    pub target: String,
    pub met: Option<bool>,
}

impl Comparison<'_> {
    /// Flows per second RSA-2048 signing alone allows on all cores: two signatures per flow.
    pub fn rsa_flow_limit(&self) -> Option<f64> {
        self.rsa_sign_per_second
            .map(|rate| rate * self.cores as f64 / 2.0)
    }

    pub fn verdicts(&self) -> Vec<Verdict> {
        let (f, p) = (self.fauxauth, self.peer);
        let mut out = Vec::new();
        let ms = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.1} ms"));
        let pc = p.cold_start_median_ms();
        let kib = |v: Option<u64>| v.map_or("-".into(), mib);
        // Cold start and idle memory, for the release build and (when measured) the image build.
        let start_verdicts = |build: &str, r: &Report| {
            let rc = r.cold_start_median_ms();
            [
                Verdict {
                    what: format!("cold start (median){build}"),
                    fauxauth: ms(rc),
                    peer: ms(pc),
                    ratio: ratio(pc, rc, "faster"),
                    target: "≤ 10 ms".into(),
                    met: rc.map(|v| v <= 10.0),
                },
                Verdict {
                    what: format!("RSS idle after start{build}"),
                    fauxauth: kib(r.rss_idle_kib),
                    peer: kib(p.rss_idle_kib),
                    ratio: ratio(
                        p.rss_idle_kib.map(|v| v as f64),
                        r.rss_idle_kib.map(|v| v as f64),
                        "smaller",
                    ),
                    target: "≤ 10 MiB".into(),
                    met: r.rss_idle_kib.map(|v| v <= 10 * 1024),
                },
            ]
        };
        out.extend(start_verdicts("", f));
        if let Some(image) = self.image {
            out.extend(start_verdicts(", image build", image));
        }
        out.push(Verdict {
            what: "RSS idle after the load".into(),
            fauxauth: kib(f.rss_after_load_kib),
            peer: kib(p.rss_after_load_kib),
            ratio: ratio(
                p.rss_after_load_kib.map(|v| v as f64),
                f.rss_after_load_kib.map(|v| v as f64),
                "smaller",
            ),
            target: String::new(),
            met: None,
        });
        let rate = rate_of;
        let per_s = |v: Option<f64>| v.map_or("-".into(), |v| format!("{v:.0} /s"));
        let (f_runs, p_runs) = (f.runs, p.runs);
        let runs = move |what: &str| match (f_runs, p_runs) {
            (0 | 1, 0 | 1) => what.to_owned(),
            (a, b) if a == b => format!("{what}, median of {a} runs each"),
            (a, b) => format!("{what}, median of {a} and {b} runs"),
        };
        for (what, fv, pv, target) in [
            ("discovery", rate(&f.discovery), rate(&p.discovery), None),
            ("JWKS", rate(&f.jwks), rate(&p.jwks), None),
            (
                "client_credentials (RS256)",
                rate(&f.client_credentials),
                rate(&p.client_credentials),
                Some(2.5),
            ),
            (
                "code flows (RS256)",
                rate(&f.code_flow),
                rate(&p.code_flow),
                Some(3.0),
            ),
        ] {
            out.push(Verdict {
                what: runs(what),
                fauxauth: per_s(fv),
                peer: per_s(pv),
                ratio: ratio(fv, pv, ""),
                target: target.map_or(String::new(), |t| format!("≥ {t}×")),
                met: target.and_then(|t| Some(fv? >= t * pv?)),
            });
        }
        if let Some(image) = self.image {
            let (iv, pv) = (rate_of(&image.code_flow), rate_of(&p.code_flow));
            out.push(Verdict {
                what: "code flows (RS256), image build".into(),
                fauxauth: per_s(iv),
                peer: per_s(pv),
                ratio: ratio(iv, pv, ""),
                target: "≥ 3×".into(),
                met: iv.zip(pv).map(|(i, p)| i >= 3.0 * p),
            });
        }
        if let Some(run) = self.https.and_then(|r| r.https.as_ref()) {
            let (plain, tls) = run.medians();
            out.push(Verdict {
                what: format!(
                    "code flows over HTTPS (keep-alive) vs HTTP, {} runs each in turn",
                    run.tls.len()
                ),
                fauxauth: per_s(tls),
                peer: format!("HTTP {}", per_s(plain)),
                ratio: tls.zip(plain).map_or(String::new(), |(t, p)| {
                    format!("{:.0} % of HTTP", 100.0 * t / p)
                }),
                target: "≥ 90 %".into(),
                met: tls.zip(plain).map(|(t, p)| t >= 0.9 * p),
            });
            out.push(Verdict {
                what: format!(
                    "first connection: TCP + TLS handshake (median of {})",
                    run.handshake_ms.len()
                ),
                fauxauth: ms(median_ms(&run.handshake_ms)),
                peer: format!("TCP alone {}", ms(median_ms(&run.connect_ms))),
                ratio: String::new(),
                target: String::new(),
                met: None,
            });
        }
        if let Some(s) = f.app_checks_seconds {
            out.push(Verdict {
                what: "app check library (fauxauth test, the reference client)".into(),
                fauxauth: format!("{s:.2} s"),
                peer: "-".into(),
                ratio: String::new(),
                target: "< 15 s".into(),
                met: Some(s < 15.0 && f.app_checks_passed != Some(false)),
            });
        }
        if let Some(h) = &f.hostile {
            let after = h.rss_after_junk_kib.max(h.rss_after_attack_kib);
            out.push(Verdict {
                what: format!("hostile: RSS after {} junk requests", h.junk_sent),
                fauxauth: kib(after),
                peer: "-".into(),
                ratio: String::new(),
                target: "< 64 MiB".into(),
                met: after.map(|v| v < 64 * 1024),
            });
            let (under, plain) = (rate_of(&h.code_flow_under_attack), rate_of(&f.code_flow));
            out.push(Verdict {
                what: format!(
                    "hostile: code flows beside {} held connections",
                    h.idle_connections
                ),
                fauxauth: per_s(under),
                peer: "-".into(),
                ratio: under.zip(plain).map_or(String::new(), |(u, p)| {
                    format!("{:.0} % of unattacked", 100.0 * u / p)
                }),
                target: "≥ 80 %".into(),
                met: under.zip(plain).map(|(u, p)| u >= 0.8 * p),
            });
            out.push(Verdict {
                what: "hostile: junk answered with a 5xx".into(),
                fauxauth: h.junk_server_errors.to_string(),
                peer: "-".into(),
                ratio: String::new(),
                target: "0".into(),
                met: Some(h.junk_server_errors == 0),
            });
        }
        let latency = |t: &Option<Throughput>| {
            t.as_ref().map_or("-".into(), |t| {
                format!("{:.1} / {:.1} ms", t.p50_ms, t.p99_ms)
            })
        };
        out.push(Verdict {
            what: "code flow p50 / p99".into(),
            fauxauth: latency(&f.code_flow),
            peer: latency(&p.code_flow),
            ratio: String::new(),
            target: String::new(),
            met: None,
        });
        if let (Some(limit), Some(rate)) = (self.rsa_flow_limit(), self.rsa_sign_per_second) {
            let fv = rate_of(&f.code_flow);
            let share = |v: Option<f64>, limit: f64| {
                v.map_or("-".into(), |v| format!("{:.0} %", 100.0 * v / limit))
            };
            out.push(Verdict {
                what: format!(
                    "code flows vs RSA-2048 signing on {} cores ({limit:.0} flows/s)",
                    self.cores
                ),
                fauxauth: share(fv, limit),
                peer: share(rate_of(&p.code_flow), limit),
                ratio: String::new(),
                target: "≥ 85 %".into(),
                met: fv.map(|v| v >= 0.85 * limit),
            });
            out.push(Verdict {
                what: format!(
                    "code flows vs RSA-2048 signing on 1 core ({:.0} flows/s)",
                    rate / 2.0
                ),
                fauxauth: share(fv, rate / 2.0),
                peer: share(rate_of(&p.code_flow), rate / 2.0),
                ratio: String::new(),
                target: String::new(),
                met: None,
            });
            // Two signatures are 2/rate seconds of one core: how much of the server's CPU per
            // flow they are, the rest being HTTP, the protocol and the journal.
            let signing_us = 2.0 / rate * 1e6;
            let cpu = |t: &Option<Throughput>| t.as_ref().and_then(|t| t.server_cpu_us);
            let of_cpu = |us: Option<f64>| {
                us.map_or("-".into(), |us| {
                    format!("{:.0} % of {us:.0} µs", 100.0 * signing_us / us)
                })
            };
            out.push(Verdict {
                what: format!("two RSA signatures ({signing_us:.0} µs) in server CPU per flow"),
                fauxauth: of_cpu(cpu(&f.code_flow)),
                peer: of_cpu(cpu(&p.code_flow)),
                ratio: String::new(),
                target: String::new(),
                met: None,
            });
            if let Some(us) = f.code_flow.as_ref().and_then(|t| t.generator_cpu_us) {
                out.push(Verdict {
                    what: "load generator CPU per flow (same generator for both)".into(),
                    fauxauth: format!("{us:.0} µs"),
                    peer: p
                        .code_flow
                        .as_ref()
                        .and_then(|t| t.generator_cpu_us)
                        .map_or("-".into(), |us| format!("{us:.0} µs")),
                    ratio: String::new(),
                    target: String::new(),
                    met: None,
                });
            }
        }
        for fast in self.fast {
            let fv = rate(&fast.code_flow);
            let pv = rate(&p.code_flow);
            out.push(Verdict {
                what: format!(
                    "code flows ({}) vs peer's RS256",
                    fast.alg.as_deref().unwrap_or("?")
                ),
                fauxauth: per_s(fv),
                peer: per_s(pv),
                ratio: ratio(fv, pv, ""),
                target: "≥ 10×".into(),
                met: fv.zip(pv).map(|(f, p)| f >= 10.0 * p),
            });
        }
        // The first round fills the tables up to their working size; flat means the rounds after
        // it add nothing: the last round within 5 % of the second.
        if let [_, second, .., last] = f.rss_soak_kib[..] {
            let growth = last as f64 / second as f64 - 1.0;
            out.push(Verdict {
                what: format!(
                    "memory over {} soak rounds (from the 2nd)",
                    f.rss_soak_kib.len()
                ),
                fauxauth: format!("{} → {}", mib(second), mib(last)),
                peer: String::new(),
                ratio: format!("{:+.1} %", 100.0 * growth),
                target: "flat (≤ +5 %)".into(),
                met: Some(growth <= 0.05),
            });
        }
        if let Some(s) = f.scenarios_seconds {
            out.push(Verdict {
                what: "scenario library (fauxauth run)".into(),
                fauxauth: format!("{s:.2} s"),
                peer: String::new(),
                ratio: String::new(),
                target: String::new(),
                met: (f.scenarios_passed == Some(false)).then_some(false),
            });
        }
        out
    }

    pub fn table(&self) -> String {
        let rows: Vec<[String; 6]> = self
            .verdicts()
            .into_iter()
            .map(|v| {
                [
                    v.what,
                    v.fauxauth,
                    v.peer,
                    v.ratio,
                    v.target,
                    match v.met {
                        Some(true) => "met".into(),
                        Some(false) => "MISSED".into(),
                        None => String::new(),
                    },
                ]
            })
            .collect();
        table(
            &[
                "",
                self.fauxauth.label.as_str(),
                self.peer.label.as_str(),
                "ratio",
                "target",
                "",
            ],
            &rows,
        )
    }
}

fn one() -> usize {
    1
}

/// The first report, its throughputs replaced by the median run of each across all the
/// reports (the whole measurement of that run, so its rate, latency and CPU agree), and
/// `runs` set to how many there were. One machine's figures vary from minute to minute; runs
/// taken in turn with the peer's, and their medians, compare the two under the same conditions.
pub fn median_of(mut reports: Vec<Report>) -> Report {
    assert!(!reports.is_empty(), "clap requires one report");
    let median = |pick: fn(&Report) -> &Option<Throughput>, reports: &[Report]| {
        let mut all: Vec<Throughput> = reports.iter().filter_map(|r| pick(r).clone()).collect();
        all.sort_by(|a, b| a.per_second.total_cmp(&b.per_second));
        // The lower median of an even count: never flattering.
        (!all.is_empty()).then(|| all.swap_remove((all.len() - 1) / 2))
    };
    let discovery = median(|r| &r.discovery, &reports);
    let jwks = median(|r| &r.jwks, &reports);
    let client_credentials = median(|r| &r.client_credentials, &reports);
    let code_flow = median(|r| &r.code_flow, &reports);
    let runs = reports.len();
    let mut first = reports.swap_remove(0);
    first.discovery = discovery;
    first.jwks = jwks;
    first.client_credentials = client_credentials;
    first.code_flow = code_flow;
    first.runs = runs;
    first
}

fn rate_of(t: &Option<Throughput>) -> Option<f64> {
    t.as_ref().map(|t| t.per_second)
}

/// `a / b` as `N.N×`, with a word saying which way is better when the smaller value wins.
fn ratio(a: Option<f64>, b: Option<f64>, word: &str) -> String {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => {
            let r = a / b;
            match word {
                "" => format!("{r:.1}×"),
                // A smaller value wins: say by how much it lost when it lost.
                "smaller" if r < 1.0 => format!("{:.1}× larger", 1.0 / r),
                word => format!("{r:.1}× {word}"),
            }
        }
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flows(per_second: f64) -> Option<Throughput> {
        Some(flow(per_second))
    }

    fn flow(per_second: f64) -> Throughput {
        Throughput {
            per_second,
            ..Throughput::default()
        }
    }

    #[test]
    fn cold_start_median_is_the_lower_middle() {
        let report = Report {
            cold_start_ms: vec![9.0, 3.0, 5.0, 4.0],
            ..Report::default()
        };
        assert_eq!(report.cold_start_median_ms(), Some(4.0));
        assert_eq!(Report::default().cold_start_median_ms(), None);
    }

    #[test]
    fn targets_are_judged_by_ratio_and_by_the_signing_limit() {
        let fauxauth = Report {
            label: "fauxauth".into(),
            cold_start_ms: vec![4.0],
            rss_idle_kib: Some(8 * 1024),
            client_credentials: flows(2000.0),
            code_flow: flows(900.0),
            rss_soak_kib: vec![15_000, 20_000, 20_100, 20_500],
            ..Report::default()
        };
        let peer = Report {
            label: "peer".into(),
            client_credentials: flows(1000.0),
            code_flow: flows(250.0),
            ..Report::default()
        };
        let es256 = Report {
            alg: Some("ES256".into()),
            code_flow: flows(2400.0),
            ..Report::default()
        };
        let fast = [es256];
        let image = Report {
            cold_start_ms: vec![3.0],
            rss_idle_kib: Some(12 * 1024),
            code_flow: flows(700.0),
            ..Report::default()
        };
        let https = Report {
            https: Some(HttpsRun {
                plain: vec![flow(1000.0), flow(1100.0), flow(900.0)],
                tls: vec![flow(880.0), flow(950.0), flow(800.0)],
                connect_ms: vec![0.1, 0.2],
                handshake_ms: vec![1.0, 2.0, 3.0],
            }),
            ..Report::default()
        };
        let comparison = Comparison {
            fauxauth: &fauxauth,
            peer: &peer,
            fast: &fast,
            image: Some(&image),
            https: Some(&https),
            rsa_sign_per_second: Some(1000.0),
            cores: 2,
        };
        assert_eq!(comparison.rsa_flow_limit(), Some(1000.0));
        let verdicts = comparison.verdicts();
        let met = |prefix: &str| {
            verdicts
                .iter()
                .find(|v| v.what.starts_with(prefix))
                .unwrap_or_else(|| panic!("no verdict for {prefix}"))
                .met
        };
        assert_eq!(met("cold start"), Some(true));
        assert_eq!(met("RSS idle after start"), Some(true));
        assert_eq!(met("client_credentials"), Some(false)); // 2.0× < 2.5×
        assert_eq!(met("code flows (RS256)"), Some(true)); // 3.6×
        // HTTPS: the medians 880 and 1000 flows/s, 88 % < 90 %.
        assert_eq!(met("code flows over HTTPS"), Some(false));
        assert!(
            verdicts
                .iter()
                .any(|v| v.what.starts_with("first connection") && v.fauxauth == "2.0 ms")
        );
        assert_eq!(met("code flows vs RSA-2048 signing on 2"), Some(true)); // 90 %
        assert_eq!(met("code flows vs RSA-2048 signing on 1"), None);
        assert_eq!(met("code flows (ES256)"), Some(false)); // 9.6×
        assert_eq!(met("memory over"), Some(true)); // +2.5 % from the second round
        assert_eq!(met("discovery"), None);
        assert_eq!(met("cold start (median), image"), Some(true));
        assert_eq!(met("RSS idle after start, image"), Some(false));
        assert_eq!(met("code flows (RS256), image"), Some(false)); // 2.8×
    }

    #[test]
    fn the_median_run_of_each_measurement_is_kept_whole() {
        let run = |flows: f64, tokens: f64, rss: u64| Report {
            code_flow: Some(Throughput {
                per_second: flows,
                p50_ms: flows / 100.0,
                ..Throughput::default()
            }),
            client_credentials: Some(Throughput {
                per_second: tokens,
                ..Throughput::default()
            }),
            rss_idle_kib: Some(rss),
            ..Report::default()
        };
        let merged = median_of(vec![
            run(900.0, 1500.0, 9000),
            run(700.0, 1800.0, 1),
            run(800.0, 1700.0, 2),
        ]);
        assert_eq!(merged.runs, 3);
        let flows = merged.code_flow.unwrap();
        assert_eq!((flows.per_second, flows.p50_ms), (800.0, 8.0));
        assert_eq!(merged.client_credentials.unwrap().per_second, 1700.0);
        // Everything else is the first (full) run's.
        assert_eq!(merged.rss_idle_kib, Some(9000));
        // An even count takes the lower of the two middle runs.
        let two = median_of(vec![run(900.0, 1.0, 0), run(700.0, 2.0, 0)]);
        assert_eq!(two.code_flow.unwrap().per_second, 700.0);
    }

    #[test]
    fn ratio_needs_both_sides() {
        assert_eq!(ratio(Some(3.0), Some(1.5), ""), "2.0×");
        assert_eq!(ratio(Some(3.0), Some(1.5), "faster"), "2.0× faster");
        assert_eq!(ratio(Some(1.0), Some(2.0), "smaller"), "2.0× larger");
        assert_eq!(ratio(None, Some(1.0), ""), "");
        assert_eq!(ratio(Some(1.0), Some(0.0), ""), "");
    }

    #[test]
    fn table_aligns_columns() {
        let out = table(
            &["a", "bb"],
            &[["long cell".into(), "x".into()], ["s".into(), "yy".into()]],
        );
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "a          bb");
        assert_eq!(lines[1], "---------  --");
        assert_eq!(lines[2], "long cell  x");
        assert_eq!(lines[3], "s          yy");
    }
}
