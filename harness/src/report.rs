//! The HTML report of `fauxauth run` and `fauxauth test`: one self-contained page (no scripts,
//! no external assets) that people open from CI artifacts. Each scenario or check is a section
//! with its verdict, what it checks and why, its failures, and a sequence diagram of who said
//! what to whom (browser, app, provider, resource), each message opening onto what it carried,
//! tokens decoded.

use std::fmt::Write as _;

use serde_json::Value;

use crate::scenario::Failure;

/// One section of the report.
#[derive(Clone, Debug)]
pub struct Item<'a> {
    /// `app/state-forged`, `code/replayed-code`.
    pub id: String,
    pub name: &'a str,
    /// `passed`, `failed`, `warned`, `skipped`.
    pub verdict: &'static str,
    /// A word on the verdict (`should`, the reason for a skip, the fact that relaxed a `must`).
    pub note: String,
    pub refs: &'a [String],
    pub why: &'a str,
    /// What failed, step by step.
    pub failures: Vec<&'a Failure>,
    /// The transcript as data (`Outcome::record`), when it ran.
    pub record: Option<&'a Value>,
}

/// The lifelines, left to right.
const PARTIES: [&str; 4] = ["browser", "app", "provider", "resource"];

/// The whole page.
pub fn html(title: &str, summary: &[(String, String)], items: &[Item<'_>]) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let _ = write!(
        out,
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{STYLE}</style></head><body><h1>{}</h1>",
        esc(title),
        esc(title)
    );
    out.push_str("<table class=\"summary\">");
    for (k, v) in summary {
        let _ = write!(out, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(v));
    }
    out.push_str("</table><ul class=\"index\">");
    for item in items {
        let _ = write!(
            out,
            "<li><a href=\"#{}\"><span class=\"v {}\">{}</span> {}</a></li>",
            anchor(&item.id),
            item.verdict,
            item.verdict,
            esc(&item.id)
        );
    }
    out.push_str("</ul>");
    for item in items {
        section(&mut out, item);
    }
    out.push_str("</body></html>\n");
    out
}

fn section(out: &mut String, item: &Item<'_>) {
    let open = if matches!(item.verdict, "failed" | "warned") {
        " open"
    } else {
        ""
    };
    let _ = write!(
        out,
        "<details class=\"item\" id=\"{}\"{open}><summary><span class=\"v {}\">{}</span> \
         <b>{}</b> {}{}</summary>",
        anchor(&item.id),
        item.verdict,
        item.verdict,
        esc(&item.id),
        esc(item.name),
        if item.note.is_empty() {
            String::new()
        } else {
            format!(" <i>({})</i>", esc(&item.note))
        }
    );
    if !item.why.is_empty() {
        let _ = write!(out, "<p class=\"why\">{}</p>", esc(item.why));
    }
    if !item.refs.is_empty() {
        let _ = write!(out, "<p class=\"refs\">{}</p>", esc(&item.refs.join(" · ")));
    }
    if !item.failures.is_empty() {
        out.push_str("<table class=\"failures\"><tr><th>step</th><th>check</th><th>expected</th><th>actual</th></tr>");
        for failure in &item.failures {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&failure.step),
                esc(&failure.check),
                esc(&failure.expected),
                esc(&failure.actual)
            );
        }
        out.push_str("</table>");
    }
    if let Some(record) = item.record {
        diagram(out, record);
    }
    out.push_str("</details>");
}

/// The sequence diagram: a row per message, an arrow from its sender's lifeline to its
/// receiver's, the message opening onto what it carried.
fn diagram(out: &mut String, record: &Value) {
    let Some(steps) = record["steps"].as_array() else {
        return;
    };
    out.push_str("<div class=\"seq\"><div class=\"row head\">");
    for party in PARTIES {
        let _ = write!(out, "<div class=\"party\">{party}</div>");
    }
    out.push_str("</div>");
    for step in steps {
        let _ = write!(
            out,
            "<div class=\"row step\"><div class=\"stepname\">step {} · {}</div></div>",
            esc(&text(&step["step"])),
            esc(&text(&step["action"]))
        );
        if let Some(error) = step.get("error") {
            let _ = write!(
                out,
                "<div class=\"row\"><div class=\"err\">{}</div></div>",
                esc(&text(error))
            );
        }
        // A step that was one request (the harness acting as client or provider script).
        if let Some(request) = step.get("request") {
            let (to, label) = request_target(request);
            message(out, "browser", to, &label, request, step.get("response"));
        }
        for exchange in step["exchanges"].as_array().into_iter().flatten() {
            let (from, to, label) = parties_of(exchange);
            message(out, from, to, &label, exchange, exchange.get("response"));
        }
    }
    out.push_str("</div>");
}

/// Who sent an exchange of a transcript to whom, and its first line.
fn parties_of(exchange: &Value) -> (&'static str, &'static str, String) {
    if let Some(line) = exchange["browser"].as_str() {
        let to = if line.contains("{client}") {
            "app"
        } else if line.contains("{resource}") {
            "resource"
        } else {
            "provider"
        };
        return ("browser", to, line.to_owned());
    }
    if let Some(line) = exchange["provider_saw"].as_str() {
        let from = if exchange["by"] == "resource" {
            "resource"
        } else {
            "app"
        };
        return (from, "provider", line.to_owned());
    }
    if let Some(line) = exchange["resource_saw"].as_str() {
        return ("app", "resource", line.to_owned());
    }
    ("browser", "app", text(exchange))
}

/// Where a step's own request went (`to: provider POST /token`), and its first line.
fn request_target(request: &Value) -> (&'static str, String) {
    let line = text(&request["to"]);
    let to = if line.starts_with("resource") {
        "resource"
    } else {
        "provider"
    };
    (to, line)
}

fn message(
    out: &mut String,
    from: &str,
    to: &str,
    label: &str,
    detail: &Value,
    response: Option<&Value>,
) {
    let index = |p: &str| PARTIES.iter().position(|q| *q == p).unwrap_or(0);
    let (a, b) = (index(from), index(to));
    let (left, right) = (a.min(b), a.max(b));
    let status = response
        .and_then(|r| r.get("status"))
        .map(text)
        .unwrap_or_default();
    let bad = status.starts_with('4') || status.starts_with('5');
    // Columns are 1-based in CSS grid: the arrow spans from the left lifeline to the right one.
    let _ = write!(
        out,
        "<div class=\"row msg\"><details class=\"arrow{}{}\" style=\"grid-column:{} / {}\">\
         <summary><span class=\"label\">{}</span> <span class=\"status\">{}</span></summary>\
         <pre>{}</pre></details></div>",
        if a > b { " back" } else { "" },
        if bad { " bad" } else { "" },
        left + 1,
        right + 2,
        esc(label),
        esc(&status),
        esc(&pretty(detail))
    );
}

/// A value as readable text: YAML-like, tokens already decoded by the transcript.
fn pretty(value: &Value) -> String {
    serde_saphyr::to_string(value).unwrap_or_else(|_| value.to_string())
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn anchor(id: &str) -> String {
    id.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

/// Escapes text for HTML content and attributes.
pub fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "
:root{color-scheme:light dark;--line:#cbd5e1;--ok:#15803d;--bad:#b91c1c;--warn:#b45309;--muted:#64748b}
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:1.5rem auto;max-width:72rem;padding:0 1rem}
h1{font-size:1.4rem}table{border-collapse:collapse}th,td{border:1px solid var(--line);padding:.25rem .5rem;text-align:left;vertical-align:top}
.summary th{background:rgba(100,116,139,.1)}
.index{columns:3;list-style:none;padding:0;font-size:.9em}
.v{display:inline-block;min-width:4.5em;text-align:center;border-radius:4px;font-size:.8em;padding:0 .3em;color:#fff;background:var(--muted)}
.v.passed{background:var(--ok)}.v.failed{background:var(--bad)}.v.warned{background:var(--warn)}
.item{border:1px solid var(--line);border-radius:6px;margin:.6rem 0;padding:.4rem .7rem}
.item>summary{cursor:pointer}.why{margin:.4rem 0}.refs{color:var(--muted);font-size:.9em}
.failures td{font-family:ui-monospace,monospace;font-size:.85em;white-space:pre-wrap}
.seq{margin-top:.6rem}.row{display:grid;grid-template-columns:repeat(4,1fr);position:relative}
.head .party{text-align:center;font-weight:600;border-bottom:2px solid var(--line)}
.step .stepname{grid-column:1/5;color:var(--muted);font-size:.85em;margin-top:.4rem}
.err{grid-column:1/5;color:var(--bad)}
.msg{background:linear-gradient(to right,transparent calc(12.5% - 1px),var(--line) calc(12.5% - 1px),var(--line) 12.5%,transparent 12.5%,transparent calc(37.5% - 1px),var(--line) calc(37.5% - 1px),var(--line) 37.5%,transparent 37.5%,transparent calc(62.5% - 1px),var(--line) calc(62.5% - 1px),var(--line) 62.5%,transparent 62.5%,transparent calc(87.5% - 1px),var(--line) calc(87.5% - 1px),var(--line) 87.5%,transparent 87.5%)}
.arrow{margin:.1rem 12.5%;border-bottom:2px solid #2563eb;position:relative}
.arrow>summary{cursor:pointer;list-style:none;font-family:ui-monospace,monospace;font-size:.8em;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.arrow::after{content:'▶';position:absolute;right:-.5em;bottom:-.62em;color:#2563eb;font-size:.8em}
.arrow.back{border-bottom-style:dashed}.arrow.back::after{content:'◀';left:-.5em;right:auto}
.arrow.bad{border-color:var(--bad)}.arrow.bad::after{color:var(--bad)}.status{color:var(--muted)}
.arrow pre{white-space:pre-wrap;font-size:.8em;background:rgba(100,116,139,.08);padding:.4rem;margin:.2rem 0 .6rem}
";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_is_a_row_of_its_table_escaped() {
        let failure = Failure {
            step: "2".into(),
            check: "status".into(),
            expected: "302".into(),
            actual: "200 <html>".into(),
            context: String::new(),
        };
        let item = Item {
            id: "code/replayed-code".into(),
            name: "A replayed code is refused",
            verdict: "failed",
            note: String::new(),
            refs: &[],
            why: "",
            failures: vec![&failure],
            record: None,
        };
        let page = html("fauxauth run", &[], &[item]);
        assert!(
            page.contains(
                "<tr><td>2</td><td>status</td><td>302</td><td>200 &lt;html&gt;</td></tr>"
            ),
            "{page}"
        );
    }
}
