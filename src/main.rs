//! `ocr-bill`: parse, run, print the error, exit with its code.

mod chart;
mod cli;
mod output;
mod render;
mod reports;

fn main() {
    std::process::exit(cli::run(std::env::args_os()));
}
