fn main() {
    cutover::cli::run().end()
}
