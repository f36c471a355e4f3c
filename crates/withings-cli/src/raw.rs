//! `withings raw <service> <action> [key=value…]`: any action, the body as Withings sent it.
//!
//! `--format json` prints the `body` byte for byte (numbers untouched). `table` and `csv`
//! print one row per leaf value: its path (`devices[0].battery`) and the value.

use std::io::Write;

use serde_json::Value;
use withings::model::Form;

use crate::app::Ctx;
use crate::cli::RawArgs;
use crate::error::Failure;
use crate::output::{Cell, Format, Table, col};

/// Sends the action and returns what to print: the body text (json) or its leaves.
pub(crate) async fn run(ctx: &Ctx, args: RawArgs, out: &mut dyn Write) -> Result<(), Failure> {
    let mut form = Form::new();
    for (key, value) in args.params {
        form.push(key, value);
    }
    let sent = if args.signed {
        ctx.client
            .call_signed(args.service, &args.action, &form)
            .await
    } else {
        ctx.client.call_raw(args.service, &args.action, &form).await
    };
    let body = sent.map_err(|e| ctx.fail(e))?;
    if ctx.format == Format::Json {
        writeln!(out, "{}", body.as_str())?;
        return Ok(());
    }
    let value: Value = serde_json::from_str(body.as_str())
        .map_err(|e| Failure::other(format!("the body is not JSON: {e}")))?;
    let mut t = Table::new(&[col("path"), col("value")]);
    flatten("body", &value, &mut t);
    t.write(ctx.format, out)?;
    Ok(())
}

/// Every leaf of `v` as a `(path, value)` row; empty objects and arrays are leaves too.
pub(crate) fn flatten(path: &str, v: &Value, t: &mut Table) {
    match v {
        Value::Object(m) if !m.is_empty() => {
            for (k, child) in m {
                flatten(&format!("{path}.{k}"), child, t);
            }
        }
        Value::Array(a) if !a.is_empty() => {
            for (i, child) in a.iter().enumerate() {
                flatten(&format!("{path}[{i}]"), child, t);
            }
        }
        leaf => {
            let cell = match leaf {
                Value::Null => Cell::Null,
                Value::Bool(b) => Cell::Bool(*b),
                Value::Number(n) => match (n.as_i64(), n.as_f64()) {
                    (Some(i), _) => Cell::Int(i),
                    (None, Some(f)) => Cell::Float(f),
                    _ => Cell::text(n.to_string()),
                },
                Value::String(s) => Cell::text(s.clone()),
                Value::Object(_) => Cell::text("{}"),
                Value::Array(_) => Cell::text("[]"),
            };
            t.push(vec![Cell::text(path), cell]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaves_are_named_by_their_path() {
        let v: Value =
            serde_json::from_str(r#"{"a":[{"b":1.5},{"c":null}],"d":[],"e":"x"}"#).unwrap();
        let mut t = Table::new(&[col("path"), col("value")]);
        flatten("body", &v, &mut t);
        let mut out = Vec::new();
        t.write(Format::Csv, &mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "path,value\nbody.a[0].b,1.5\nbody.a[1].c,\nbody.d,[]\nbody.e,x\n"
        );
    }
}
