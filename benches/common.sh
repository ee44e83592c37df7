# Sourced by the benchmark scripts: builds the release binary and sets
#   bin    the path Cargo reports for it
#   work   a temporary directory, removed on exit
#   machine()  prints the machine's cores and CPU
bin=$(cargo build --release --message-format=json-render-diagnostics 2>/dev/null \
    | sed -n 's/.*"executable":"\([^"]*ocr-bill\)".*/\1/p' | tail -1)
[ -x "$bin" ] || { echo "could not build ocr-bill" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
machine() { echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"; }
