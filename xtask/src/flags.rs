//! The command lines of the xtask subcommands: `--flag value`, `--flag=value` and bare
//! `--switch`, read one flag at a time (no parser crate for a handful of options).

/// Reads `args` one flag at a time.
pub(crate) struct Flags<'a> {
    args: std::slice::Iter<'a, String>,
    inline: Option<String>,
}

impl<'a> Flags<'a> {
    pub(crate) fn new(args: &'a [String]) -> Self {
        Self {
            args: args.iter(),
            inline: None,
        }
    }

    /// The next flag (`--seed` of `--seed=7` or of `--seed 7`), or `None` at the end.
    pub(crate) fn next_flag(&mut self) -> Option<&'a str> {
        let arg = self.args.next()?;
        match arg.split_once('=') {
            Some((flag, value)) if flag.starts_with("--") => {
                self.inline = Some(value.to_owned());
                Some(flag)
            }
            _ => {
                self.inline = None;
                Some(arg.as_str())
            }
        }
    }

    /// The value of flag `name`: after its `=`, or the next argument.
    pub(crate) fn value(&mut self, name: &str) -> Result<String, String> {
        self.inline
            .take()
            .or_else(|| self.args.next().cloned())
            .ok_or_else(|| format!("{name} takes a value"))
    }
}
