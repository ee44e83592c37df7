//! `ocr-bill completions` and `ocr-bill man`: the shell's view of the command
//! line.

use clap::CommandFactory;
use ocr_bill::PriceList;

use super::args::{Cli, Command, CompletionsArgs, Lazy, ManArgs};
use super::{exit, UsageError};
use crate::output::Destination;

/// A manual page, with the exit status section clap does not write.
pub(super) fn man_page(cmd: clap::Command) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    clap_mangen::Man::new(cmd).render(&mut out)?;
    out.extend_from_slice(
        b".SH \"EXIT STATUS\"\n.TP\n0\nSuccess (also when the reader of the output goes away \
          early, unless rows were skipped).\n.TP\n1\nBad input or a refused calculation: an \
          unknown or ambiguous API, a bad count, price or file, a contact-sales volume without a \
          negotiated price, rows of several accounts, an overflow, or an output that cannot be \
          written.\n.TP\n2\nCommand-line usage error.\n.TP\n3\nbatch --skip-invalid left rows \
          out; each is reported on stderr.\n",
    );
    Ok(out)
}

/// The command line with every API name of every edition as the values of
/// `--api`, for shell completion (parsing accepts any name).
pub(super) fn completion_command() -> clap::Command {
    let mut names: Vec<String> = Vec::new();
    for (edition, _) in ocr_bill::EDITIONS {
        if let Ok(list) = PriceList::edition(edition) {
            for api in &list.apis {
                names.extend([api.key.clone(), api.name.clone()]);
            }
            names.extend(list.items.iter().map(|i| i.key.clone()));
        }
    }
    names.sort();
    names.dedup();
    let mut cmd = Cli::command();
    // Every subcommand's arguments, which a run adds only to the one it runs.
    cmd.build();
    for sub in ["postpaid", "prepaid", "quote", "plan", "curve", "prices"] {
        let values = names.clone();
        cmd = cmd.mut_subcommand(sub, |c| {
            c.mut_arg("api", |a| {
                a.value_parser(clap::builder::PossibleValuesParser::new(values))
            })
        });
    }
    cmd
}

/// Writes the completion script or the manual pages.
pub(super) fn run(cli: &Cli) -> anyhow::Result<i32> {
    // Flags about prices, inputs and formats mean nothing here.
    let ignored = [
        (cli.shared.format.is_some(), "--format"),
        (cli.shared.excel, "--excel"),
        (cli.shared.pricing.is_some(), "--pricing"),
        (cli.shared.edition.is_some(), "--edition"),
        (cli.shared.encoding.is_some(), "--encoding"),
    ];
    let name = match cli.command {
        Command::Man(_) => "man",
        _ => "completions",
    };
    if let Some((_, flag)) = ignored.iter().find(|(given, _)| *given) {
        return Err(UsageError(format!("{flag} means nothing to `{name}`")).into());
    }
    match &cli.command {
        Command::Completions(Lazy(CompletionsArgs { shell }, _)) => {
            let mut out = Vec::new();
            clap_complete::generate(*shell, &mut completion_command(), "ocr-bill", &mut out);
            Destination::new(cli.shared.output.as_deref(), &[])?.write_all(&out)?;
        }
        Command::Man(Lazy(ManArgs { dir: None }, _)) => {
            let out = man_page(Cli::command())?;
            Destination::new(cli.shared.output.as_deref(), &[])?.write_all(&out)?;
        }
        Command::Man(Lazy(ManArgs { dir: Some(dir) }, _)) => {
            let mut cmd = Cli::command();
            cmd.build();
            let mut pages = vec![("ocr-bill.1".to_string(), man_page(cmd.clone())?)];
            for sub in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
                let name = format!("ocr-bill-{}", sub.get_name());
                pages.push((
                    format!("{name}.1"),
                    man_page(
                        sub.clone()
                            .name(name)
                            .bin_name(format!("ocr-bill {}", sub.get_name())),
                    )?,
                ));
            }
            // A man directory that is not there yet (a user's first
            // `~/.local/share/man/man1`) is made, as `install -d` would.
            std::fs::create_dir_all(dir)
                .map_err(|e| anyhow::anyhow!("cannot make directory {}: {e}", dir.display()))?;
            for (file, page) in pages {
                let path = dir.join(file);
                Destination::new(Some(&path), &[])?.write_all(&page)?;
            }
        }
        _ => unreachable!("only completions and man come here"),
    }
    Ok(exit::OK)
}
